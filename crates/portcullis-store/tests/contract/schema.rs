//! The schema itself: migrations and the storage of instants.

use crate::harness::{Fixture, T0, T0_MS, new_session, new_user};
use portcullis_core::audit::{NewAuditEvent, RequestContext};
use portcullis_core::domain::query::{UserQuery, UserSort};
use portcullis_core::domain::role::ADMIN_PERMISSIONS;
use portcullis_core::domain::user::ADMIN_ROLE;
use portcullis_core::store::ProfileUpdate;
use portcullis_core::{AccountKind, AuditFilter, AuditKind, SecretToken, TokenPurpose, UserId};
use portcullis_store::testing::migrate_to;
use portcullis_store::{Database, OpenError};
use time::Duration;
use time::macros::datetime;

/// How many migrations this build ships.
const MIGRATIONS: i64 = 14;

pub async fn migrating_twice_is_harmless(f: &Fixture) {
    f.db.migrate().await.unwrap();
    // A second instance starting on the same database migrates too.
    let second = Database::connect(&f.config).await.unwrap();
    second.migrate().await.unwrap();
    second.close().await;

    f.user("alice").await;
    assert_eq!(f.store.count_users().await.unwrap(), 1);
    assert_eq!(
        f.count("SELECT COUNT(*) FROM roles WHERE id > $1", 0).await,
        1
    );
    // The seed ran once.
    assert_eq!(
        f.count(
            "SELECT COUNT(*) FROM role_permissions WHERE role_id > $1",
            0
        )
        .await,
        4
    );
    assert_eq!(
        f.count(
            "SELECT COUNT(*) FROM _sqlx_migrations WHERE success AND version > $1",
            0
        )
        .await,
        MIGRATIONS
    );
    assert_works_at_the_latest_schema(f).await;
}

pub async fn a_database_left_by_any_older_release_upgrades_straight_to_the_latest(f: &Fixture) {
    let known = f.db.known_migrations();
    assert_eq!(i64::try_from(known.len()).unwrap(), MIGRATIONS);
    // Version 0 is an empty database; each later one is where a release
    // that shipped up to that migration left it.
    for prefix in std::iter::once(0).chain(known.iter().map(|m| m.version)) {
        let old = f.unmigrated_sibling().await;
        if prefix > 0 {
            migrate_to(&old.db, prefix).await.unwrap();
        }
        let status = old.db.schema_status().await.unwrap();
        let expected_pending: Vec<i64> = known
            .iter()
            .map(|m| m.version)
            .filter(|v| *v > prefix)
            .collect();
        assert_eq!(
            status.pending.iter().map(|m| m.version).collect::<Vec<_>>(),
            expected_pending,
            "from {prefix:04}"
        );
        assert!(status.newer.is_empty());
        old.db
            .migrate()
            .await
            .unwrap_or_else(|e| panic!("from {prefix:04}: {e}"));
        let status = old.db.schema_status().await.unwrap();
        assert!(status.pending.is_empty(), "from {prefix:04}");
        assert_eq!(i64::try_from(status.applied.len()).unwrap(), MIGRATIONS);
        assert_works_at_the_latest_schema(&old).await;
        old.finish().await;
    }
}

pub async fn a_database_a_newer_release_migrated_is_refused_unless_allowed(f: &Fixture) {
    f.execute(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         SELECT $1, 'from the future', success, checksum, execution_time \
         FROM _sqlx_migrations WHERE version = 1",
        9999,
    )
    .await;
    let status = f.db.schema_status().await.unwrap();
    assert_eq!(status.newer, [9999]);
    assert!(status.pending.is_empty());
    match f.db.migrate().await {
        Err(err @ OpenError::NewerSchema { .. }) => {
            let message = err.to_string();
            assert!(
                message.contains("9999") && message.contains(&format!("{MIGRATIONS:04}")),
                "{message}"
            );
            assert!(message.contains("database.allow_newer_schema"), "{message}");
        }
        other => panic!("a newer schema must be refused, got {other:?}"),
    }
    // Allowed, as during a rolling upgrade: this release's own migrations
    // are checked, the newer one left as it is, and the store works.
    f.db.migrate_with(true).await.unwrap();
    assert_eq!(f.db.schema_status().await.unwrap().newer, [9999]);
    f.user("alice").await;
    assert_works_at_the_latest_schema(f).await;
}

