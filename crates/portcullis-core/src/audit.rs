//! The audit log: what happened, to whom, by whom, from where. Append-only;
//! never a password, token, cookie or session id. User-supplied text (user
//! agents, attempted login names) has its control characters escaped before
//! it is stored, so a crafted value cannot forge log lines.

use crate::domain::user::UserId;
use serde::Serialize;
use serde_json::{Map, Value};
use time::OffsetDateTime;

/// Kinds of audit event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditKind {
    /// An account registered itself.
    Registered,
    /// A login succeeded.
    LoginSucceeded,
    /// A login failed (`detail.reason` says why).
    LoginFailed,
    /// An account locked after too many failed logins.
    LockedOut,
    /// A lock was lifted by an operator.
    Unlocked,
    /// A session was ended by its owner logging out.
    LoggedOut,
    /// Sessions were ended by their owner or an operator.
    SessionRevoked,
    /// A user changed their own password.
    PasswordChanged,
    /// A request was refused by a rate limit (the first of each window).
    RateLimited,
    /// An account was activated.
    UserActivated,
    /// An account was deactivated.
    UserDeactivated,
    /// An administrator was created from the command line.
    AdminCreated,
    /// An operator created an account.
    UserCreated,
    /// An operator edited an account.
    UserUpdated,
    /// An account was deleted.
    UserDeleted,
    /// An operator set an account's password.
    PasswordSet,
    /// A login replaced a password hash of another format or cost with
    /// argon2id at the configured cost (`detail.from` names the old format).
    PasswordRehashed,
    /// Accounts were imported from another system (`detail` has the counts).
    UsersImported,
    /// A role was given to an account.
    RoleGranted,
    /// A role was taken from an account.
    RoleRevoked,
    /// A role was created.
    RoleCreated,
    /// A role was changed.
    RoleUpdated,
    /// A role was deleted.
    RoleDeleted,
    /// A confirmation link was mailed.
    ConfirmationSent,
    /// An address was confirmed.
    EmailConfirmed,
    /// A reset link was asked for (known address or not).
    PasswordResetRequested,
    /// A password was reset with a link.
    PasswordResetCompleted,
    /// A change of address was asked for.
    EmailChangeRequested,
    /// An account moved to a new address.
    EmailChanged,
    /// An email could not be delivered.
    EmailDeliveryFailed,
    /// Someone tried to register an address that has an account.
    RegistrationAttempted,
    /// A new confirmation link was asked for (known address or not).
    ConfirmationRequested,
    /// A second factor was enrolled.
    TwoFactorEnabled,
    /// Its owner turned the second factor off.
    TwoFactorDisabled,
    /// An operator removed an account's second factors.
    TwoFactorReset,
    /// A wrong second-factor code was given.
    TwoFactorFailed,
    /// A recovery code was spent.
    RecoveryCodeUsed,
    /// New recovery codes replaced the old ones.
    RecoveryCodesRegenerated,
    /// A user proved who they are again for a sensitive action.
    Reauthenticated,
    /// An API token was made (never the token itself).
    TokenCreated,
    /// An API token was revoked (`detail.reason` says why).
    TokenRevoked,
    /// A revoked API token was presented again (recorded once an hour per
    /// token): it may have leaked.
    TokenUsedAfterRevocation,
    /// An OpenID provider's account was linked to a local one.
    IdentityLinked,
    /// A linked provider account was unlinked.
    IdentityUnlinked,
    /// A passkey was registered.
    PasskeyAdded,
    /// A passkey was removed (by its owner or an operator).
    PasskeyRemoved,
    /// An account signed in with a passkey (alone, or as the second step).
    PasskeyLogin,
    /// A passkey's answer was refused (`detail.reason` says why).
    PasskeyFailed,
    /// A passkey's signature counter went backwards: the authenticator
    /// may have been cloned. The sign-in was refused.
    PasskeyCloneSuspected,
}

