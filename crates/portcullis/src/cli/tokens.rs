//! `portcullis tokens …`: API tokens of service accounts, minted, listed
//! and revoked by the operator (the system actor). People make their own
//! tokens; the command line lists and revokes anyone's.

use super::output::{fail, find, system};
use crate::startup::Services;
use anyhow::bail;
use clap::Subcommand;
use portcullis_core::RequestContext;
use portcullis_core::access::TokensManage;
use portcullis_core::domain::api_token::ApiTokenId;
use portcullis_core::policy::Expiry;
use portcullis_core::services::tokens::TokenRequest;

/// Manage API tokens.
#[derive(Debug, Subcommand)]
pub enum TokensCommand {
    /// Mint a token for a service account; prints it once.
    Create {
        /// The service account.
        account: String,
        /// What the token is for.
        #[arg(long)]
        name: String,
        /// A scope: a permission the account holds, or me:read,
        /// me:sessions, me:tokens (repeatable).
        #[arg(long = "scope", required = true)]
        scopes: Vec<String>,
        /// Lifetime: 30d, 12h, ... or "never" (if the settings allow it);
        /// tokens.default_lifetime when not given.
        #[arg(long)]
        expires: Option<String>,
    },
    /// An account's live tokens (never their secrets).
    List {
        /// Username (or email) of the account.
        account: String,
        #[arg(long)]
        json: bool,
    },
    /// Revoke one token of an account, or all of them.
    Revoke {
        /// Username (or email) of the account.
        account: String,
        /// The token's id (see `tokens list`).
        #[arg(required_unless_present = "all", conflicts_with = "all")]
        id: Option<i64>,
        /// Revoke every token of the account.
        #[arg(long)]
        all: bool,
    },
}

/// `--expires` in words: a humantime duration or `never`.
fn expiry(given: Option<&str>) -> anyhow::Result<Expiry> {
    match given.map(str::trim) {
        None => Ok(Expiry::Default),
        Some("never") => Ok(Expiry::Never),
        Some(text) => {
            let std = humantime::parse_duration(text)
                .map_err(|e| anyhow::anyhow!("--expires {text:?}: {e} (try 30d, 12h or never)"))?;
            let seconds = i64::try_from(std.as_secs()).unwrap_or(i64::MAX);
            Ok(Expiry::In(time::Duration::seconds(seconds)))
        }
    }
}

impl TokensCommand {
    /// Runs the command.
    pub(super) async fn run(self, services: &Services) -> anyhow::Result<()> {
        let tokens = services.auth.tokens();
        let ctx = RequestContext::cli();
        let manage = system::<TokensManage>();
        match self {
            TokensCommand::Create {
                account,
                name,
                scopes,
                expires,
            } => {
                let user = find(services, &account).await?;
                let request = TokenRequest {
                    name,
                    scopes,
                    expiry: expiry(expires.as_deref())?,
                };
                let issued = tokens
                    .create_service(&manage, user.id, &request, &ctx)
                    .await
                    .map_err(fail)?;
                eprintln!(
                    "Created token {} for {}; it is shown once, here:",
                    issued.token.id, user.username
                );
                println!("{}", issued.secret.expose());
            }
            TokensCommand::List { account, json } => {
                let user = find(services, &account).await?;
                let list = tokens.list_of(&manage, user.id).await.map_err(fail)?;
                if json {
                    let rows: Vec<_> = list
                        .iter()
                        .map(|t| {
                            serde_json::json!({
                                "id": t.id, "name": t.name, "kind": t.kind,
                                "scopes": t.scopes.listed(),
                                "created_at": rfc3339(t.created_at),
                                "expires_at": t.expires_at.map(rfc3339),
                                "last_used_at": t.last_used_at.map(rfc3339),
                                "last_used_ip": t.last_used_ip,
                            })
                        })
                        .collect();
                    println!("{}", serde_json::to_string_pretty(&rows)?);
                    return Ok(());
                }
                println!(
                    "{:<6} {:<24} {:<9} {:<21} {:<21} SCOPES",
                    "ID", "NAME", "KIND", "EXPIRES", "LAST USED"
                );
                for t in &list {
                    println!(
                        "{:<6} {:<24} {:<9} {:<21} {:<21} {}",
                        t.id,
                        t.name,
                        t.kind.as_str(),
                        t.expires_at.map_or("never".into(), rfc3339),
                        t.last_used_at.map_or("-".into(), rfc3339),
                        t.scopes
                            .listed()
                            .map_or("(everything the account may do)".into(), |s| s.join(" "))
                    );
                }
            }
            TokensCommand::Revoke { account, id, all } => {
                let user = find(services, &account).await?;
                if all {
                    let n = tokens
                        .revoke_all_of(&manage, user.id, &ctx)
                        .await
                        .map_err(fail)?;
                    println!("Revoked {n} token(s) of {}.", user.username);
                } else if let Some(id) = id {
                    tokens
                        .revoke_of(&manage, user.id, ApiTokenId(id), &ctx)
                        .await
                        .map_err(fail)?;
                    println!("Revoked token {id} of {}.", user.username);
                } else {
                    bail!("give a token id, or --all");
                }
            }
        }
        Ok(())
    }
}

fn rfc3339(at: time::OffsetDateTime) -> String {
    at.replace_nanosecond(0)
        .unwrap_or(at)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}