/// Touches every table and column the latest migrations added.
async fn assert_works_at_the_latest_schema(f: &Fixture) {
    let admin = f.store.role(ADMIN_ROLE).await.unwrap().unwrap();
    assert_eq!(admin.permissions.len(), ADMIN_PERMISSIONS.len());
    let query = UserQuery {
        sort: UserSort::LastLogin,
        limit: 10,
        ..UserQuery::default()
    };
    for user in f.store.search_users(&query).await.unwrap() {
        let profile = ProfileUpdate {
            username: user.username.clone(),
            username_key: user.username.to_lowercase(),
            email: user.email.clone(),
            email_key: user.email.as_deref().map(str::to_lowercase),
            name: Some(format!("{} (named)", user.username)),
        };
        f.store
            .update_user_profile(user.id, &profile, T0)
            .await
            .unwrap();
        let read = f.store.user_by_id(user.id).await.unwrap().unwrap();
        assert_eq!(read.name, profile.name);
    }
    let event = NewAuditEvent::new(AuditKind::Registered, T0, &RequestContext::cli());
    f.store.append_audit(&event).await.unwrap();
    assert_eq!(
        f.store.count_audit(&AuditFilter::default()).await.unwrap(),
        1
    );
    let counter = f
        .store
        .hit("k", T0, T0 - Duration::minutes(1))
        .await
        .unwrap();
    assert_eq!(counter.hits, 1);
    let voided = f
        .store
        .void_email_tokens(
            portcullis_core::UserId(1),
            portcullis_core::TokenPurpose::Reset,
            T0,
        )
        .await
        .unwrap();
    assert_eq!(voided, 0);
}

pub async fn migration_0002_applies_on_top_of_0001_and_keeps_existing_users(f: &Fixture) {
    let old = f.unmigrated_sibling().await;
    migrate_to(&old.db, 1).await.unwrap();
    assert!(
        old.store
            .count_audit(&AuditFilter::default())
            .await
            .is_err(),
        "only 0001 is applied"
    );

    // An account as the previous release wrote it, with its columns only.
    const OLD_USER: &str = "INSERT INTO users (username, username_key, email, email_key, \
         password_hash, is_active, created_at, updated_at, current_login_at, login_count) \
         VALUES ('Old', 'old', 'old@example.com', 'old@example.com', '$argon2id$old', \
         TRUE, $1, $1, $1, 7) RETURNING id";
    let inserted: Result<i64, _> = match &old.db {
        Database::Sqlite(pool) => {
            let millis = T0_MS.unix_timestamp_nanos() / 1_000_000;
            sqlx::query_scalar(OLD_USER)
                .bind(i64::try_from(millis).unwrap())
                .fetch_one(pool)
                .await
        }
        Database::Postgres(pool) => {
            sqlx::query_scalar(OLD_USER)
                .bind(T0_MS)
                .fetch_one(pool)
                .await
        }
    };
    let id = UserId(inserted.unwrap());

    old.db.migrate().await.unwrap();
    old.db.migrate().await.unwrap();
    let user = old.store.user_by_id(id).await.unwrap().unwrap();
    assert_eq!(user.username, "Old");
    assert!(user.is_active);
    assert_eq!(user.created_at, T0_MS);
    assert_eq!(user.current_login_at, Some(T0_MS));
    assert_eq!(user.login_count, 7);
    assert_eq!(user.locked_until, None);
    assert_eq!(user.last_seen_at, None);
    assert_eq!(
        old.count("SELECT failed_logins FROM users WHERE id = $1", id.0)
            .await,
        0
    );
    assert_eq!(
        old.store
            .reserve_login_attempt(id, T0)
            .await
            .unwrap()
            .attempts,
        1
    );
    assert_works_at_the_latest_schema(&old).await;
    old.finish().await;
}

