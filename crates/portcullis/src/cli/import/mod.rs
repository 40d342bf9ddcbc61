//! `portcullis import flask|csv|jsonl`: accounts from another application,
//! with their password hashes, roles, second factors and Google ids.

mod file;
mod flask;
mod mapping;
mod source;
mod values;

use crate::settings::Settings;
use anyhow::{Context as _, bail};
use clap::{Args, Subcommand};
use flask::FlaskSecurityHashing;
use mapping::{Mapping, SCHEMAS};
use portcullis_core::access::{Actor, UsersManage};
use portcullis_core::audit::RequestContext;
use portcullis_core::services::import::{ImportReport, ImportRun, ImportedAccount};
use source::Source;
use std::io::IsTerminal as _;
use std::path::PathBuf;

/// Where the accounts come from.
#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// From a Flask app's database (read-only).
    Flask(FlaskArgs),
    /// From a CSV file with a header row (columns: see the README).
    Csv(FileArgs),
    /// From a JSON Lines file, one object per account.
    Jsonl(FileArgs),
}

/// What every import takes.
#[derive(Debug, Args)]
pub struct CommonArgs {
    /// Check everything and print the report, but keep nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Bring accounts an earlier run imported up to date with the source:
    /// name, added roles, confirmation, and the password while it is still
    /// the imported hash (never one its owner has chosen or rehashed here).
    #[arg(long)]
    pub update: bool,
    /// The name the import is recorded under (a second run under it skips
    /// the accounts the first created). Default: from the URL or path.
    #[arg(long, value_name = "NAME")]
    pub source_name: Option<String>,
}

/// Options of `import flask`.
#[derive(Debug, Args)]
pub struct FlaskArgs {
    /// The app's database, as its SQLALCHEMY_DATABASE_URI has it:
    /// sqlite:///relative.db, sqlite:////absolute.db or postgresql://….
    #[arg(long = "from", value_name = "URL")]
    pub from: String,
    /// Which models the app uses: auto (recognise them), or one of
    /// seed000, flask-security, seed002, seed003, seed004.
    #[arg(long, default_value = "auto", value_name = "SCHEMA")]
    pub schema: String,
    /// A TOML file naming the tables and columns, for an app that renamed
    /// them (keys: see the README); overrides --schema.
    #[arg(long, value_name = "FILE")]
    pub map_file: Option<PathBuf>,
    /// The app's SECURITY_PASSWORD_SALT (Flask-Security): its hashes are of
    /// the password HMAC-ed with it. Also set import.flask_security_password_salt.
    /// Not needed when the configuration has it.
    #[arg(long, value_name = "SALT")]
    pub security_password_salt: Option<String>,
    /// The app set SECURITY_PASSWORD_SINGLE_HASH = True (no HMAC pre-hash).
    #[arg(long)]
    pub security_password_single_hash: bool,
    #[command(flatten)]
    pub common: CommonArgs,
}

/// Options of `import csv` and `import jsonl`.
#[derive(Debug, Args)]
pub struct FileArgs {
    /// The file.
    pub file: PathBuf,
    #[command(flatten)]
    pub common: CommonArgs,
}

impl ImportCommand {
    /// Reads the source, imports, and prints the report.
    pub async fn run(self, settings: &Settings) -> anyhow::Result<()> {
        let (accounts, source_name, common, after) = match self {
            ImportCommand::Flask(args) => {
                let (accounts, name, after) = args.read(settings).await?;
                (accounts, name, args.common, after)
            }
            ImportCommand::Csv(args) => {
                let accounts = file::read_csv(&args.file)?;
                (accounts, file_source(&args.file), args.common, Vec::new())
            }
            ImportCommand::Jsonl(args) => {
                let accounts = file::read_jsonl(&args.file)?;
                (accounts, file_source(&args.file), args.common, Vec::new())
            }
        };
        let run = ImportRun {
            source: common.source_name.unwrap_or(source_name),
            dry_run: common.dry_run,
            update: common.update,
        };
        let services = crate::startup::Services::open(
            settings,
            std::sync::Arc::new(portcullis_core::SystemClock),
        )
        .await?;
        let by = Actor::system().authorize::<UsersManage>()?;
        // On a terminal, large imports say how far they are.
        let show_progress = std::io::stderr().is_terminal();
        let progress = move |done: usize, all: usize| {
            if show_progress {
                eprint!("\r{done} of {all} rows");
            }
        };
        let result = services
            .auth
            .imports()
            .import(&by, &run, accounts, &RequestContext::cli(), &progress)
            .await;
        if show_progress {
            eprintln!();
        }
        services.database.close().await;
        let report = result.context(
            "the import stopped (the batches before it are kept; run it again to carry on)",
        )?;
        print_report(&run, &report);
        for line in after {
            println!("{line}");
        }
        Ok(())
    }
}

impl FlaskArgs {
    /// The accounts, the default source name, and lines to print after
    /// the report.
    async fn read(
        &self,
        settings: &Settings,
    ) -> anyhow::Result<(Vec<ImportedAccount>, String, Vec<String>)> {
        let source = Source::open(&self.from).await?;
        let result = self.read_from(&source, settings).await;
        source.close().await;
        result
    }

