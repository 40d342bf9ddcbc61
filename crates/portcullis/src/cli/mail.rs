//! `portcullis mail list|retry|purge`: the durable mail queue.

use super::output::{fail, system};
use crate::startup::Services;
use anyhow::{anyhow, bail};
use clap::Subcommand;
use portcullis_core::access::UsersManage;
use portcullis_core::store::{MailState, QueuedMail};
use time::format_description::well_known::Rfc3339;

/// The mail queue: messages waiting for delivery, given up, or expired.
#[derive(Debug, Subcommand)]
pub enum MailCommand {
    /// Messages in the queue, oldest first (never their contents).
    List {
        /// Only messages in this state: queued, failed or expired.
        #[arg(long)]
        state: Option<String>,
        /// How many messages to show at most.
        #[arg(long, default_value_t = 100)]
        limit: i64,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// Queue failed messages again (whose links still work), due at once.
    Retry {
        /// The message's number (from `mail list`).
        id: Option<i64>,
        /// Every failed message.
        #[arg(long, conflicts_with = "id")]
        all: bool,
    },
    /// Delete messages: the failed and expired ones, or those in one state.
    Purge {
        /// Only this state: queued, failed or expired. Purging queued
        /// messages drops email nobody has received yet.
        #[arg(long)]
        state: Option<String>,
    },
}

fn parse_state(name: &str) -> anyhow::Result<MailState> {
    MailState::parse(name)
        .ok_or_else(|| anyhow!("--state: use queued, failed or expired (not {name:?})"))
}

fn time(at: time::OffsetDateTime) -> String {
    at.replace_nanosecond(0)
        .unwrap_or(at)
        .format(&Rfc3339)
        .unwrap_or_default()
}

fn json(mail: &QueuedMail) -> serde_json::Value {
    serde_json::json!({
        "id": mail.id,
        "kind": mail.kind,
        "to": mail.recipient,
        "state": mail.state.as_str(),
        "attempts": mail.attempts,
        "created_at": time(mail.created_at),
        "next_attempt_at": time(mail.next_attempt_at),
        "expires_at": time(mail.expires_at),
        "last_error": mail.last_error,
    })
}

impl MailCommand {
    /// Runs the command.
    pub(super) async fn run(self, services: &Services) -> anyhow::Result<()> {
        let granted = system::<UsersManage>();
        let queue = services.auth.mail();
        match self {
            MailCommand::List {
                state,
                limit,
                json: as_json,
            } => {
                if limit < 1 {
                    bail!("--limit must be at least 1");
                }
                let state = state.as_deref().map(parse_state).transpose()?;
                let mails = queue
                    .list(&granted, state, limit.min(10_000))
                    .await
                    .map_err(fail)?;
                if as_json {
                    let list: Vec<_> = mails.iter().map(json).collect();
                    println!("{}", serde_json::to_string_pretty(&list)?);
                    return Ok(());
                }
                if mails.is_empty() {
                    println!("The mail queue is empty.");
                    return Ok(());
                }
                println!(
                    "{:<6} {:<8} {:<22} {:<28} {:<8} {:<20} ERROR",
                    "ID", "STATE", "KIND", "TO", "ATTEMPTS", "NEXT ATTEMPT (UTC)"
                );
                for m in &mails {
                    println!(
                        "{:<6} {:<8} {:<22} {:<28} {:<8} {:<20} {}",
                        m.id,
                        m.state.as_str(),
                        m.kind,
                        m.recipient,
                        m.attempts,
                        time(m.next_attempt_at),
                        m.last_error.as_deref().unwrap_or("-")
                    );
                }
                Ok(())
            }
            MailCommand::Retry { id, all } => {
                if id.is_none() && !all {
                    bail!("name a message (portcullis mail retry ID) or pass --all");
                }
                let n = queue.retry(&granted, id).await.map_err(fail)?;
                match (n, id) {
                    (0, Some(id)) => bail!(
                        "message {id} is not a failed message whose link still works \
                         (see portcullis mail list --state failed)"
                    ),
                    (n, _) => println!("{n} message(s) queued again."),
                }
                Ok(())
            }
            MailCommand::Purge { state } => {
                let states = match state.as_deref() {
                    Some(name) => vec![parse_state(name)?],
                    None => vec![MailState::Failed, MailState::Expired],
                };
                let mut total = 0;
                for state in states {
                    total += queue.purge(&granted, state).await.map_err(fail)?;
                }
                println!("{total} message(s) deleted.");
                Ok(())
            }
        }
    }
}
