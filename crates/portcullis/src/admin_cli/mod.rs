//! Operator commands on existing accounts and the audit log:
//! `users unlock|revoke-sessions|disable|enable`, `audit list`.

pub(crate) mod roles;
mod users;

use crate::cli::{UsersCommand, describe};
use crate::settings::Settings;
use crate::startup::Services;
use anyhow::{Context as _, anyhow, bail};
use portcullis_core::{AuditFilter, AuditKind, RequestContext, SystemClock, User};
use std::sync::Arc;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Options of `audit list`.
#[derive(Debug)]
pub(crate) struct AuditArgs {
    pub user: Option<String>,
    pub kind: Option<String>,
    pub since: Option<String>,
    pub offset: i64,
    pub limit: i64,
    pub json: bool,
}

pub(crate) async fn find(services: &Services, login: &str) -> anyhow::Result<User> {
    services
        .auth
        .find_user(login)
        .await
        .map_err(|e| anyhow!(describe(e)))
        .with_context(|| format!("no user {login:?}"))
}

/// Runs a `users` command other than `list`.
pub(crate) async fn users(settings: Settings, command: UsersCommand) -> anyhow::Result<()> {
    let services = Services::open(&settings, Arc::new(SystemClock)).await?;
    let auth = &services.auth;
    let ctx = RequestContext::cli();
    let fail = |e: portcullis_core::Error| anyhow!(describe(e));
    match command {
        UsersCommand::List { .. } => unreachable!("handled by the caller"),
        other @ (UsersCommand::Create { .. }
        | UsersCommand::Show { .. }
        | UsersCommand::Delete { .. }
        | UsersCommand::SetPassword { .. }
        | UsersCommand::GrantRole { .. }
        | UsersCommand::RevokeRole { .. }) => users::run(&services, other).await?,
        UsersCommand::Unlock { user } => {
            let user = find(&services, &user).await?;
            auth.unlock(&user, None, &ctx).await.map_err(fail)?;
            println!("Unlocked {}.", user.username);
        }
        UsersCommand::RevokeSessions { user } => {
            let user = find(&services, &user).await?;
            let count = auth
                .revoke_all_sessions(&user, None, &ctx)
                .await
                .map_err(fail)?;
            println!("Ended {count} session(s) of {}.", user.username);
        }
        UsersCommand::Disable { user } => {
            let user = find(&services, &user).await?;
            auth.set_active(&user, false, None, &ctx)
                .await
                .map_err(fail)?;
            println!("Disabled {}; their sessions have ended.", user.username);
        }
        UsersCommand::Enable { user } => {
            let user = find(&services, &user).await?;
            auth.set_active(&user, true, None, &ctx)
                .await
                .map_err(fail)?;
            println!("Enabled {}.", user.username);
        }
    }
    Ok(())
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

/// Runs `audit list`.
pub(crate) async fn audit(settings: Settings, args: AuditArgs) -> anyhow::Result<()> {
    let kind = match &args.kind {
        Some(name) => Some(AuditKind::parse(name).ok_or_else(|| {
            let known: Vec<&str> = AuditKind::ALL.iter().map(|k| k.as_str()).collect();
            anyhow!(
                "--type: unknown event type {name:?}; known: {}",
                known.join(", ")
            )
        })?),
        None => None,
    };
    let since = args
        .since
        .as_deref()
        .map(|s| parse_since(s, OffsetDateTime::now_utc()))
        .transpose()?;
    let services = Services::open(&settings, Arc::new(SystemClock)).await?;
    let user = match &args.user {
        Some(login) => Some(find(&services, login).await?.id),
        None => None,
    };
    if args.limit < 1 {
        bail!("--limit must be at least 1");
    }
    let filter = AuditFilter {
        user,
        kind,
        since,
        until: None,
        offset: args.offset.max(0),
        limit: args.limit.min(1000),
    };
    let (events, total) = services
        .auth
        .audit_log(&filter)
        .await
        .map_err(|e| anyhow!(describe(e)))?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({"total": total, "events": events}))?
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
        let id = |u: Option<portcullis_core::UserId>| u.map_or("-".to_owned(), |u| u.to_string());
        println!(
            "{:<20} {:<18} {:<7} {:<7} {:<15} {}",
            at,
            e.kind,
            id(e.actor),
            id(e.target),
            e.ip.as_deref().unwrap_or("-"),
            e.detail
        );
    }
    println!("{} of {total} events", events.len());
    Ok(())
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