pub async fn migration_0004_applies_on_top_of_0002_and_keeps_existing_users(f: &Fixture) {
    let old = f.unmigrated_sibling().await;
    migrate_to(&old.db, 2).await.unwrap();
    assert!(
        old.store.role(ADMIN_ROLE).await.is_err(),
        "only 0001 and 0002 are applied"
    );
    // Accounts as the previous release wrote them, with its columns only.
    let alice = insert_0002_user(&old, "alice").await;
    let bob = insert_0002_user(&old, "bob").await;
    old.store.grant_role(alice, ADMIN_ROLE).await.unwrap();
    old.store
        .lock_user(bob, T0, T0 - time::Duration::hours(1))
        .await
        .unwrap();

    old.db.migrate().await.unwrap();
    old.db.migrate().await.unwrap();
    let read = old.store.user_by_id(alice).await.unwrap().unwrap();
    assert_eq!(read.name, None);
    assert_eq!(read.username, "alice");
    assert_eq!(
        old.store
            .user_by_id(bob)
            .await
            .unwrap()
            .unwrap()
            .locked_until,
        Some(T0_MS)
    );
    let mut expected: Vec<String> = ADMIN_PERMISSIONS.iter().map(|p| (*p).to_owned()).collect();
    expected.sort();
    assert_eq!(old.store.permissions_of(alice).await.unwrap(), expected);
    assert!(old.store.permissions_of(bob).await.unwrap().is_empty());
    let admins = UserQuery {
        role: Some(ADMIN_ROLE.into()),
        limit: 10,
        ..UserQuery::default()
    };
    let found = old.store.search_users(&admins).await.unwrap();
    assert_eq!(found.iter().map(|u| u.id).collect::<Vec<_>>(), [alice]);
    assert_works_at_the_latest_schema(&old).await;
    old.finish().await;
}

pub async fn migration_0006_rebuilds_email_tokens_and_keeps_every_link(f: &Fixture) {
    let old = f.unmigrated_sibling().await;
    migrate_to(&old.db, 5).await.unwrap();
    let alice = insert_0002_user(&old, "alice").await;
    let live = SecretToken::generate();
    let spent = SecretToken::generate();
    for (token, purpose) in [
        (&live, TokenPurpose::Reset),
        (&spent, TokenPurpose::Confirm),
    ] {
        old.store
            .issue_email_token(&portcullis_core::store::NewEmailToken {
                purpose,
                user_id: alice,
                token_hash: token.hash(),
                new_email: None,
                created_at: T0,
                expires_at: T0 + time::Duration::hours(1),
            })
            .await
            .unwrap();
    }
    old.store
        .redeem_email_token(&spent.hash(), TokenPurpose::Confirm, T0)
        .await
        .unwrap()
        .unwrap();
    old.db.migrate().await.unwrap();
    // The live link still works once, the spent one never, and the
    // account's links still go with it.
    let grant = old
        .store
        .peek_email_token(&live.hash(), TokenPurpose::Reset, T0)
        .await
        .unwrap();
    assert_eq!(grant.map(|g| g.user_id), Some(alice));
    assert!(
        old.store
            .redeem_email_token(&spent.hash(), TokenPurpose::Confirm, T0)
            .await
            .unwrap()
            .is_none()
    );
    old.store.delete_user(alice).await.unwrap();
    assert_eq!(
        old.count("SELECT COUNT(*) FROM email_tokens WHERE id > $1", 0)
            .await,
        0
    );
    assert_works_at_the_latest_schema(&old).await;
    old.finish().await;
}