impl AuditKind {
    /// Counts the event in the process's metrics (nothing happens unless a
    /// metrics recorder is installed): every kind, and logins by outcome,
    /// lockouts and rate-limit rejections under names of their own.
    pub fn count(self) {
        metrics::counter!("portcullis_audit_events_total", "kind" => self.as_str()).increment(1);
        match self {
            Self::LoginSucceeded => {
                metrics::counter!("portcullis_logins_total", "outcome" => "succeeded").increment(1);
            }
            Self::LoginFailed => {
                metrics::counter!("portcullis_logins_total", "outcome" => "failed").increment(1);
            }
            Self::TwoFactorFailed => {
                metrics::counter!("portcullis_logins_total", "outcome" => "second_factor_failed")
                    .increment(1);
            }
            Self::LockedOut => metrics::counter!("portcullis_lockouts_total").increment(1),
            Self::RateLimited => metrics::counter!("portcullis_rate_limited_total").increment(1),
            _ => {}
        }
    }
}

impl AuditKind {
    /// Every kind, for listings and parsing.
    pub const ALL: &'static [AuditKind] = &[
        AuditKind::Registered,
        AuditKind::LoginSucceeded,
        AuditKind::LoginFailed,
        AuditKind::LockedOut,
        AuditKind::Unlocked,
        AuditKind::LoggedOut,
        AuditKind::SessionRevoked,
        AuditKind::PasswordChanged,
        AuditKind::RateLimited,
        AuditKind::UserActivated,
        AuditKind::UserDeactivated,
        AuditKind::AdminCreated,
        AuditKind::UserCreated,
        AuditKind::UserUpdated,
        AuditKind::UserDeleted,
        AuditKind::PasswordSet,
        AuditKind::PasswordRehashed,
        AuditKind::UsersImported,
        AuditKind::RoleGranted,
        AuditKind::RoleRevoked,
        AuditKind::RoleCreated,
        AuditKind::RoleUpdated,
        AuditKind::RoleDeleted,
        AuditKind::ConfirmationSent,
        AuditKind::EmailConfirmed,
        AuditKind::PasswordResetRequested,
        AuditKind::PasswordResetCompleted,
        AuditKind::EmailChangeRequested,
        AuditKind::EmailChanged,
        AuditKind::EmailDeliveryFailed,
        AuditKind::RegistrationAttempted,
        AuditKind::ConfirmationRequested,
        AuditKind::TwoFactorEnabled,
        AuditKind::TwoFactorDisabled,
        AuditKind::TwoFactorReset,
        AuditKind::TwoFactorFailed,
        AuditKind::RecoveryCodeUsed,
        AuditKind::RecoveryCodesRegenerated,
        AuditKind::Reauthenticated,
        AuditKind::TokenCreated,
        AuditKind::TokenRevoked,
        AuditKind::TokenUsedAfterRevocation,
        AuditKind::IdentityLinked,
        AuditKind::IdentityUnlinked,
        AuditKind::PasskeyAdded,
        AuditKind::PasskeyRemoved,
        AuditKind::PasskeyLogin,
        AuditKind::PasskeyFailed,
        AuditKind::PasskeyCloneSuspected,
    ];

    /// The stored name, e.g. `login_failed`.
    pub fn as_str(self) -> &'static str {
        match self {
            AuditKind::Registered => "registered",
            AuditKind::LoginSucceeded => "login_succeeded",
            AuditKind::LoginFailed => "login_failed",
            AuditKind::LockedOut => "locked_out",
            AuditKind::Unlocked => "unlocked",
            AuditKind::LoggedOut => "logged_out",
            AuditKind::SessionRevoked => "session_revoked",
            AuditKind::PasswordChanged => "password_changed",
            AuditKind::RateLimited => "rate_limited",
            AuditKind::UserActivated => "user_activated",
            AuditKind::UserDeactivated => "user_deactivated",
            AuditKind::AdminCreated => "admin_created",
            AuditKind::UserCreated => "user_created",
            AuditKind::UserUpdated => "user_updated",
            AuditKind::UserDeleted => "user_deleted",
            AuditKind::PasswordSet => "password_set",
            AuditKind::PasswordRehashed => "password_rehashed",
            AuditKind::UsersImported => "users_imported",
            AuditKind::RoleGranted => "role_granted",
            AuditKind::RoleRevoked => "role_revoked",
            AuditKind::RoleCreated => "role_created",
            AuditKind::RoleUpdated => "role_updated",
            AuditKind::RoleDeleted => "role_deleted",
            AuditKind::ConfirmationSent => "confirmation_sent",
            AuditKind::EmailConfirmed => "email_confirmed",
            AuditKind::PasswordResetRequested => "password_reset_requested",
            AuditKind::PasswordResetCompleted => "password_reset_completed",
            AuditKind::EmailChangeRequested => "email_change_requested",
            AuditKind::EmailChanged => "email_changed",
            AuditKind::EmailDeliveryFailed => "email_delivery_failed",
            AuditKind::RegistrationAttempted => "registration_attempted",
            AuditKind::ConfirmationRequested => "confirmation_requested",
            AuditKind::TwoFactorEnabled => "two_factor_enabled",
            AuditKind::TwoFactorDisabled => "two_factor_disabled",
            AuditKind::TwoFactorReset => "two_factor_reset",
            AuditKind::TwoFactorFailed => "two_factor_failed",
            AuditKind::RecoveryCodeUsed => "recovery_code_used",
            AuditKind::RecoveryCodesRegenerated => "recovery_codes_regenerated",
            AuditKind::Reauthenticated => "reauthenticated",
            AuditKind::TokenCreated => "token_created",
            AuditKind::TokenRevoked => "token_revoked",
            AuditKind::TokenUsedAfterRevocation => "token_used_after_revocation",
            AuditKind::IdentityLinked => "identity_linked",
            AuditKind::IdentityUnlinked => "identity_unlinked",
            AuditKind::PasskeyAdded => "passkey_added",
            AuditKind::PasskeyRemoved => "passkey_removed",
            AuditKind::PasskeyLogin => "passkey_login",
            AuditKind::PasskeyFailed => "passkey_failed",
            AuditKind::PasskeyCloneSuspected => "passkey_clone_suspected",
        }
    }

    /// The kind with the stored name `name`.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|k| k.as_str() == name)
    }
}

