//! A fresh, migrated database per test, on either backend, plus the few raw
//! SQL helpers the contract needs where the traits have no method.

use portcullis_core::Store;
use portcullis_core::store::NewUser;
use portcullis_core::{AccountKind, SecretToken, Session, User, UserId};
use portcullis_store::testing::{TempSqliteFile, TestDatabase};
use portcullis_store::{Database, StoreConfig};
use std::sync::Arc;
use time::OffsetDateTime;
use time::macros::datetime;

/// A fixed instant with sub-millisecond digits, so truncation is exercised.
pub const T0: OffsetDateTime = datetime!(2026-11-21 10:00:00.123_456_789 UTC);

/// `T0` as the store keeps it.
pub const T0_MS: OffsetDateTime = datetime!(2026-11-21 10:00:00.123 UTC);

enum Guard {
    Sqlite(TempSqliteFile),
    Postgres(TestDatabase),
}

/// One test's database.
pub struct Fixture {
    pub db: Database,
    pub store: Arc<dyn Store>,
    pub config: StoreConfig,
    guard: Guard,
}

impl Fixture {
    /// A migrated SQLite file in a temporary directory.
    pub async fn sqlite() -> Self {
        let file = TempSqliteFile::new().expect("a temporary directory");
        Self::open(file.config(), Guard::Sqlite(file)).await
    }

    /// A migrated PostgreSQL database of its own, or `None` to skip.
    pub async fn postgres() -> Option<Self> {
        let pg = TestDatabase::create_if_available().await?;
        Some(Self::open(pg.config(), Guard::Postgres(pg)).await)
    }

    /// Another database on the same backend, connected but not migrated:
    /// for tests that set up an older schema themselves.
    pub async fn unmigrated_sibling(&self) -> Self {
        let (config, guard) = match &self.db {
            Database::Sqlite(_) => {
                let file = TempSqliteFile::new().expect("a temporary directory");
                (file.config(), Guard::Sqlite(file))
            }
            Database::Postgres(_) => {
                let pg = TestDatabase::create_if_available()
                    .await
                    .expect("the server this test already uses");
                (pg.config(), Guard::Postgres(pg))
            }
        };
        let db = Database::connect(&config).await.expect("connect");
        let store = db.store();
        Self {
            db,
            store,
            config,
            guard,
        }
    }

    async fn open(config: StoreConfig, guard: Guard) -> Self {
        let db = Database::connect(&config).await.expect("connect");
        db.migrate().await.expect("migrate");
        let store = db.store();
        Self {
            db,
            store,
            config,
            guard,
        }
    }

    /// Closes the pool and removes the database.
    pub async fn finish(self) {
        self.db.close().await;
        match self.guard {
            Guard::Sqlite(file) => drop(file),
            Guard::Postgres(pg) => pg.drop_database().await,
        }
    }

    /// Runs `sql` with one integer bind `$1`; returns rows affected.
    pub async fn execute(&self, sql: &'static str, arg: i64) -> u64 {
        let done = match &self.db {
            Database::Sqlite(pool) => sqlx::query(sql)
                .bind(arg)
                .execute(pool)
                .await
                .map(|d| d.rows_affected()),
            Database::Postgres(pool) => sqlx::query(sql)
                .bind(arg)
                .execute(pool)
                .await
                .map(|d| d.rows_affected()),
        };
        done.expect("raw SQL")
    }

    /// Runs a `SELECT COUNT(*) ...` with one integer bind `$1`.
    pub async fn count(&self, sql: &'static str, arg: i64) -> i64 {
        let count = match &self.db {
            Database::Sqlite(pool) => sqlx::query_scalar(sql).bind(arg).fetch_one(pool).await,
            Database::Postgres(pool) => sqlx::query_scalar(sql).bind(arg).fetch_one(pool).await,
        };
        count.expect("raw SQL")
    }

    /// Creates `name` (see [`new_user`]).
    pub async fn user(&self, name: &str) -> User {
        self.store
            .create_user(&new_user(name))
            .await
            .expect("create user")
    }

    /// Creates an ordinary session for `user` at `at`, lasting a day.
    pub async fn session(&self, user: UserId, at: OffsetDateTime, remember: bool) -> Session {
        self.store
            .create_session(&new_session(user, at, remember))
            .await
            .expect("create session")
    }
}

/// An active, unconfirmed account `name` / `name@example.com`, created at
/// [`T0`], with a fake hash.
pub fn new_user(name: &str) -> NewUser {
    let email = format!("{name}@example.com");
    NewUser {
        username: name.to_owned(),
        username_key: name.to_lowercase(),
        email_key: Some(email.to_lowercase()),
        email: Some(email),
        kind: AccountKind::Human,
        password_hash: Some(format!("$argon2id$fake${name}")),
        is_active: true,
        confirmed_at: None,
        created_at: T0,
    }
}

/// A session for `user` created at `at`, expiring a day later.
pub fn new_session(
    user: UserId,
    at: OffsetDateTime,
    remember: bool,
) -> portcullis_core::store::NewSession {
    portcullis_core::store::NewSession {
        token_hash: SecretToken::generate().hash(),
        user_id: user,
        created_at: at,
        expires_at: at + time::Duration::days(1),
        remember,
        ip: Some("192.0.2.1".into()),
        user_agent: Some("contract-test".into()),
        assurance: portcullis_core::domain::session::Assurance::Password,
        authenticated_at: at,
    }
}
