//! The command line: `portcullis [serve]`, `migrate`, `create-admin`,
//! `users list`.

use crate::admin_cli::AuditArgs;
use crate::settings::{Mode, Settings};
use crate::startup::{Application, Services};
use anyhow::{Context as _, bail};
use clap::{Args, Parser, Subcommand};
use portcullis_core::SystemClock;
use std::io::{BufRead, IsTerminal, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use url::Url;

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

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server (the default).
    Serve(ServeArgs),
    /// Create or upgrade the database schema, then exit.
    Migrate,
    /// Create an administrator account.
    CreateAdmin(CreateAdminArgs),
    /// Manage users.
    #[command(subcommand)]
    Users(UsersCommand),
    /// Read the audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Manage roles and their permissions.
    #[command(subcommand)]
    Roles(RolesCommand),
}

#[derive(Debug, Subcommand)]
pub enum RolesCommand {
    /// Every role with its permissions and member count.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Create a role.
    Create {
        name: String,
        #[arg(long, default_value = "")]
        description: String,
        /// A permission the role holds (repeatable).
        #[arg(long = "permission")]
        permissions: Vec<String>,
    },
    /// Delete a role (its members lose it).
    Delete { name: String },
    /// Add a permission to a role.
    GrantPermission { role: String, permission: String },
    /// Remove a permission from a role.
    RevokePermission { role: String, permission: String },
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Events, newest first.
    List {
        /// Only events where this user (username or email) is actor or target.
        #[arg(long)]
        user: Option<String>,
        /// Only events of this type (e.g. login_failed).
        #[arg(long = "type")]
        kind: Option<String>,
        /// Only events since this time: RFC 3339 (2026-01-31T00:00:00Z) or an age (15m, 24h, 7d).
        #[arg(long)]
        since: Option<String>,
        #[arg(long, default_value_t = 0)]
        offset: i64,
        #[arg(long, default_value_t = 50)]
        limit: i64,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args, Default)]
pub struct ServeArgs {
    /// Address to listen on, e.g. 127.0.0.1:8080 (port 0 picks a free one).
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<SocketAddr>,
    /// The URL users reach the server at.
    #[arg(long, value_name = "URL")]
    pub public_url: Option<Url>,
}

#[derive(Debug, Args)]
pub struct CreateAdminArgs {
    #[arg(long)]
    pub username: Option<String>,
    #[arg(long)]
    pub email: Option<String>,
    /// Read the password from the first line of standard input.
    #[arg(long)]
    pub password_stdin: bool,
}

#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// List accounts.
    List {
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
        #[arg(long, default_value_t = 0)]
        offset: i64,
        #[arg(long, default_value_t = 100)]
        limit: i64,
    },
    /// Create an account (active; add --confirmed if you vouch for the address).
    Create {
        #[arg(long)]
        username: String,
        #[arg(long)]
        email: String,
        /// A role to grant (repeatable).
        #[arg(long = "role")]
        roles: Vec<String>,
        /// Mark the email address confirmed.
        #[arg(long)]
        confirmed: bool,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// One account in detail: roles, permissions, login tracking, sessions.
    Show {
        /// Username or email.
        user: String,
        #[arg(long)]
        json: bool,
    },
    /// Delete an account and its sessions.
    Delete {
        /// Username or email.
        user: String,
    },
    /// Set a new password (ends the user's sessions and lifts any lock).
    SetPassword {
        /// Username or email.
        user: String,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Give a user a role.
    GrantRole { user: String, role: String },
    /// Take a role from a user.
    RevokeRole { user: String, role: String },
    /// Lift a lockout now.
    Unlock {
        /// Username or email.
        user: String,
    },
    /// End every session of a user, on every instance.
    RevokeSessions {
        /// Username or email.
        user: String,
    },
    /// Deactivate an account: it cannot log in and its sessions end.
    Disable {
        /// Username or email.
        user: String,
    },
    /// Reactivate an account.
    Enable {
        /// Username or email.
        user: String,
    },
}

impl Cli {
    /// Loads the settings this invocation asks for: file, environment, then flags.
    pub fn settings(&self) -> anyhow::Result<Settings> {
        let mut settings = Settings::load(self.global.config.as_deref(), environment()?)?;
        if let Some(url) = &self.global.database {
            settings.database.url.clone_from(url);
        }
        if let Some(Command::Serve(serve)) = &self.command {
            if let Some(listen) = serve.listen {
                settings.listen = listen;
            }
            if let Some(url) = &serve.public_url {
                settings.public_url = Some(url.clone());
            }
            settings.validate()?;
        }
        Ok(settings)
    }

    /// Runs the command.
    pub async fn run(self, settings: Settings) -> anyhow::Result<()> {
        match self.command.unwrap_or(Command::Serve(ServeArgs::default())) {
            Command::Serve(_) => serve(settings).await,
            Command::Migrate => {
                let services = Services::open(&settings, Arc::new(SystemClock)).await?;
                println!("Database is up to date ({}).", services.database.backend());
                Ok(())
            }
            Command::CreateAdmin(args) => create_admin(settings, args).await,
            Command::Users(UsersCommand::List {
                json,
                offset,
                limit,
            }) => list_users(settings, json, offset, limit).await,
            Command::Users(command) => crate::admin_cli::users(settings, command).await,
            Command::Roles(command) => crate::admin_cli::roles::run(settings, command).await,
            Command::Audit(AuditCommand::List {
                user,
                kind,
                since,
                offset,
                limit,
                json,
            }) => {
                crate::admin_cli::audit(
                    settings,
                    AuditArgs {
                        user,
                        kind,
                        since,
                        offset,
                        limit,
                        json,
                    },
                )
                .await
            }
        }
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
                bail!("{name} is not valid UTF-8")
            }
            Err(_) => {}
        }
    }
    Ok(vars)
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    if settings.mode == Mode::Dev {
        dev_banner(&settings);
    }
    Application::build(settings)
        .await?
        .run_until_stopped()
        .await
}

