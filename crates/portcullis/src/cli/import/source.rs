//! A Flask app's database, opened read-only from the SQLAlchemy URL its
//! configuration has, and read as text: every value is cast to text in the
//! query, so a boolean, a timestamp, an enum or a BLOB of a bcrypt hash
//! reads the same way on SQLite and PostgreSQL.

use super::mapping::Tables;
use anyhow::{Context as _, bail};
use sqlx::Row as _;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use sqlx::{PgPool, SqlitePool};
use std::path::PathBuf;
use std::str::FromStr as _;

/// One row: each selected column as text, `None` for NULL.
pub type Row = Vec<Option<String>>;

/// An open source database.
pub enum Source {
    /// A SQLite file, opened read-only.
    Sqlite(SqlitePool),
    /// A PostgreSQL database, in read-only transactions.
    Postgres(PgPool),
}

/// The file a SQLAlchemy SQLite URL names: `sqlite:///relative/path.db`
/// (relative to the working directory, as Flask-SQLAlchemy 2 read it) or
/// `sqlite:////absolute/path.db`; a query string is ignored.
pub fn sqlite_path(url: &str) -> anyhow::Result<PathBuf> {
    let rest = url
        .strip_prefix("sqlite:///")
        .with_context(|| format!("{url:?} is not a SQLAlchemy SQLite URL (sqlite:///path)"))?;
    let path = rest.split('?').next().unwrap_or_default();
    if path.is_empty() || path == ":memory:" {
        bail!("{url:?} names no file");
    }
    Ok(PathBuf::from(path))
}

impl Source {
    /// Opens the database `url` names, in SQLAlchemy's form
    /// (`sqlite:///app.db`, `postgresql://…`, `postgresql+psycopg2://…`,
    /// `postgres://…`).
    pub async fn open(url: &str) -> anyhow::Result<Source> {
        if url.starts_with("sqlite:") {
            let path = sqlite_path(url)?;
            if !path.is_file() {
                bail!("there is no SQLite database at {}", path.display());
            }
            let options = SqliteConnectOptions::new()
                .filename(&path)
                .read_only(true)
                .immutable(false);
            let pool = SqlitePoolOptions::new()
                .max_connections(1)
                .connect_with(options)
                .await
                .with_context(|| format!("could not open {}", path.display()))?;
            return Ok(Source::Sqlite(pool));
        }
        let Some((scheme, rest)) = url.split_once("://") else {
            bail!("{url:?} is not a database URL");
        };
        let dialect = scheme.split('+').next().unwrap_or_default();
        if !matches!(dialect, "postgresql" | "postgres") {
            bail!(
                "the {dialect:?} database is not supported; export the users as CSV or JSON \
                 Lines and use `portcullis import csv|jsonl`"
            );
        }
        let options = PgConnectOptions::from_str(&format!("postgres://{rest}"))
            .context("the PostgreSQL URL is not valid")?
            .options([("default_transaction_read_only", "on")]);
        let pool = PgPoolOptions::new()
            .max_connections(1)
            .connect_with(options)
            .await
            .context("could not connect to the PostgreSQL database")?;
        Ok(Source::Postgres(pool))
    }

    /// Every table of the database (PostgreSQL: of the search path's
    /// first schema) with its columns.
    pub async fn tables(&self) -> anyhow::Result<Tables> {
        let mut tables = Tables::new();
        match self {
            Source::Sqlite(pool) => {
                let names: Vec<String> = sqlx::query_scalar(
                    "SELECT name FROM sqlite_master WHERE type = 'table' \
                     AND name NOT LIKE 'sqlite_%'",
                )
                .fetch_all(pool)
                .await?;
                for name in names {
                    let columns: Vec<String> =
                        sqlx::query_scalar("SELECT name FROM pragma_table_info(?1)")
                            .bind(&name)
                            .fetch_all(pool)
                            .await?;
                    tables.insert(name, columns.into_iter().collect());
                }
            }
            Source::Postgres(pool) => {
                let rows: Vec<(String, String)> = sqlx::query_as(
                    "SELECT table_name::text, column_name::text FROM information_schema.columns \
                     WHERE table_schema = current_schema()",
                )
                .fetch_all(pool)
                .await?;
                for (table, column) in rows {
                    tables.entry(table).or_default().insert(column);
                }
            }
        }
        Ok(tables)
    }

    /// `columns` of every row of `table`, as text, in key order (the
    /// first column).
    pub async fn rows(&self, table: &str, columns: &[&str]) -> anyhow::Result<Vec<Row>> {
        let list: Vec<String> = columns
            .iter()
            .map(|c| format!("CAST({} AS TEXT)", quote(c)))
            .collect();
        let sql = format!(
            "SELECT {} FROM {} ORDER BY {}",
            list.join(", "),
            quote(table),
            quote(columns.first().copied().unwrap_or("id"))
        );
        let width = columns.len();
        let read = |get: &dyn Fn(usize) -> Result<Option<String>, sqlx::Error>| {
            (0..width).map(get).collect::<Result<Row, _>>()
        };
        let rows = match self {
            Source::Sqlite(pool) => sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                .fetch_all(pool)
                .await?
                .iter()
                .map(|r| read(&|i| r.try_get::<Option<String>, _>(i)))
                .collect::<Result<Vec<_>, _>>()?,
            Source::Postgres(pool) => sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                .fetch_all(pool)
                .await?
                .iter()
                .map(|r| read(&|i| r.try_get::<Option<String>, _>(i)))
                .collect::<Result<Vec<_>, _>>()?,
        };
        Ok(rows)
    }

    /// Closes the connection.
    pub async fn close(self) {
        match self {
            Source::Sqlite(pool) => pool.close().await,
            Source::Postgres(pool) => pool.close().await,
        }
    }
}

/// `name` as an SQL identifier (both dialects quote with `"`).
fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}