/// Where a request came from, for audit records and login tracking.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestContext {
    /// The client's address, if known.
    pub ip: Option<String>,
    /// The client's user agent, if it sent one.
    pub user_agent: Option<String>,
}

impl RequestContext {
    /// A context for actions taken from the command line.
    pub fn cli() -> Self {
        Self {
            ip: None,
            user_agent: Some("portcullis-cli".into()),
        }
    }
}

/// An event about to be recorded.
#[derive(Debug, Clone)]
pub struct NewAuditEvent {
    /// When it happened.
    pub at: OffsetDateTime,
    /// What happened.
    pub kind: AuditKind,
    /// Who did it (`None`: anonymous or the system).
    pub actor: Option<UserId>,
    /// Whom it concerns.
    pub target: Option<UserId>,
    /// The client's address, if known.
    pub ip: Option<String>,
    /// The client's user agent, if it sent one.
    pub user_agent: Option<String>,
    /// Small structured detail (reason, attempted login, ...).
    pub detail: Value,
}

impl NewAuditEvent {
    /// An event of `kind` at `at` from `ctx`, with sanitised text.
    pub fn new(kind: AuditKind, at: OffsetDateTime, ctx: &RequestContext) -> Self {
        Self {
            at,
            kind,
            actor: None,
            target: None,
            ip: ctx.ip.as_deref().map(sanitize),
            user_agent: ctx
                .user_agent
                .as_deref()
                .map(|ua| sanitize(&truncate(ua, 512))),
            detail: Value::Object(Map::new()),
        }
    }

    /// Sets the acting user.
    pub fn actor(mut self, user: UserId) -> Self {
        self.actor = Some(user);
        self
    }

