//! Throwaway databases for tests, behind the `testing` feature: a uniquely
//! named PostgreSQL database per test ([`TestDatabase`]) and a SQLite file in
//! a temporary directory ([`TempSqliteFile`]), both removed afterwards; and
//! [`migrate_to`], to set up a database as an older release left it.
//!
//! Unlike the rest of this crate, this module reads environment variables:
//! it serves test suites, which have no configuration of their own.
//!
//! - `PORTCULLIS_TEST_POSTGRES_URL`: a URL with the right to create and drop
//!   databases (default [`DEFAULT_POSTGRES_URL`]).
//! - `CI`: when set (to anything but empty, `0` or `false`), an unreachable
//!   PostgreSQL fails the test instead of skipping it.
//!
//! ```no_run
//! # async fn demo() {
//! use portcullis_store::testing::TestDatabase;
//! use portcullis_store::Database;
//!
//! let Some(pg) = TestDatabase::create_if_available().await else {
//!     return; // no PostgreSQL here, and not in CI: skip
//! };
//! let db = Database::connect(&pg.config()).await.expect("connect");
//! db.migrate().await.expect("migrate");
//! // ... the test ...
//! db.close().await;
//! pg.drop_database().await;
//! # }
//! ```

use crate::{Database, StoreConfig};
use sqlx::{AssertSqlSafe, Connection, Executor, PgConnection};
use std::path::{Path, PathBuf};
use std::time::Duration;
use url::Url;

/// Applies this backend's migrations up to and including `version`, and no
/// further, as an older release would have left the database. For tests of
/// a later migration on a database that already holds data;
/// [`Database::migrate`] then applies the rest.
pub async fn migrate_to(db: &Database, version: i64) -> Result<(), sqlx::migrate::MigrateError> {
    match db {
        Database::Sqlite(pool) => crate::sqlite::MIGRATOR.run_to(version, pool).await,
        Database::Postgres(pool) => crate::postgres::MIGRATOR.run_to(version, pool).await,
    }
}

/// Environment variable naming the PostgreSQL server used by tests.
pub const POSTGRES_URL_VAR: &str = "PORTCULLIS_TEST_POSTGRES_URL";

/// The server tests use when [`POSTGRES_URL_VAR`] is not set.
pub const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// Longest wait for the test server to answer before declaring it absent.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Whether the tests run in CI, where a missing PostgreSQL is a failure.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !matches!(v.trim(), "" | "0" | "false"))
}

/// The URL of a PostgreSQL server tests may create databases on, or `None`
/// if none answers. Under `CI` an unreachable server panics instead: there, a
/// missing PostgreSQL must fail the build, not silently skip half the suite.
pub async fn postgres_admin_url() -> Option<String> {
    let url = std::env::var(POSTGRES_URL_VAR).unwrap_or_else(|_| DEFAULT_POSTGRES_URL.to_owned());
    match admin_connection(&url).await {
        Ok(conn) => {
            // Closing is a courtesy to the server; the answer is already known.
            let _ = conn.close().await;
            Some(url)
        }
        Err(err) if in_ci() => panic!(
            "PostgreSQL is required when CI is set, but {} did not answer: {err}. \
             Start it, or point {POSTGRES_URL_VAR} at one.",
            crate::config::redact(&url)
        ),
        Err(_) => None,
    }
}

async fn admin_connection(url: &str) -> Result<PgConnection, sqlx::Error> {
    match tokio::time::timeout(CONNECT_TIMEOUT, PgConnection::connect(url)).await {
        Ok(result) => result,
        Err(_) => Err(sqlx::Error::PoolTimedOut),
    }
}

/// A PostgreSQL database created for one test, named
/// `portcullis_test_<uuid>`. Call [`TestDatabase::drop_database`] at the end;
/// if the test panics first, `Drop` removes the database anyway.
#[derive(Debug)]
pub struct TestDatabase {
    admin_url: String,
    name: String,
    url: String,
    dropped: bool,
}