fn dev_banner(settings: &Settings) {
    tracing::warn!(
        "\n\
         ************************************************************\n\
         *  DEVELOPMENT MODE                                        *\n\
         *  - the secret is generated at each start                 *\n\
         *  - database: {:<44}*\n\
         *  Set mode = \"production\", secret and public_url to    *\n\
         *  run Portcullis for real.                                *\n\
         ************************************************************",
        redact_url(&settings.database.url)
    );
}

/// Hides a password in a database URL before it is printed.
fn redact_url(raw: &str) -> String {
    match Url::parse(raw) {
        Ok(mut url) if url.password().is_some() => {
            let _ = url.set_password(Some("***"));
            url.to_string()
        }
        _ => raw.to_owned(),
    }
}

async fn create_admin(settings: Settings, args: CreateAdminArgs) -> anyhow::Result<()> {
    let stdin = std::io::stdin();
    let mut lines = stdin.lock().lines();
    let mut ask = |prompt: &str| -> anyhow::Result<String> {
        eprint!("{prompt}: ");
        std::io::stderr().flush()?;
        Ok(lines.next().transpose()?.unwrap_or_default())
    };
    let username = match args.username {
        Some(u) => u,
        None => ask("Username")?,
    };
    let email = match args.email {
        Some(e) => e,
        None => ask("Email")?,
    };
    let (password, confirm) = if args.password_stdin {
        let password = ask("Password")?;
        (password.clone(), password)
    } else {
        if !std::io::stdin().is_terminal() {
            bail!("no terminal to prompt for the password; use --password-stdin");
        }
        let password = rpassword::prompt_password("Password: ")?;
        let confirm = rpassword::prompt_password("Password (again): ")?;
        (password, confirm)
    };
    let services = Services::open(&settings, Arc::new(SystemClock)).await?;
    let registration = match services
        .auth
        .parse_registration(&username, &email, &password, &confirm)
    {
        Ok(r) => r,
        Err(errors) => bail!("cannot create the administrator:\n{}", field_lines(&errors)),
    };
    let user = services
        .auth
        .create_admin(registration, &portcullis_core::RequestContext::cli())
        .await
        .map_err(|e| anyhow::anyhow!(describe(e)))
        .context("cannot create the administrator")?;
    println!("Created administrator {} (id {}).", user.username, user.id);
    Ok(())
}

fn field_lines(errors: &portcullis_core::FieldErrors) -> String {
    let lines: Vec<String> = errors
        .iter()
        .map(|e| format!("  {}: {}", e.field, e.message))
        .collect();
    lines.join("\n")
}

pub(crate) fn describe(err: portcullis_core::Error) -> String {
    match err {
        portcullis_core::Error::Validation(errors) => field_lines(&errors),
        portcullis_core::Error::Taken(field) => format!("that {field} is already taken"),
        portcullis_core::Error::Forbidden(reason) => reason.to_owned(),
        portcullis_core::Error::NotFound => "not found".to_owned(),
        other => other.to_string(),
    }
}

async fn list_users(settings: Settings, json: bool, offset: i64, limit: i64) -> anyhow::Result<()> {
    let services = Services::open(&settings, Arc::new(SystemClock)).await?;
    let (users, total) = services
        .auth
        .list_users(offset, limit)
        .await
        .map_err(|e| anyhow::anyhow!(describe(e)))?;
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({"total": total, "users": users}))?
        );
        return Ok(());
    }
    println!(
        "{:<6} {:<24} {:<32} {:<8} {:<10} ROLES",
        "ID", "USERNAME", "EMAIL", "ACTIVE", "CONFIRMED"
    );
    for u in &users {
        println!(
            "{:<6} {:<24} {:<32} {:<8} {:<10} {}",
            u.user.id,
            u.user.username,
            u.user.email,
            if u.user.is_active { "yes" } else { "no" },
            if u.user.confirmed_at.is_some() {
                "yes"
            } else {
                "no"
            },
            u.roles.join(",")
        );
    }
    println!("{} of {total} users", users.len());
    Ok(())
}
