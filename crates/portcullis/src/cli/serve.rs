//! `portcullis serve` and `portcullis create-admin`.

use super::output::{describe, field_lines, system};
use crate::settings::{Mode, Settings};
use crate::startup::Application;
use anyhow::{Context as _, bail};
use clap::Args;
use portcullis_core::RequestContext;
use portcullis_core::access::UsersManage;
use std::io::{BufRead, IsTerminal, Write};
use std::net::SocketAddr;
use url::Url;

/// Options of `serve`.
#[derive(Debug, Args, Default)]
pub struct ServeArgs {
    /// Address to listen on, e.g. 127.0.0.1:8080 (port 0 picks a free one).
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<SocketAddr>,
    /// The URL users reach the server at.
    #[arg(long, value_name = "URL")]
    pub public_url: Option<Url>,
}

impl ServeArgs {
    /// Puts the flags over the configured settings.
    pub(super) fn apply(&self, settings: &mut Settings) {
        if let Some(listen) = self.listen {
            settings.listen = listen;
        }
        if let Some(url) = &self.public_url {
            settings.public_url = Some(url.clone());
        }
    }
}

pub(super) async fn serve(settings: Settings) -> anyhow::Result<()> {
    if settings.mode == Mode::Dev {
        dev_banner(&settings);
    }
    Application::build(settings)
        .await?
        .run_until_stopped()
        .await
}

fn dev_banner(settings: &Settings) {
    let lines = [
        "DEVELOPMENT MODE".to_owned(),
        format!(
            "database: {}",
            portcullis_store::StoreConfig::new(settings.database.url.as_str()).redacted_url()
        ),
        format!(
            "secret:   kept in {}",
            crate::dev_secret::path(settings).display()
        ),
        format!(
            "email:    written to {}/",
            settings.mail.outbox_dir.display()
        ),
        "Set mode = \"production\", secret and public_url to run".to_owned(),
        "Portcullis for real.".to_owned(),
    ];
    let width = lines.iter().map(|l| l.chars().count()).max().unwrap_or(0);
    let rule = "*".repeat(width + 6);
    let mut banner = format!("\n{rule}\n");
    for line in &lines {
        banner.push_str(&format!("*  {line:<width$}  *\n"));
    }
    banner.push_str(&rule);
    tracing::warn!("{banner}");
}

/// Options of `create-admin`.
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

impl CreateAdminArgs {
    /// Asks for what the flags did not give, then creates the account.
    pub(super) async fn run(self, settings: &Settings) -> anyhow::Result<()> {
        let stdin = std::io::stdin();
        let mut lines = stdin.lock().lines();
        let mut ask = |prompt: &str| -> anyhow::Result<String> {
            eprint!("{prompt}: ");
            std::io::stderr().flush()?;
            Ok(lines.next().transpose()?.unwrap_or_default())
        };
        let username = match self.username {
            Some(u) => u,
            None => ask("Username")?,
        };
        let email = match self.email {
            Some(e) => e,
            None => ask("Email")?,
        };
        let (password, confirm) = if self.password_stdin {
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
        let services = super::open(settings).await?;
        let registration = match services
            .auth
            .registration()
            .parse(&username, &email, &password, &confirm)
        {
            Ok(r) => r,
            Err(errors) => bail!("cannot create the administrator:\n{}", field_lines(&errors)),
        };
        let user = services
            .auth
            .accounts()
            .create_admin(
                &system::<UsersManage>(),
                registration,
                &RequestContext::cli(),
            )
            .await
            .map_err(|e| anyhow::anyhow!(describe(e)))
            .context("cannot create the administrator")?;
        println!("Created administrator {} (id {}).", user.username, user.id);
        Ok(())
    }
}
