//! `portcullis audit list`: the audit log, newest first.

use super::output::{fail, system};
use crate::startup::Services;
use anyhow::{anyhow, bail};
use clap::Subcommand;
use portcullis_core::access::AuditRead;
use portcullis_core::{AuditFilter, AuditKind, UserId};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Read the audit log.
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
        /// How many events to skip, for the next page.
        #[arg(long, default_value_t = 0)]
        offset: i64,
        /// How many events to show at most.
        #[arg(long, default_value_t = 50)]
        limit: i64,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
}

/// `--since`: an RFC 3339 time, or an age such as `15m`, `24h`, `7d`.
fn parse_since(value: &str, now: OffsetDateTime) -> anyhow::Result<OffsetDateTime> {
    if let Ok(at) = OffsetDateTime::parse(value, &Rfc3339) {
        return Ok(at);
    }
    let age = humantime::parse_duration(value).map_err(|_| {
        anyhow!("--since: use an RFC 3339 time (2026-01-31T00:00:00Z) or an age (15m, 24h, 7d)")
    })?;
    Ok(now - time::Duration::try_from(age).unwrap_or(time::Duration::MAX))
}

fn parse_kind(name: &str) -> anyhow::Result<AuditKind> {
    AuditKind::parse(name).ok_or_else(|| {
        let known: Vec<&str> = AuditKind::ALL.iter().map(|k| k.as_str()).collect();
        anyhow!(
            "--type: unknown event type {name:?}; known: {}",
            known.join(", ")
        )
    })
}

impl AuditCommand {
    /// Runs the command.
    pub(super) async fn run(self, services: &Services) -> anyhow::Result<()> {
        let AuditCommand::List {
            user,
            kind,
            since,
            offset,
            limit,
            json,
        } = self;
        let kind = kind.as_deref().map(parse_kind).transpose()?;
        let since = since
            .as_deref()
            .map(|s| parse_since(s, OffsetDateTime::now_utc()))
            .transpose()?;
        if limit < 1 {
            bail!("--limit must be at least 1");
        }
        let granted = system::<AuditRead>();
        let log = services.auth.audit();
        let user = match &user {
            Some(login) => Some(
                log.subject(&granted, login)
                    .await
                    .map_err(fail)?
                    .ok_or_else(|| anyhow!("no user {login:?}"))?,
            ),
            None => None,
        };
        let filter = AuditFilter {
            user,
            kind,
            since,
            until: None,
            offset: offset.max(0),
            limit: limit.min(1000),
        };
        let (events, total) = log.list(&granted, &filter).await.map_err(fail)?;
        if json {
            println!(
                "{}",
                serde_json::to_string_pretty(
                    &serde_json::json!({"total": total, "events": events})
                )?
            );
            return Ok(());
        }
        println!(
            "{:<20} {:<18} {:<7} {:<7} {:<15} DETAIL",
            "TIME (UTC)", "TYPE", "ACTOR", "TARGET", "IP"
        );
        for e in &events {
            let at =
                e.at.replace_nanosecond(0)
                    .unwrap_or(e.at)
                    .format(&Rfc3339)
                    .unwrap_or_default();
            let id = |u: Option<UserId>| u.map_or("-".to_owned(), |u| u.to_string());
            let actor = if e.actor.is_none() && e.detail["actor"] == "system" {
                "system".to_owned()
            } else {
                id(e.actor)
            };
            println!(
                "{:<20} {:<18} {:<7} {:<7} {:<15} {}",
                at,
                e.kind,
                actor,
                id(e.target),
                e.ip.as_deref().unwrap_or("-"),
                e.detail
            );
        }
        println!("{} of {total} events", events.len());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::parse_since;
    use time::OffsetDateTime;

    #[test]
    fn since_takes_a_timestamp_or_an_age() {
        let now = OffsetDateTime::from_unix_timestamp(1_000_000).unwrap();
        assert_eq!(
            parse_since("1h", now).unwrap(),
            now - time::Duration::hours(1)
        );
        assert_eq!(
            parse_since("1970-01-01T00:00:10Z", now).unwrap(),
            OffsetDateTime::from_unix_timestamp(10).unwrap()
        );
        assert!(parse_since("yesterday", now).is_err());
    }
}
