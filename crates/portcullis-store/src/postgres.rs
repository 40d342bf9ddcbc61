//! The PostgreSQL backend: how a pool is opened, its embedded migrations, and
//! how its constraint names map to fields. The statements themselves are
//! shared (see `store_impl`).

use crate::exec::Exec;
use crate::store_impl::impl_store;
use portcullis_core::UniqueField;
use sqlx::ConnectOptions as _;
use sqlx::Connection as _;
use sqlx::error::DatabaseError;
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use std::str::FromStr;
use std::time::Duration;

/// The PostgreSQL schema, embedded at build time.
pub(crate) static MIGRATOR: Migrator = sqlx::migrate!("migrations/postgres");

/// How long to wait for a connection before reporting the database as down:
/// long enough for a server that is starting, short enough for a health check.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

/// A pooled connection idle for longer than this is pinged before use.
const PING_IF_IDLE_FOR: Duration = Duration::from_secs(60);

/// The store over a PostgreSQL pool, or one of its transactions.
#[derive(Debug, Clone)]
pub(crate) struct PgStore {
    pub(crate) exec: Exec<sqlx::Postgres>,
}

impl_store!(
    store = PgStore,
    db = sqlx::Postgres,
    unique_field_of = unique_field_of,
    begin = begin,
);

/// A READ COMMITTED transaction: each statement sees what was committed
/// before it ran, and the row locks the services take first (see
/// `RoleStore::lock_role`) make the checks after them see fresh data.
async fn begin(pool: &PgPool) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, sqlx::Error> {
    pool.begin().await
}

/// Opens a pool on a `postgres://` or `postgresql://` URL.
pub(crate) async fn connect(url: &str, max_connections: u32) -> Result<PgPool, sqlx::Error> {
    let options = PgConnectOptions::from_str(url)?;
    // One connection on its own first: the pool would retry a refused
    // connection until ACQUIRE_TIMEOUT and then say only "pool timed out".
    // A server that is not there (or refuses these credentials) is reported
    // at once, in its own words. Once started, the pool's patience holds.
    let first = tokio::time::timeout(ACQUIRE_TIMEOUT, options.connect())
        .await
        .map_err(|_| {
            sqlx::Error::Io(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                format!("no answer within {} s", ACQUIRE_TIMEOUT.as_secs()),
            ))
        })??;
    // Only a probe: a failure to say goodbye is no reason not to start.
    let _ = first.close().await;
    PgPoolOptions::new()
        .max_connections(max_connections.max(1))
        .acquire_timeout(ACQUIRE_TIMEOUT)
        // sqlx's default pings every connection before every query: one more
        // round trip to the server per statement. sqlx checks a connection
        // when it comes back to the pool anyway, so only one that has sat
        // idle for a while (and may have been cut meanwhile) is pinged.
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                // One whose COMMIT failed halfway is not reused (see sqlite).
                if sqlx::Connection::is_in_transaction(conn) {
                    return Ok(false);
                }
                if meta.idle_for > PING_IF_IDLE_FOR {
                    conn.ping().await?;
                }
                Ok(true)
            })
        })
        .connect_with(options)
        .await
}

/// PostgreSQL reports the constraint by name; the names are fixed by the
/// migrations.
fn unique_field_of(err: &dyn DatabaseError) -> UniqueField {
    match err.constraint() {
        Some("users_username_key_unique") => UniqueField::Username,
        Some("users_email_key_unique") => UniqueField::Email,
        _ => UniqueField::Other,
    }
}