pub async fn migration_0008_rebuilds_users_and_keeps_everything_that_hangs_off_them(f: &Fixture) {
    a_rebuild_of_users_keeps_everything_that_hangs_off_them(f, 7).await;
}

pub async fn migration_0013_rebuilds_users_and_keeps_everything_that_hangs_off_them(f: &Fixture) {
    a_rebuild_of_users_keeps_everything_that_hangs_off_them(f, 12).await;
}

/// Accounts with a session, a membership, a second factor and a link, at
/// schema `before`; the migrations after it (which rebuild `users` on
/// SQLite) keep all of it, and deleting an account still cascades.
async fn a_rebuild_of_users_keeps_everything_that_hangs_off_them(f: &Fixture, before: i64) {
    let old = f.unmigrated_sibling().await;
    migrate_to(&old.db, before).await.unwrap();
    let alice = insert_0002_user(&old, "alice").await;
    let bob = insert_0002_user(&old, "bob").await;
    old.store.grant_role(alice, ADMIN_ROLE).await.unwrap();
    let session = new_session(alice, T0, true);
    old.store.create_session(&session).await.unwrap();
    old.store.put_pending_totp(bob, "sealed", T0).await.unwrap();
    let link = SecretToken::generate();
    old.store
        .issue_email_token(&portcullis_core::store::NewEmailToken {
            purpose: TokenPurpose::Reset,
            user_id: bob,
            token_hash: link.hash(),
            new_email: None,
            created_at: T0,
            expires_at: T0 + Duration::hours(1),
        })
        .await
        .unwrap();

    old.db.migrate().await.unwrap();

    // Rebuilding the table cascaded into nothing: sessions, memberships,
    // second factors and links all survived, and people stayed people.
    let read = old.store.user_by_id(alice).await.unwrap().unwrap();
    assert_eq!(read.kind, AccountKind::Human);
    assert_eq!(read.email.as_deref(), Some("alice@example.com"));
    assert!(
        old.store
            .session_by_token(&session.token_hash)
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(old.store.roles_of(alice).await.unwrap().len(), 1);
    assert!(old.store.totp_of(bob).await.unwrap().is_some());
    assert!(
        old.store
            .peek_email_token(&link.hash(), TokenPurpose::Reset, T0)
            .await
            .unwrap()
            .is_some()
    );
    // Foreign keys are enforced again: deleting takes everything with it.
    old.store.delete_user(bob).await.unwrap();
    assert_eq!(
        old.count(
            "SELECT COUNT(*) FROM totp_credentials WHERE user_id > $1",
            0
        )
        .await,
        0
    );
    assert_eq!(
        old.count("SELECT COUNT(*) FROM email_tokens WHERE id > $1", 0)
            .await,
        0
    );
    assert_works_at_the_latest_schema(&old).await;
    old.finish().await;
}

pub async fn service_accounts_have_no_password_and_an_address_comes_with_its_key(f: &Fixture) {
    let service = |name: &str| {
        let mut new = new_user(name);
        new.kind = AccountKind::Service;
        new.email = None;
        new.email_key = None;
        new.password_hash = None;
        new
    };
    // Any number of services without an address: uniqueness holds only
    // for addresses that exist.
    let ci = f.store.create_user(&service("ci-bot")).await.unwrap();
    f.store.create_user(&service("backup-bot")).await.unwrap();
    assert_eq!(ci.kind, AccountKind::Service);
    assert_eq!(ci.email, None);
    let read = f.store.user_by_id(ci.id).await.unwrap().unwrap();
    assert_eq!(read, ci);

    // People imported from an app that kept no addresses have none, as
    // many as there are; an address never comes without its key.
    for name in ["carol", "dave"] {
        let mut addressless_person = new_user(name);
        addressless_person.email = None;
        addressless_person.email_key = None;
        let person = f.store.create_user(&addressless_person).await.unwrap();
        assert_eq!((person.kind, person.email), (AccountKind::Human, None));
    }
    let mut keyless = new_user("erin");
    keyless.email_key = None;
    assert!(f.store.create_user(&keyless).await.is_err());
    let mut service_with_password = service("deploy-bot");
    service_with_password.password_hash = Some("$argon2id$fake".into());
    assert!(f.store.create_user(&service_with_password).await.is_err());
    assert_eq!(f.store.count_users().await.unwrap(), 4);
}

/// Inserts `name` with the columns of schema 0002, created at [`T0_MS`].
async fn insert_0002_user(f: &Fixture, name: &'static str) -> UserId {
    const SQL: &str = "INSERT INTO users (username, username_key, email, email_key, \
         password_hash, is_active, created_at, updated_at, failed_logins) \
         VALUES ($1, $1, $1 || '@example.com', $1 || '@example.com', NULL, TRUE, $2, $2, 0) \
         RETURNING id";
    let inserted: Result<i64, _> = match &f.db {
        Database::Sqlite(pool) => {
            let millis = T0_MS.unix_timestamp_nanos() / 1_000_000;
            sqlx::query_scalar(SQL)
                .bind(name)
                .bind(i64::try_from(millis).unwrap())
                .fetch_one(pool)
                .await
        }
        Database::Postgres(pool) => {
            sqlx::query_scalar(SQL)
                .bind(name)
                .bind(T0_MS)
                .fetch_one(pool)
                .await
        }
    };
    UserId(inserted.unwrap())
}

pub async fn timestamps_round_trip_at_millisecond_precision(f: &Fixture) {
    let cases = [
        (
            datetime!(2026-11-21 10:00:00.000_999 UTC),
            datetime!(2026-11-21 10:00:00 UTC),
        ),
        (
            datetime!(2026-11-21 10:00:00.999_999_999 UTC),
            datetime!(2026-11-21 10:00:00.999 UTC),
        ),
        // Another offset is the same instant, stored and read back as UTC.
        (
            datetime!(2026-11-21 12:00:00.5 +02:00),
            datetime!(2026-11-21 10:00:00.5 UTC),
        ),
        (
            datetime!(1969-12-31 23:59:59.999_5 UTC),
            datetime!(1969-12-31 23:59:59.999 UTC),
        ),
        (
            datetime!(2999-01-01 00:00:00.001 UTC),
            datetime!(2999-01-01 00:00:00.001 UTC),
        ),
    ];
    for (i, (written, expected)) in cases.into_iter().enumerate() {
        let mut new = new_user(&format!("user{i}"));
        new.created_at = written;
        new.confirmed_at = Some(written);
        let user = f.store.create_user(&new).await.unwrap();
        let read = f.store.user_by_id(user.id).await.unwrap().unwrap();
        assert_eq!(read.created_at, expected, "case {i}");
        assert_eq!(read.confirmed_at, Some(expected), "case {i}");
        assert!(read.created_at.offset().is_utc(), "case {i}");

        // What was read back writes and reads back unchanged.
        let session = new_session(user.id, read.created_at, false);
        let stored = f.store.create_session(&session).await.unwrap();
        assert_eq!(stored.created_at, read.created_at, "case {i}");
        let again = f
            .store
            .session_by_token(&session.token_hash)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(again, stored, "case {i}");
    }
}

pub async fn the_database_answers_a_ping(f: &Fixture) {
    f.store.ping().await.unwrap();
}

pub async fn statistics_are_gathered_on_request(f: &Fixture) {
    f.user("alice").await;
    f.store.analyze().await.unwrap();
    let gathered = match &f.db {
        Database::Sqlite(_) => {
            f.count(
                "SELECT COUNT(*) FROM sqlite_stat1 WHERE tbl = 'users' AND $1 = $1",
                0,
            )
            .await
        }
        Database::Postgres(_) => {
            f.count(
                "SELECT COUNT(*) FROM pg_class WHERE relname = 'users' AND reltuples >= $1",
                1,
            )
            .await
        }
    };
    assert!(gathered >= 1, "no statistics for users");
}
