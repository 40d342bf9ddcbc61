//! What the database's schema is, against the migrations this build
//! carries: which are applied, which are pending, and which the database has
//! that this build does not know (a newer release migrated it).
//!
//! sqlx records applied migrations in `_sqlx_migrations`. A database that
//! holds a version this build lacks was upgraded by a newer release; running
//! this one on it would use a schema it was not written for, so by default
//! [`Database::migrate`] refuses it with a message that says so. During a
//! rolling upgrade the old release must keep running beside the new one:
//! `database.allow_newer_schema` lets it, and the migrations are written
//! expand-then-contract so that the previous release works on the next
//! schema.

use crate::config::OpenError;
use crate::database::Database;
use crate::{postgres, sqlite};
use sqlx::migrate::Migrator;

/// A migration this build carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationInfo {
    /// Its number, `0007` for `0007_two_factor.sql`.
    pub version: i64,
    /// The rest of its file name, words separated by spaces.
    pub description: String,
}

/// The schema of one database against this build's migrations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaStatus {
    /// Versions recorded as applied, ascending.
    pub applied: Vec<i64>,
    /// Migrations this build carries that the database has not seen.
    pub pending: Vec<MigrationInfo>,
    /// Applied versions this build does not carry: a newer release's.
    pub newer: Vec<i64>,
}

impl SchemaStatus {
    /// The newest version this build carries.
    pub fn newest_known(migrator: &Migrator) -> i64 {
        migrator.iter().map(|m| m.version).max().unwrap_or(0)
    }
}

/// Existence of sqlx's table, per backend (it is missing before the first
/// migration).
const SQLITE_HAS_TABLE: &str =
    "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'";
const POSTGRES_HAS_TABLE: &str = "SELECT COUNT(*) FROM information_schema.tables \
     WHERE table_name = '_sqlx_migrations' AND table_schema = current_schema()";
const APPLIED: &str = "SELECT version FROM _sqlx_migrations WHERE success ORDER BY version";

impl Database {
    /// This backend's embedded migrations.
    pub(crate) fn migrator(&self) -> &'static Migrator {
        match self {
            Self::Sqlite(_) => &sqlite::MIGRATOR,
            Self::Postgres(_) => &postgres::MIGRATOR,
        }
    }

    /// The migrations this build carries for this backend, oldest first.
    pub fn known_migrations(&self) -> Vec<MigrationInfo> {
        self.migrator()
            .iter()
            .filter(|m| m.migration_type.is_up_migration())
            .map(|m| MigrationInfo {
                version: m.version,
                description: m.description.replace('_', " "),
            })
            .collect()
    }

    /// What is applied, pending and unknown; changes nothing.
    pub async fn schema_status(&self) -> Result<SchemaStatus, OpenError> {
        let query_error = |reason| OpenError::Migrate {
            backend: self.backend(),
            reason: sqlx::migrate::MigrateError::Execute(reason),
        };
        // The same two statements on either pool: whether sqlx's table
        // exists yet, then what it lists.
        macro_rules! applied {
            ($pool:expr, $has_table:expr) => {{
                let exists: i64 = sqlx::query_scalar($has_table)
                    .fetch_one($pool)
                    .await
                    .map_err(query_error)?;
                if exists == 0 {
                    Vec::new()
                } else {
                    sqlx::query_scalar(APPLIED)
                        .fetch_all($pool)
                        .await
                        .map_err(query_error)?
                }
            }};
        }
        let applied: Vec<i64> = match self {
            Self::Sqlite(pool) => applied!(pool, SQLITE_HAS_TABLE),
            Self::Postgres(pool) => applied!(pool, POSTGRES_HAS_TABLE),
        };
        let known = self.known_migrations();
        let pending = known
            .iter()
            .filter(|m| !applied.contains(&m.version))
            .cloned()
            .collect();
        let newer = applied
            .iter()
            .copied()
            .filter(|v| !known.iter().any(|m| m.version == *v))
            .collect();
        Ok(SchemaStatus {
            applied,
            pending,
            newer,
        })
    }

    /// Applies the pending migrations. A database a newer release has
    /// migrated is refused ([`OpenError::NewerSchema`]) unless
    /// `allow_newer_schema`, when this build's own migrations are checked
    /// and applied and the newer ones left alone. Running it again is
    /// harmless. On PostgreSQL sqlx takes an advisory lock, so instances
    /// starting together take turns.
    pub async fn migrate_with(&self, allow_newer_schema: bool) -> Result<(), OpenError> {
        let status = self.schema_status().await?;
        if let Some(&newest) = status.newer.iter().max() {
            if !allow_newer_schema {
                return Err(OpenError::NewerSchema {
                    backend: self.backend(),
                    newest_applied: newest,
                    newest_known: SchemaStatus::newest_known(self.migrator()),
                });
            }
            tracing::warn!(
                backend = self.backend(),
                newest_applied = newest,
                newest_known = SchemaStatus::newest_known(self.migrator()),
                "the database schema is newer than this release; running on it because \
                 database.allow_newer_schema is set"
            );
        }
        let mut migrator = Migrator::with_migrations(self.migrator().iter().cloned().collect());
        migrator.set_ignore_missing(allow_newer_schema);
        let result = match self {
            Self::Sqlite(pool) => migrator.run(pool).await,
            Self::Postgres(pool) => migrator.run(pool).await,
        };
        result.map_err(|reason| OpenError::Migrate {
            backend: self.backend(),
            reason,
        })?;
        tracing::info!(backend = self.backend(), "database schema is up to date");
        Ok(())
    }
}
