//! The one handle the binary holds: a connection pool on either backend, which
//! opens, migrates, hands out the [`Store`] and closes.

use crate::config::{Backend, OpenError, StoreConfig, redact};
use crate::exec::Exec;
use crate::{postgres, sqlite};
use portcullis_core::Store;
use sqlx::postgres::PgPool;
use sqlx::sqlite::SqlitePool;
use std::sync::Arc;

/// An open connection pool. Cloning is cheap and shares the pool.
///
/// The variants are public so that tests and maintenance tools can run SQL of
/// their own; the application goes through [`Database::store`].
///
/// ```
/// # async fn demo() -> Result<(), portcullis_store::OpenError> {
/// use portcullis_core::store::UserStore as _;
/// use portcullis_store::{Database, StoreConfig};
///
/// let db = Database::connect(&StoreConfig::new("sqlite::memory:")).await?;
/// db.migrate().await?;
/// let store = db.store();
/// assert_eq!(store.count_users().await.ok(), Some(0));
/// assert_eq!(db.backend(), "sqlite");
/// db.close().await;
/// # Ok(())
/// # }
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(demo()).unwrap();
/// ```
#[derive(Debug, Clone)]
pub enum Database {
    /// A SQLite file (WAL, foreign keys on) or in-memory database.
    Sqlite(SqlitePool),
    /// A PostgreSQL database, shareable by many Portcullis instances.
    Postgres(PgPool),
}

impl Database {
    /// Opens a pool on `config.url`.
    ///
    /// SQLite files are created if missing and opened with the WAL journal,
    /// `foreign_keys = ON`, a 5 s busy timeout and `synchronous = NORMAL`
    /// (durable at every checkpoint, and safe from corruption, under WAL).
    /// The URL scheme picks the backend; anything but `sqlite:`,
    /// `postgres:` or `postgresql:` is [`OpenError::UnsupportedUrl`].
    pub async fn connect(config: &StoreConfig) -> Result<Self, OpenError> {
        let backend = Backend::of(&config.url)
            .ok_or_else(|| OpenError::UnsupportedUrl(redact(&config.url)))?;
        let connect_error = |reason| OpenError::Connect {
            backend: backend.name(),
            url: redact(&config.url),
            reason,
            hint: backend.hint(),
        };
        let database = match backend {
            Backend::Sqlite => sqlite::connect(&config.url, config.max_connections)
                .await
                .map(Self::Sqlite)
                .map_err(connect_error)?,
            Backend::Postgres => postgres::connect(&config.url, config.max_connections)
                .await
                .map(Self::Postgres)
                .map_err(connect_error)?,
        };
        tracing::info!(
            backend = backend.name(),
            url = %redact(&config.url),
            max_connections = config.max_connections,
            "database connected"
        );
        Ok(database)
    }

    /// Applies the migrations embedded for this backend that the database
    /// has not seen yet, refusing a database a newer release migrated; see
    /// [`Database::migrate_with`].
    pub async fn migrate(&self) -> Result<(), OpenError> {
        self.migrate_with(false).await
    }

    /// The storage the services use, sharing this pool.
    pub fn store(&self) -> Arc<dyn Store> {
        match self {
            Self::Sqlite(pool) => Arc::new(sqlite::SqliteStore {
                exec: Exec::Pool(pool.clone()),
            }),
            Self::Postgres(pool) => Arc::new(postgres::PgStore {
                exec: Exec::Pool(pool.clone()),
            }),
        }
    }

    /// Connections the pool holds, and how many of them are idle.
    pub fn pool_use(&self) -> (u32, usize) {
        match self {
            Self::Sqlite(pool) => (pool.size(), pool.num_idle()),
            Self::Postgres(pool) => (pool.size(), pool.num_idle()),
        }
    }

    /// `"sqlite"` or `"postgres"`, for logs and metrics labels.
    pub fn backend(&self) -> &'static str {
        match self {
            Self::Sqlite(_) => Backend::Sqlite.name(),
            Self::Postgres(_) => Backend::Postgres.name(),
        }
    }

    /// Closes the pool, waiting for connections in use to be returned. Stores
    /// from [`Database::store`] fail from then on.
    pub async fn close(&self) {
        match self {
            Self::Sqlite(pool) => pool.close().await,
            Self::Postgres(pool) => pool.close().await,
        }
    }
}
