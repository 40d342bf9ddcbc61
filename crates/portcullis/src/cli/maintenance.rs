//! `portcullis migrate [--dry-run]`, `check-config`, `backup` and
//! `restore`: what a deploy pipeline and an operator's backup job run.

use crate::settings::{Mode, Settings};
use anyhow::Context as _;
use clap::Args;
use portcullis_store::{Database, StoreConfig};
use std::path::PathBuf;

/// Options of `migrate`.
#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// List the migrations that would be applied, and change nothing.
    #[arg(long)]
    pub dry_run: bool,
}

impl MigrateArgs {
    /// Applies the pending migrations, or with `--dry-run` lists them.
    pub async fn run(self, settings: &Settings) -> anyhow::Result<()> {
        let database = connect(settings).await?;
        let result = self.on(&database, settings).await;
        database.close().await;
        result
    }

    async fn on(&self, database: &Database, settings: &Settings) -> anyhow::Result<()> {
        let status = database.schema_status().await?;
        let backend = database.backend();
        if !self.dry_run {
            database
                .migrate_with(settings.database.allow_newer_schema)
                .await
                .context("could not migrate the database")?;
            // As the server would start: the configured roles are applied
            // and the settings only the database can judge are checked.
            let services = crate::startup::Services::open(
                settings,
                std::sync::Arc::new(portcullis_core::SystemClock),
            )
            .await?;
            services.database.close().await;
            match status.pending.len() {
                0 => println!("The {backend} database was up to date; nothing to apply."),
                n => println!(
                    "Applied {n} migration{} to the {backend} database; it is up to date.",
                    if n == 1 { "" } else { "s" }
                ),
            }
            return Ok(());
        }
        if let Some(newest) = status.newer.iter().max() {
            println!(
                "The {backend} database has migration {newest:04}, newer than this release \
                 knows; migrate would refuse it unless database.allow_newer_schema is set."
            );
        }
        if status.pending.is_empty() {
            println!("The {backend} database is up to date; nothing would be applied.");
        } else {
            println!(
                "{} migration{} would be applied to the {backend} database:",
                status.pending.len(),
                if status.pending.len() == 1 { "" } else { "s" }
            );
            for m in &status.pending {
                println!("  {:04}  {}", m.version, m.description);
            }
        }
        Ok(())
    }
}

/// Reports a configuration that loaded and validated (reaching here means it
/// did: loading and validation refuse a bad one with its key named).
pub fn check_config(settings: &Settings) -> anyhow::Result<()> {
    let database = StoreConfig::new(settings.database.url.clone()).redacted_url();
    let mode = match settings.mode {
        Mode::Dev => "development",
        Mode::Production => "production",
    };
    println!("The configuration is valid.");
    println!("  mode:      {mode}");
    println!("  listen:    {}", settings.listen);
    if let Some(url) = &settings.public_url {
        println!("  public:    {url}");
    }
    println!("  database:  {database}");
    Ok(())
}

/// Options of `backup`.
#[derive(Debug, Args)]
pub struct BackupArgs {
    /// The new file to write the copy to (never overwritten).
    pub file: PathBuf,
}

impl BackupArgs {
    /// Writes a consistent copy of the SQLite database while the server
    /// may be running; for PostgreSQL, says which `pg_dump` to run.
    pub async fn run(self, settings: &Settings) -> anyhow::Result<()> {
        portcullis_store::backup(&settings.database.url, &self.file).await?;
        let size = std::fs::metadata(&self.file).map(|m| m.len()).unwrap_or(0);
        println!(
            "Backed up the database to {} ({size} bytes); it was checked and is whole.",
            self.file.display()
        );
        Ok(())
    }
}

/// Options of `restore`.
#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// A file `portcullis backup` wrote.
    pub file: PathBuf,
}

impl RestoreArgs {
    /// Restores the backup as the (new or empty) database, then brings its
    /// schema up to this release.
    pub async fn run(self, settings: &Settings) -> anyhow::Result<()> {
        portcullis_store::restore(&self.file, &settings.database.url).await?;
        let database = connect(settings).await?;
        let result = async {
            database
                .migrate_with(settings.database.allow_newer_schema)
                .await?;
            database
                .store()
                .count_users()
                .await
                .map_err(anyhow::Error::from)
        }
        .await;
        database.close().await;
        let users = result.context("the restored database could not be brought up to date")?;
        println!(
            "Restored {} into {} ({users} accounts); start the server on it.",
            self.file.display(),
            StoreConfig::new(settings.database.url.clone()).redacted_url()
        );
        Ok(())
    }
}

/// One connection to the configured database, without migrating it.
async fn connect(settings: &Settings) -> anyhow::Result<Database> {
    let config = StoreConfig {
        url: settings.database.url.clone(),
        max_connections: 1,
    };
    Database::connect(&config)
        .await
        .context("could not open the database")
}
