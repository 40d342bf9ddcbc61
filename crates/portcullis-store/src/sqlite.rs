//! The SQLite backend: how a pool is opened (pragmas, in-memory databases),
//! its embedded migrations, and how its unique-violation messages name a
//! field. The statements themselves are shared (see `store_impl`).

use crate::exec::Exec;
use crate::store_impl::impl_store;
use portcullis_core::UniqueField;
use sqlx::error::DatabaseError;
use sqlx::migrate::Migrator;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use std::str::FromStr;
use std::time::Duration;

/// The SQLite schema, embedded at build time.
pub(crate) static MIGRATOR: Migrator = sqlx::migrate!("migrations/sqlite");

/// How long a writer waits for another one before giving up. Writes here are
/// single short statements, so this is only reached when something is wrong.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The store over a SQLite pool, or one of its transactions.
#[derive(Debug, Clone)]
pub(crate) struct SqliteStore {
    pub(crate) exec: Exec<sqlx::Sqlite>,
}

impl_store!(
    store = SqliteStore,
    db = sqlx::Sqlite,
    unique_field_of = unique_field_of,
    begin = begin,
);

/// `BEGIN IMMEDIATE`: the write lock is taken at once. A deferred
/// transaction that reads first and writes later would fail with
/// `SQLITE_BUSY` at its first write if another writer committed meanwhile,
/// which no busy timeout can wait out.
async fn begin(pool: &SqlitePool) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>, sqlx::Error> {
    pool.begin_with("BEGIN IMMEDIATE").await
}

/// Opens a pool on `url` (`sqlite://path`, `sqlite:path` or `sqlite::memory:`),
/// creating the file if it is missing.
pub(crate) async fn connect(url: &str, max_connections: u32) -> Result<SqlitePool, sqlx::Error> {
    let options = SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        .foreign_keys(true)
        .busy_timeout(BUSY_TIMEOUT)
        .synchronous(SqliteSynchronous::Normal);
    let in_memory = is_in_memory(url);
    // WAL needs a file; an in-memory database keeps its own journal mode.
    let options = if in_memory {
        options
    } else {
        options.journal_mode(SqliteJournalMode::Wal)
    };
    // No liveness ping before each use: a connection to a local file cannot
    // drop, and sqlx's default ping is a round trip to the connection's
    // worker thread before every query (sqlx still checks each connection
    // when it comes back to the pool).
    let pool = SqlitePoolOptions::new()
        .max_connections(max_connections.max(1))
        .test_before_acquire(false);
    // An in-memory database lives only as long as some connection to it: keep
    // one open for the life of the pool, or an idle pool would lose all data.
    let pool = if in_memory {
        pool.min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
    } else {
        // A COMMIT that failed (disk full, I/O error) leaves sqlx counting
        // an open transaction on that connection, and its ROLLBACK fails
        // too once SQLite has rolled back by itself: every later BEGIN on it
        // would fail. Such a connection is closed instead of reused (by
        // acquire time the rollback queued at release has run, so a
        // connection still in a transaction is one of those). Not for an
        // in-memory database, whose data lives in its one connection.
        pool.before_acquire(|conn, _| {
            Box::pin(async move { Ok(!sqlx::Connection::is_in_transaction(conn)) })
        })
    };
    pool.connect_with(options).await
}

fn is_in_memory(url: &str) -> bool {
    url.contains(":memory:") || url.contains("mode=memory")
}

/// SQLite names the columns, not the constraint:
/// `UNIQUE constraint failed: users.username_key`.
fn unique_field_of(err: &dyn DatabaseError) -> UniqueField {
    let message = err.message();
    if message.contains("users.username_key") {
        UniqueField::Username
    } else if message.contains("users.email_key") {
        UniqueField::Email
    } else {
        UniqueField::Other
    }
}