impl TestDatabase {
    /// Creates a fresh, empty database on the server at `admin_url`.
    pub async fn create(admin_url: &str) -> Result<Self, sqlx::Error> {
        let name = format!("portcullis_test_{}", uuid::Uuid::new_v4().simple());
        let mut url =
            Url::parse(admin_url).map_err(|err| sqlx::Error::Configuration(Box::new(err)))?;
        url.set_path(&format!("/{name}"));
        let mut conn = admin_connection(admin_url).await?;
        // The name is ours (hex digits), not input, so formatting it in is safe.
        conn.execute(AssertSqlSafe(format!(r#"CREATE DATABASE "{name}""#)))
            .await?;
        let _ = conn.close().await;
        Ok(Self {
            admin_url: admin_url.to_owned(),
            name,
            url: url.to_string(),
            dropped: false,
        })
    }

    /// A fresh database on the server from [`postgres_admin_url`], or `None`
    /// (after saying so on stderr) when there is none and not in CI.
    ///
    /// # Panics
    /// If the server answers but refuses to create the database.
    pub async fn create_if_available() -> Option<Self> {
        let Some(admin_url) = postgres_admin_url().await else {
            eprintln!(
                "skipping: no PostgreSQL at {} (set {POSTGRES_URL_VAR}; under CI this fails)",
                crate::config::redact(
                    &std::env::var(POSTGRES_URL_VAR)
                        .unwrap_or_else(|_| DEFAULT_POSTGRES_URL.into())
                )
            );
            return None;
        };
        match Self::create(&admin_url).await {
            Ok(db) => Some(db),
            Err(err) => panic!("PostgreSQL answered but could not create a test database: {err}"),
        }
    }

    /// The database's URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The database's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A [`StoreConfig`] for this database with a small pool.
    pub fn config(&self) -> StoreConfig {
        StoreConfig {
            url: self.url.clone(),
            max_connections: 5,
        }
    }

    /// Drops the database, ending any connection still open on it.
    pub async fn drop_database(mut self) {
        self.dropped = true;
        if let Err(err) = drop_database(&self.admin_url, &self.name).await {
            eprintln!("warning: could not drop test database {}: {err}", self.name);
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if self.dropped {
            return;
        }
        // Drop cannot await, and may run inside (or after) the test's runtime:
        // use a fresh thread with a runtime of its own.
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        let outcome = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(sqlx::Error::from)?;
            runtime.block_on(drop_database(&admin_url, &name))
        })
        .join();
        if !matches!(outcome, Ok(Ok(()))) {
            eprintln!("warning: could not drop test database {}", self.name);
        }
    }
}

async fn drop_database(admin_url: &str, name: &str) -> Result<(), sqlx::Error> {
    let mut conn = admin_connection(admin_url).await?;
    conn.execute(AssertSqlSafe(format!(
        r#"DROP DATABASE IF EXISTS "{name}" WITH (FORCE)"#
    )))
    .await?;
    let _ = conn.close().await;
    Ok(())
}

/// A SQLite database file in a new temporary directory, which is removed
/// (with the file and its WAL files) when this value is dropped. Close pools
/// on it first.
#[derive(Debug)]
pub struct TempSqliteFile {
    dir: PathBuf,
    url: String,
}

impl TempSqliteFile {
    /// Creates the directory; the database file is created on first connect.
    pub fn new() -> std::io::Result<Self> {
        let dir =
            std::env::temp_dir().join(format!("portcullis-test-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir(&dir)?;
        let url = format!("sqlite://{}", dir.join("portcullis.db").display());
        Ok(Self { dir, url })
    }

    /// `sqlite://<dir>/portcullis.db`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The temporary directory holding the database.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// A [`StoreConfig`] for this file with a small pool.
    pub fn config(&self) -> StoreConfig {
        StoreConfig {
            url: self.url.clone(),
            max_connections: 5,
        }
    }
}

impl Drop for TempSqliteFile {
    fn drop(&mut self) {
        // Best effort: a leftover directory in the temp dir harms nothing.
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
