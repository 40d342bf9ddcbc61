//! `portcullis serve` and `portcullis create-admin`.

use super::banner::DevBanner;
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
    // Printed once the server is bound, so that it shows the port that port
    // 0 picked and whether an administrator exists yet.
    let banner = (settings.mode == Mode::Dev).then(|| DevBanner::new(&settings));
    let app = Application::build(settings).await?;
    if let Some(banner) = banner {
        banner.show(app.public_url(), app.services()).await;
    }
    app.run_until_stopped().await
}

/// Options of `create-admin`.
#[derive(Debug, Args)]
pub struct CreateAdminArgs {
    /// The administrator's username (asked for when not given).
    #[arg(long)]
    pub username: Option<String>,
    /// The administrator's email address (asked for when not given).
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
        // Prompts are for a person at a terminal: a script that pipes the
        // answers in reads none of them in its output.
        let interactive = stdin.is_terminal();
        let mut lines = stdin.lock().lines();
        let mut read = |prompt: Option<&str>| -> anyhow::Result<String> {
            if let Some(prompt) = prompt.filter(|_| interactive) {
                eprint!("{prompt}: ");
                std::io::stderr().flush()?;
            }
            Ok(lines.next().transpose()?.unwrap_or_default())
        };
        let username = match self.username {
            Some(u) => u,
            None => read(Some("Username"))?,
        };
        let email = match self.email {
            Some(e) => e,
            None => read(Some("Email"))?,
        };
        let (password, confirm) = if self.password_stdin {
            let password = read(None)?;
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
