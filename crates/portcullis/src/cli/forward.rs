//! `portcullis forward-auth check URL [--user U]`: which rule of
//! `[forward_auth]` a request for URL meets, and what `/auth/verify` would
//! answer for that account (or for no one), without a proxy in the way.

use crate::settings::Settings;
use crate::startup::Services;
use anyhow::{Context as _, bail};
use clap::Subcommand;
use portcullis_core::PermissionSet;
use portcullis_core::policy::forward::{Subject, Verdict, parse_absolute};

/// Forward authentication.
#[derive(Debug, Subcommand)]
pub enum ForwardAuthCommand {
    /// Which rule matches URL and the decision, for an account or for no one.
    Check {
        /// The URL as the browser asked for it (`https://grafana.example.com/d/1`).
        url: String,
        /// The account, by username or email; without it, no one is signed in.
        #[arg(long)]
        user: Option<String>,
    },
}

impl ForwardAuthCommand {
    /// Runs the command.
    pub(super) async fn run(self, settings: &Settings, services: &Services) -> anyhow::Result<()> {
        let ForwardAuthCommand::Check { url, user } = self;
        let Some(forward) = crate::startup::forward_auth(settings)? else {
            bail!("forward authentication is off: set forward_auth.proxy");
        };
        let request =
            parse_absolute(&url).map_err(|refusal| anyhow::anyhow!("refused: {refusal}"))?;
        println!("request:  {} (normalised)", request.url());
        match forward.rules.explain(&request) {
            Some(i) => {
                let rule = &settings.forward_auth.rules[i];
                println!(
                    "rule:     forward_auth.rules[{i}] host = {:?}, path_prefix = {:?}, require = {:?}",
                    rule.host, rule.path_prefix, rule.require
                );
            }
            None => println!("rule:     none matches; forward_auth.default applies"),
        }
        let store = services.database.store();
        let account = match &user {
            Some(login) => Some(
                store
                    .credential_by_login(&login.trim().to_lowercase())
                    .await?
                    .map(|c| c.user)
                    .with_context(|| format!("no account {login:?}"))?,
            ),
            None => None,
        };
        let mut roles = Vec::new();
        let mut permissions = PermissionSet::of(Vec::<String>::new());
        let mut two_factor = false;
        if let Some(account) = &account {
            roles = store
                .roles_of(account.id)
                .await?
                .into_iter()
                .map(|r| r.name)
                .collect();
            permissions = PermissionSet::for_roles(
                roles.iter().map(String::as_str),
                store.permissions_of(account.id).await?,
            );
            two_factor = store
                .totp_of(account.id)
                .await?
                .is_some_and(|t| t.confirmed_at.is_some());
        }
        let subject = account.as_ref().map(|a| Subject {
            roles: &roles,
            permissions: &permissions,
            confirmed: a.confirmed_at.is_some(),
            // The account's sessions prove it when they completed both steps.
            two_factor,
        });
        let who = account
            .as_ref()
            .map_or("no one signed in".to_owned(), |a| a.username.clone());
        let decision = match forward.rules.decide(&request, subject.as_ref()) {
            Verdict::Allow { identify: true } => "allowed (200 with Remote-User)".to_owned(),
            Verdict::Allow { identify: false } => {
                "allowed (bypass: no Remote-* headers)".to_owned()
            }
            Verdict::Unauthenticated => "sign-in required (401)".to_owned(),
            Verdict::Forbidden => "forbidden (403)".to_owned(),
        };
        if account.as_ref().is_some_and(|a| !a.is_active) {
            println!("decision: {who}: deactivated, so no session of it passes");
        } else {
            println!("decision: {who}: {decision}");
        }
        Ok(())
    }
}
