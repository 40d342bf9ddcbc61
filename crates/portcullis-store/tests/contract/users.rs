//! Accounts: creation, uniqueness, credential lookup, login tracking, paging.

use crate::harness::{Fixture, T0, T0_MS, new_user};
use portcullis_core::AccountKind;
use portcullis_core::store::NewUser;
use portcullis_core::{StoreError, UniqueField, UserId};
use time::Duration;
use time::macros::datetime;

pub async fn creating_and_fetching_a_user_round_trips_every_field(f: &Fixture) {
    let new = NewUser {
        username: "Alice".into(),
        username_key: "alice".into(),
        email: Some("Alice@Example.com".into()),
        email_key: Some("alice@example.com".into()),
        kind: AccountKind::Human,
        password_hash: None,
        is_active: false,
        confirmed_at: Some(datetime!(2026-11-21 11:00:00.999_999 UTC)),
        created_at: T0,
    };
    let created = f.store.create_user(&new).await.unwrap();

    assert!(created.id.0 > 0);
    assert_eq!(created.username, "Alice");
    assert_eq!(created.email.as_deref(), Some("Alice@Example.com"));
    assert_eq!(created.kind, AccountKind::Human);
    assert_eq!(created.name, None);
    assert!(!created.is_active);
    assert_eq!(
        created.confirmed_at,
        Some(datetime!(2026-11-21 11:00:00.999 UTC))
    );
    assert_eq!(created.created_at, T0_MS);
    assert_eq!(created.last_login_at, None);
    assert_eq!(created.last_login_ip, None);
    assert_eq!(created.current_login_at, None);
    assert_eq!(created.current_login_ip, None);
    assert_eq!(created.login_count, 0);
    assert_eq!(created.locked_until, None);
    assert_eq!(created.last_seen_at, None);

    let fetched = f.store.user_by_id(created.id).await.unwrap();
    assert_eq!(fetched, Some(created.clone()));
    assert_eq!(
        f.store.user_by_id(UserId(created.id.0 + 1)).await.unwrap(),
        None
    );

    let credential = f.store.credential_by_login("alice").await.unwrap().unwrap();
    assert_eq!(credential.user, created);
    assert_eq!(credential.password_hash, None);
}

pub async fn usernames_are_unique_regardless_of_case(f: &Fixture) {
    f.user("alice").await;
    let mut other = new_user("ALICE");
    other.email = Some("someone-else@example.com".into());
    other.email_key = other.email.clone();

    let err = f.store.create_user(&other).await.unwrap_err();
    assert!(
        matches!(err, StoreError::Conflict(UniqueField::Username)),
        "{err:?}"
    );
    assert_eq!(f.store.count_users().await.unwrap(), 1);
}

pub async fn emails_are_unique_regardless_of_case(f: &Fixture) {
    f.user("alice").await;
    let mut other = new_user("bob");
    other.email = Some("ALICE@example.COM".into());
    other.email_key = Some("alice@example.com".into());

    let err = f.store.create_user(&other).await.unwrap_err();
    assert!(
        matches!(err, StoreError::Conflict(UniqueField::Email)),
        "{err:?}"
    );
    assert_eq!(f.store.count_users().await.unwrap(), 1);
}

pub async fn concurrent_registrations_of_the_same_key_yield_exactly_one_success(f: &Fixture) {
    let attempts = (0..8).map(|i| {
        let store = f.store.clone();
        // Same username key, distinct emails: only the username can collide.
        let mut new = new_user(if i % 2 == 0 { "Racer" } else { "racer" });
        new.email = Some(format!("racer{i}@example.com"));
        new.email_key = new.email.clone();
        tokio::spawn(async move { store.create_user(&new).await })
    });
    let mut successes = 0;
    for attempt in attempts.collect::<Vec<_>>() {
        match attempt.await.unwrap() {
            Ok(_) => successes += 1,
            Err(StoreError::Conflict(UniqueField::Username)) => {}
            Err(other) => panic!("unexpected error: {other:?}"),
        }
    }
    assert_eq!(successes, 1);
    assert_eq!(f.store.count_users().await.unwrap(), 1);
}

