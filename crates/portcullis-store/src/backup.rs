//! Consistent copies of a SQLite database while the server runs, and
//! restoring one into an empty database. PostgreSQL has its own tools for
//! this (`pg_dump`, `pg_restore`), which do it better than a copy through
//! this crate could; for it the commands are only named.

use crate::config::redact;
use sqlx::sqlite::SqliteConnectOptions;
use std::path::{Path, PathBuf};
use std::str::FromStr as _;

/// Why a backup or restore did not happen.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// PostgreSQL is backed up with its own tools.
    #[error(
        "Portcullis does not copy a PostgreSQL database itself; use PostgreSQL's tools:\n  {0}"
    )]
    UsePostgresTools(String),
    /// The backup would overwrite a file.
    #[error("{0} already exists; a backup never overwrites a file")]
    Exists(PathBuf),
    /// The database to restore into already holds data.
    #[error(
        "the database at {0} is not empty; restore only into a new database (move the old file \
         away first)"
    )]
    NotEmpty(String),
    /// The file is not a Portcullis SQLite database, or is damaged.
    #[error("{path} is not a usable Portcullis backup: {why}")]
    NotABackup {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        why: String,
    },
    /// The URL names no SQLite file (an in-memory database, say).
    #[error("{0} names no database file")]
    NoFile(String),
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// The database refused.
    #[error("the database refused: {0}")]
    Database(#[from] sqlx::Error),
}

/// `pg_dump` for the database at `url` (password masked), writing `file`.
fn pg_dump_command(url: &str, file: &Path) -> String {
    format!(
        "PGPASSWORD=... pg_dump --format=custom --file '{}' '{}'",
        file.display(),
        redact(url)
    )
}

/// Tables a SQLite database holds that are not SQLite's own.
const USER_TABLES: &str =
    "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'";

/// Writes a consistent copy of the SQLite database at `url`, as of one
/// instant, to the new file `path`, while the server goes on reading and
/// writing it (`VACUUM INTO` reads inside one transaction). The copy is
/// then opened and checked. For PostgreSQL, names the `pg_dump` command
/// without connecting.
pub async fn backup(url: &str, path: &Path) -> Result<(), BackupError> {
    if !url.starts_with("sqlite:") {
        return Err(BackupError::UsePostgresTools(pg_dump_command(url, path)));
    }
    if path.exists() {
        return Err(BackupError::Exists(path.to_owned()));
    }
    let target = path.to_str().ok_or_else(|| BackupError::NotABackup {
        path: path.to_owned(),
        why: "the path is not valid UTF-8".to_owned(),
    })?;
    let options = SqliteConnectOptions::from_str(url)?.create_if_missing(false);
    if options.get_filename() == Path::new(":memory:") {
        return Err(BackupError::NoFile(redact(url)));
    }
    let pool = sqlx::SqlitePool::connect_with(options).await?;
    let copied = sqlx::query("VACUUM INTO $1")
        .bind(target)
        .execute(&pool)
        .await;
    pool.close().await;
    copied?;
    check_backup(path).await
}

/// Opens `path` read-only and checks it is a whole Portcullis database.
async fn check_backup(path: &Path) -> Result<(), BackupError> {
    let not = |why: String| BackupError::NotABackup {
        path: path.to_owned(),
        why,
    };
    let options = SqliteConnectOptions::new()
        .filename(path)
        .read_only(true)
        .create_if_missing(false);
    let pool = sqlx::SqlitePool::connect_with(options)
        .await
        .map_err(|e| not(e.to_string()))?;
    let checked: Result<(String, i64), sqlx::Error> = async {
        let integrity: String = sqlx::query_scalar("PRAGMA integrity_check")
            .fetch_one(&pool)
            .await?;
        let migrations: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
        )
        .fetch_one(&pool)
        .await?;
        Ok((integrity, migrations))
    }
    .await;
    pool.close().await;
    match checked.map_err(|e| not(e.to_string()))? {
        (integrity, _) if integrity != "ok" => Err(not(format!("integrity check: {integrity}"))),
        (_, 0) => Err(not("it holds no Portcullis schema".to_owned())),
        _ => Ok(()),
    }
}

/// Restores the SQLite backup `backup` as the database at `url`, which must
/// be new or empty: the backup is checked, copied beside the target and
/// renamed into place, so the target is never half written. On PostgreSQL,
/// names the `pg_restore` command. Migrating the restored database (a
/// backup from an older release) is left to the caller.
pub async fn restore(backup: &Path, url: &str) -> Result<(), BackupError> {
    if !url.starts_with("sqlite:") {
        return Err(BackupError::UsePostgresTools(format!(
            "PGPASSWORD=... pg_restore --no-owner --dbname '{}' '{}'   (into a new, empty database)",
            redact(url),
            backup.display()
        )));
    }
    let options = SqliteConnectOptions::from_str(url)?;
    let target = options.get_filename().to_owned();
    if target.as_os_str().is_empty() || target == Path::new(":memory:") {
        return Err(BackupError::NoFile(redact(url)));
    }
    check_backup(backup).await?;
    if target.exists() {
        let pool = sqlx::SqlitePool::connect_with(options.read_only(true)).await?;
        let tables: i64 = sqlx::query_scalar(USER_TABLES).fetch_one(&pool).await?;
        pool.close().await;
        if tables > 0 {
            return Err(BackupError::NotEmpty(target.display().to_string()));
        }
    }
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| BackupError::Io { path, source }
    };
    let partial = target.with_extension("restoring");
    std::fs::copy(backup, &partial).map_err(io(&partial))?;
    std::fs::File::open(&partial)
        .and_then(|f| f.sync_all())
        .map_err(io(&partial))?;
    // An empty target may have left journal files; they belong to nothing now.
    for suffix in ["-wal", "-shm"] {
        let mut side = target.clone().into_os_string();
        side.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(side));
    }
    std::fs::rename(&partial, &target).map_err(io(&target))?;
    Ok(())
}
