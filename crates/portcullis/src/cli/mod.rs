//! The command line: `portcullis [serve]`, `migrate`, `create-admin`, and
//! the operator commands `users`, `roles`, `tokens`, `audit`, `mail` and `import`. Each subcommand enum
//! owns its `run`, with one `match`; operator commands act as the system
//! actor (every permission, audited as `"actor": "system"`).

mod audit;
mod banner;
mod forward;
mod import;
mod mail;
mod maintenance;
mod output;
mod roles;
mod serve;
mod tokens;
mod users;

pub use audit::AuditCommand;
pub use forward::ForwardAuthCommand;
pub use import::ImportCommand;
pub use mail::MailCommand;
pub use maintenance::{BackupArgs, MigrateArgs, RestoreArgs};
pub use roles::RolesCommand;
pub use serve::{CreateAdminArgs, ServeArgs};
pub use tokens::TokensCommand;
pub use users::UsersCommand;

use crate::settings::Settings;
use crate::startup::Services;
use crate::telemetry::Audience;
use clap::{Args, Parser, Subcommand};
use portcullis_core::SystemClock;
use std::path::PathBuf;
use std::sync::Arc;

/// Self-hosted authentication and user management.
#[derive(Debug, Parser)]
#[command(name = "portcullis", version, about)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Options every command takes.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// TOML configuration file.
    #[arg(long, global = true, env = "PORTCULLIS_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Database URL: sqlite://path or postgres://... (overrides database.url).
    #[arg(long, global = true, value_name = "URL")]
    pub database: Option<String>,
}

/// What to do.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server (the default).
    Serve(ServeArgs),
    /// Create or upgrade the database schema, then exit.
    Migrate(MigrateArgs),
    /// Check the configuration (file and environment) without starting.
    CheckConfig,
    /// Write a consistent copy of the SQLite database, also while it serves.
    Backup(BackupArgs),
    /// Restore a backup into a new, empty database.
    Restore(RestoreArgs),
    /// Create an administrator account.
    CreateAdmin(CreateAdminArgs),
    /// Manage users.
    #[command(subcommand)]
    Users(UsersCommand),
    /// Manage roles and their permissions.
    #[command(subcommand)]
    Roles(RolesCommand),
    /// Read the audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// API tokens: mint them for service accounts, list and revoke anyone's.
    #[command(subcommand)]
    Tokens(TokensCommand),
    /// Forward authentication: which rule a URL meets, and the decision.
    #[command(subcommand)]
    ForwardAuth(ForwardAuthCommand),
    /// The mail queue: list, retry and purge undelivered email.
    #[command(subcommand)]
    Mail(MailCommand),
    /// Import accounts, with their password hashes, from a Flask app or a file.
    #[command(subcommand)]
    Import(ImportCommand),
}

impl Cli {
    /// Loads the settings this invocation asks for: file, environment, then flags.
    pub fn settings(&self) -> anyhow::Result<Settings> {
        let mut settings = Settings::load(self.global.config.as_deref(), environment()?)?;
        if let Some(url) = &self.global.database {
            settings.database.url.clone_from(url);
        }
        match &self.command {
            Some(Command::Serve(serve)) => {
                serve.apply(&mut settings);
                settings.validate()?;
            }
            // What the server would check at start, flags aside.
            Some(Command::CheckConfig) => settings.validate()?,
            _ => {}
        }
        Ok(settings)
    }

    /// Who the log speaks to: the server's operator, or someone waiting for
    /// a command's answer.
    pub fn audience(&self) -> Audience {
        match self.command {
            None | Some(Command::Serve(_)) => Audience::Server,
            Some(_) => Audience::Command,
        }
    }

    /// Runs the command.
    pub async fn run(self, settings: Settings) -> anyhow::Result<()> {
        self.command
            .unwrap_or(Command::Serve(ServeArgs::default()))
            .run(settings)
            .await
    }
}

/// The process environment. `std::env::vars` would panic on a value that is
/// not UTF-8; one of ours is refused by name, anyone else's is not our
/// business.
fn environment() -> anyhow::Result<Vec<(String, String)>> {
    let mut vars = Vec::new();
    for (name, value) in std::env::vars_os() {
        let Ok(name) = name.into_string() else {
            continue;
        };
        match value.into_string() {
            Ok(value) => vars.push((name, value)),
            Err(_) if name.starts_with("PORTCULLIS_") => {
                anyhow::bail!("{name} is not valid UTF-8")
            }
            Err(_) => {}
        }
    }
    Ok(vars)
}

impl Command {
    /// Runs the command with `settings`.
    pub async fn run(self, settings: Settings) -> anyhow::Result<()> {
        match self {
            Command::Serve(_) => serve::serve(settings).await,
            Command::Migrate(args) => args.run(&settings).await,
            Command::CheckConfig => maintenance::check_config(&settings),
            Command::Backup(args) => args.run(&settings).await,
            Command::Restore(args) => args.run(&settings).await,
            Command::CreateAdmin(args) => args.run(&settings).await,
            Command::Users(command) => command.run(&open(&settings).await?).await,
            Command::Roles(command) => command.run(&open(&settings).await?).await,
            Command::Audit(command) => command.run(&open(&settings).await?).await,
            Command::Tokens(command) => command.run(&open(&settings).await?).await,
            Command::ForwardAuth(command) => command.run(&settings, &open(&settings).await?).await,
            Command::Mail(command) => command.run(&open(&settings).await?).await,
            Command::Import(command) => command.run(&settings).await,
        }
    }
}

/// The services every operator command works through, on the wall clock.
async fn open(settings: &Settings) -> anyhow::Result<Services> {
    Services::open(settings, Arc::new(SystemClock)).await
}