    /// Sets the user the event concerns.
    pub fn target(mut self, user: UserId) -> Self {
        self.target = Some(user);
        self
    }

    /// Sets actor and target to the same user (things users do to themselves).
    pub fn by(self, user: UserId) -> Self {
        self.actor(user).target(user)
    }

    /// Adds a detail field; string values are sanitised and capped.
    pub fn detail(mut self, key: &str, value: impl Into<Value>) -> Self {
        if let Value::Object(map) = &mut self.detail {
            map.insert(key.to_owned(), clean(value.into()));
        }
        self
    }
}

/// A recorded event.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditEvent {
    /// Position in the log; newer events have higher ids.
    pub id: i64,
    #[serde(with = "time::serde::rfc3339")]
    /// When it happened.
    pub at: OffsetDateTime,
    /// What happened.
    pub kind: String,
    /// Who did it (`None`: anonymous, or the system when `detail.actor` says so).
    pub actor: Option<UserId>,
    /// Whom it concerns.
    pub target: Option<UserId>,
    /// The client's address, if known.
    pub ip: Option<String>,
    /// The client's user agent, if it sent one.
    pub user_agent: Option<String>,
    /// Small structured detail (reason, attempted login, ...).
    pub detail: Value,
}

/// Which events to list: newest first, optionally narrowed.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Events where this user is actor or target.
    pub user: Option<UserId>,
    /// What happened.
    pub kind: Option<AuditKind>,
    /// Events at or after this instant.
    pub since: Option<OffsetDateTime>,
    /// Events before this instant.
    pub until: Option<OffsetDateTime>,
    /// Events to skip (newest first).
    pub offset: i64,
    /// Events to return at most.
    pub limit: i64,
}

/// Escapes control characters (CR, LF, ESC, ...) so the value stays one
/// line and cannot inject terminal sequences or fake entries.
///
/// ```
/// assert_eq!(portcullis_core::audit::sanitize("a\r\nb\u{1b}[31m"), "a\\r\\nb\\u{1b}[31m");
/// ```
pub fn sanitize(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\r' => out.push_str("\\r"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

fn clean(value: Value) -> Value {
    match value {
        Value::String(s) => Value::String(sanitize(&truncate(&s, 256))),
        Value::Array(items) => Value::Array(items.into_iter().map(clean).collect()),
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (sanitize(&k), clean(v)))
                .collect(),
        ),
        other => other,
    }
}

fn truncate(s: &str, max: usize) -> String {
    let mut cut = s.len().min(max);
    while !s.is_char_boundary(cut) {
        cut -= 1;
    }
    s[..cut].to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_through_their_names() {
        for kind in AuditKind::ALL {
            assert_eq!(AuditKind::parse(kind.as_str()), Some(*kind));
        }
        assert_eq!(AuditKind::parse("nope"), None);
    }

    #[test]
    fn user_supplied_text_cannot_break_lines() {
        let ctx = RequestContext {
            ip: Some("1.2.3.4".into()),
            user_agent: Some("evil\r\n2026-01-01 login_succeeded admin".into()),
        };
        let event = NewAuditEvent::new(AuditKind::LoginFailed, OffsetDateTime::UNIX_EPOCH, &ctx)
            .detail("login", "root\nfake")
            .detail("nested", serde_json::json!({"k": ["a\u{0}b"]}));
        assert!(!event.user_agent.as_deref().unwrap().contains('\n'));
        assert_eq!(event.detail["login"], "root\\nfake");
        assert_eq!(event.detail["nested"]["k"][0], "a\\u{0}b");
    }

    #[test]
    fn long_values_are_capped() {
        let ctx = RequestContext::default();
        let event = NewAuditEvent::new(AuditKind::LoginFailed, OffsetDateTime::UNIX_EPOCH, &ctx)
            .detail("login", "é".repeat(1000));
        assert!(event.detail["login"].as_str().unwrap().len() <= 256);
    }
}