    async fn read_from(
        &self,
        source: &Source,
        settings: &Settings,
    ) -> anyhow::Result<(Vec<ImportedAccount>, String, Vec<String>)> {
        let tables = source.tables().await?;
        let (mapping, found) = match &self.map_file {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("could not read {}", path.display()))?;
                let mapping: Mapping = toml::from_str(&text)
                    .with_context(|| format!("{} is not a valid map file", path.display()))?;
                (mapping, format!("the map file {}", path.display()))
            }
            None => {
                let schema = match self.schema.as_str() {
                    "auto" => Mapping::detect(&tables).with_context(|| {
                        format!(
                            "the database holds none of the known schemas ({}); its tables are {}. \
                             Name the tables and columns in a --map-file",
                            SCHEMAS.join(", "),
                            tables.keys().cloned().collect::<Vec<_>>().join(", ")
                        )
                    })?,
                    named => SCHEMAS
                        .iter()
                        .copied()
                        .find(|s| *s == named)
                        .with_context(|| {
                            format!(
                                "there is no schema {named:?}; use auto or one of {}",
                                SCHEMAS.join(", ")
                            )
                        })?,
                };
                let mapping = Mapping::preset(schema).context("a named schema has a mapping")?;
                (mapping, format!("the {schema} schema"))
            }
        };
        let mapping = mapping.fitted(&tables).map_err(anyhow::Error::msg)?;
        println!(
            "Found {found} (table {:?}) in {}.",
            mapping.table,
            redacted(&self.from)
        );

        let mut after = Vec::new();
        let hashing = if self.security_password_single_hash {
            FlaskSecurityHashing::Single
        } else {
            FlaskSecurityHashing::Double
        };
        if mapping.flask_security && hashing == FlaskSecurityHashing::Double {
            let configured = settings.import.flask_security_password_salt.as_deref();
            match (self.security_password_salt.as_deref(), configured) {
                (None, None) => bail!(
                    "Flask-Security hashes are of the password HMAC-ed with the app's \
                     SECURITY_PASSWORD_SALT: pass it with --security-password-salt (and set \
                     import.flask_security_password_salt to it), or pass \
                     --security-password-single-hash if the app set SECURITY_PASSWORD_SINGLE_HASH"
                ),
                (Some(given), Some(configured)) if given != configured => bail!(
                    "--security-password-salt differs from import.flask_security_password_salt \
                     in the configuration; logins verify with the configured one"
                ),
                (Some(_), None) => after.push(
                    "Set import.flask_security_password_salt (or \
                     PORTCULLIS_IMPORT__FLASK_SECURITY_PASSWORD_SALT) to the salt you passed: \
                     the imported Flask-Security passwords verify only with it, until each \
                     account's next login rehashes it."
                        .to_owned(),
                ),
                _ => {}
            }
        }
        let accounts = flask::read(source, &mapping, hashing).await?;
        if tables.contains_key("role_permissions") || tables.contains_key("permissions") {
            after.push(
                "The source's permissions were not carried: Portcullis permissions are \
                 resource:action; give them to the imported roles with `portcullis roles`."
                    .to_owned(),
            );
        }
        Ok((accounts, format!("flask:{}", redacted(&self.from)), after))
    }
}

/// The source name of a file: `file:` and its absolute path.
fn file_source(path: &std::path::Path) -> String {
    let absolute = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    format!("file:{}", absolute.display())
}

/// `url` with any password replaced by `***`.
fn redacted(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

fn print_report(run: &ImportRun, report: &ImportReport) {
    let n = |count: usize, one: &str, many: &str| {
        format!("{count} {}", if count == 1 { one } else { many })
    };
    if report.dry_run {
        println!(
            "Dry run: {} would be imported; nothing was kept.",
            n(report.imported.len(), "account", "accounts")
        );
    } else {
        println!(
            "Imported {} from {}.",
            n(report.imported.len(), "account", "accounts"),
            run.source
        );
    }
    if report.updated > 0 {
        println!(
            "  {} imported by an earlier run brought up to date.",
            n(report.updated, "row was", "rows were")
        );
    }
    if report.already_imported > 0 {
        println!(
            "  {} imported by an earlier run, left alone.",
            n(report.already_imported, "row was", "rows were")
        );
    }
    if !report.formats.is_empty() {
        let formats: Vec<String> = report
            .formats
            .iter()
            .map(|(f, c)| format!("{f} {c}"))
            .collect();
        println!(
            "  Passwords: {} (each is rehashed to argon2id at its next login; plain ones were hashed now).",
            formats.join(", ")
        );
    }
    match report.unknown_formats {
        0 if !report.formats.is_empty() => println!("  Every stored hash is in a known format."),
        0 => {}
        n => println!(
            "  {n} stored hash{} in no known format: {} without a usable password (below).",
            if n == 1 { " is" } else { "es are" },
            if n == 1 {
                "its account is"
            } else {
                "their accounts are"
            }
        ),
    }
    if report.two_factor > 0 || report.identities > 0 {
        println!(
            "  Two-factor seeds carried: {}; Google ids linked: {}.",
            report.two_factor, report.identities
        );
    }
    if !report.roles.is_empty() {
        let roles: Vec<String> = report
            .roles
            .iter()
            .map(|(role, count)| format!("{role} {count}"))
            .collect();
        println!("  Roles given: {}.", roles.join(", "));
    }
    if !report.roles_created.is_empty() {
        let roles: Vec<&str> = report.roles_created.iter().map(String::as_str).collect();
        println!("  Roles created: {}.", roles.join(", "));
    }
    if !report.renamed.is_empty() {
        println!("Usernames made or changed:");
        for (id, from, to) in &report.renamed {
            println!("  row {id}: {from} -> {to}");
        }
    }
    if !report.without_password.is_empty() {
        println!(
            "Without a usable password ({}; they set one through forgot-password, or an \
             administrator sets one):",
            n(report.without_password.len(), "account", "accounts")
        );
        for line in &report.without_password {
            println!("  row {}: {}", line.source_id, line.username);
        }
    }
    if !report.skipped.is_empty() {
        println!("Not imported ({}):", n(report.skipped.len(), "row", "rows"));
        for line in &report.skipped {
            println!("  row {}: {}", line.source_id, line.reason);
        }
    }
    for note in &report.notes {
        println!("Note: {note}");
    }
}