pub async fn credential_lookup_finds_by_username_key_and_by_email_key_and_returns_the_hash(
    f: &Fixture,
) {
    let alice = f.user("Alice").await;

    let by_name = f.store.credential_by_login("alice").await.unwrap().unwrap();
    assert_eq!(by_name.user, alice);
    assert_eq!(
        by_name.password_hash.as_deref(),
        Some("$argon2id$fake$Alice")
    );

    let by_email = f
        .store
        .credential_by_login("alice@example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(by_email.user, alice);
    assert_eq!(by_email.password_hash, by_name.password_hash);
}

pub async fn credential_lookup_prefers_a_username_match_over_an_email_match(f: &Fixture) {
    // Usernames cannot hold '@' in practice, but the store must not rely on it.
    let mut owner_of_email = new_user("carol");
    owner_of_email.email_key = Some("dave".into());
    let carol = f.store.create_user(&owner_of_email).await.unwrap();
    let dave = f.user("dave").await;

    let found = f.store.credential_by_login("dave").await.unwrap().unwrap();
    assert_eq!(found.user.id, dave.id);
    assert_ne!(found.user.id, carol.id);
}

pub async fn an_unknown_login_finds_no_credential(f: &Fixture) {
    f.user("alice").await;
    assert!(
        f.store
            .credential_by_login("mallory")
            .await
            .unwrap()
            .is_none()
    );
    assert!(f.store.credential_by_login("").await.unwrap().is_none());
}

pub async fn record_login_shifts_current_to_last_and_counts(f: &Fixture) {
    let alice = f.user("alice").await;
    let first = T0 + Duration::hours(1);
    let second = T0 + Duration::hours(2);

    f.store
        .record_login(alice.id, first, Some("192.0.2.1"))
        .await
        .unwrap();
    let after_one = f.store.user_by_id(alice.id).await.unwrap().unwrap();
    assert_eq!(after_one.login_count, 1);
    assert_eq!(after_one.current_login_at, Some(T0_MS + Duration::hours(1)));
    assert_eq!(after_one.current_login_ip.as_deref(), Some("192.0.2.1"));
    assert_eq!(after_one.last_login_at, None);
    assert_eq!(after_one.last_login_ip, None);

    f.store.record_login(alice.id, second, None).await.unwrap();
    let after_two = f.store.user_by_id(alice.id).await.unwrap().unwrap();
    assert_eq!(after_two.login_count, 2);
    assert_eq!(after_two.last_login_at, Some(T0_MS + Duration::hours(1)));
    assert_eq!(after_two.last_login_ip.as_deref(), Some("192.0.2.1"));
    assert_eq!(after_two.current_login_at, Some(T0_MS + Duration::hours(2)));
    assert_eq!(after_two.current_login_ip, None);
}

pub async fn set_password_hash_replaces_it(f: &Fixture) {
    let alice = f.user("alice").await;
    f.store
        .set_password_hash(alice.id, "$argon2id$new", T0)
        .await
        .unwrap();

    let credential = f.store.credential_by_login("alice").await.unwrap().unwrap();
    assert_eq!(credential.password_hash.as_deref(), Some("$argon2id$new"));
}

pub async fn updating_a_missing_user_is_not_found(f: &Fixture) {
    let ghost = UserId(4242);
    let err = f
        .store
        .set_password_hash(ghost, "$argon2id$x", T0)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "{err:?}");
    let err = f.store.record_login(ghost, T0, None).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "{err:?}");
    let err = f.store.reserve_login_attempt(ghost, T0).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "{err:?}");
    assert!(!f.store.lock_account(ghost).await.unwrap());
    let err = f.store.unlock_user(ghost).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "{err:?}");
    let err = f.store.set_active(ghost, false, T0).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "{err:?}");
    let err = f.store.touch_user(ghost, T0).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "{err:?}");
}

pub async fn list_users_pages_in_id_order_and_count_users_counts(f: &Fixture) {
    assert_eq!(f.store.count_users().await.unwrap(), 0);
    assert!(f.store.list_users(0, 10).await.unwrap().is_empty());

    // Created in non-alphabetical order: paging must follow ids, not names.
    let mut created = Vec::new();
    for name in ["zed", "amy", "mia", "bob", "kim"] {
        created.push(f.user(name).await.id);
    }
    assert_eq!(f.store.count_users().await.unwrap(), 5);

    let ids =
        |users: Vec<portcullis_core::User>| users.into_iter().map(|u| u.id).collect::<Vec<_>>();
    assert_eq!(ids(f.store.list_users(0, 2).await.unwrap()), created[0..2]);
    assert_eq!(ids(f.store.list_users(2, 2).await.unwrap()), created[2..4]);
    assert_eq!(ids(f.store.list_users(4, 2).await.unwrap()), created[4..]);
    assert!(f.store.list_users(5, 2).await.unwrap().is_empty());
    assert_eq!(ids(f.store.list_users(-3, 100).await.unwrap()), created);
    assert!(f.store.list_users(0, -1).await.unwrap().is_empty());
}

pub async fn deleting_a_user_cascades_to_its_sessions_and_role_grants(f: &Fixture) {
    let alice = f.user("alice").await;
    let bob = f.user("bob").await;
    f.store.grant_role(alice.id, "admin").await.unwrap();
    f.store.grant_role(bob.id, "admin").await.unwrap();
    f.session(alice.id, T0, false).await;
    f.session(bob.id, T0, false).await;

    // Deleting by hand, as an operator might: the schema itself cascades.
    assert_eq!(
        f.execute("DELETE FROM users WHERE id = $1", alice.id.0)
            .await,
        1
    );

    assert_eq!(f.store.user_by_id(alice.id).await.unwrap(), None);
    assert_eq!(
        f.count(
            "SELECT COUNT(*) FROM sessions WHERE user_id = $1",
            alice.id.0
        )
        .await,
        0
    );
    assert_eq!(
        f.count(
            "SELECT COUNT(*) FROM user_roles WHERE user_id = $1",
            alice.id.0
        )
        .await,
        0
    );
    assert!(f.store.roles_of(alice.id).await.unwrap().is_empty());
    assert_eq!(
        f.count("SELECT COUNT(*) FROM sessions WHERE user_id = $1", bob.id.0)
            .await,
        1
    );
    assert_eq!(f.store.roles_of(bob.id).await.unwrap().len(), 1);
}
