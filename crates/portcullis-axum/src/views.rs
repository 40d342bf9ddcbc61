//! How sessions, tokens and audit events are shown, shared by the pages and
//! the API.

use portcullis_core::Session;
use portcullis_core::domain::api_token::{ApiToken, TokenKind};
use portcullis_core::domain::identity::Identity;
use serde::Serialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// A session as its owner sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub(crate) struct SessionView {
    pub id: i64,
    /// "Firefox 120 on Linux", from the user agent.
    pub device: String,
    pub ip: Option<String>,
    pub created_at: String,
    pub last_seen_at: String,
    pub expires_at: String,
    pub remember: bool,
    /// The session this request was made with.
    pub current: bool,
}

impl SessionView {
    pub fn new(session: &Session, current: Option<&Session>) -> Self {
        Self {
            id: session.id.0,
            device: device(session.user_agent.as_deref()),
            ip: session.ip.clone(),
            created_at: rfc3339(session.created_at),
            last_seen_at: rfc3339(session.last_seen_at),
            expires_at: rfc3339(session.expires_at),
            remember: session.remember,
            current: current.is_some_and(|c| c.id == session.id),
        }
    }
}

/// A passkey as its owner (or an administrator) sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub(crate) struct PasskeyView {
    pub id: i64,
    pub name: String,
    pub created_at: String,
    pub last_used_at: Option<String>,
    /// The passkey may be copied between the owner's devices (synced).
    pub backup_eligible: bool,
    /// It was copied when last seen.
    pub backed_up: bool,
}

impl PasskeyView {
    pub fn new(passkey: &portcullis_core::domain::passkey::PasskeyInfo) -> Self {
        Self {
            id: passkey.id.0,
            name: passkey.name.clone(),
            created_at: rfc3339(passkey.created_at),
            last_used_at: passkey.last_used_at.map(rfc3339),
            backup_eligible: passkey.backup_eligible,
            backed_up: passkey.backed_up,
        }
    }
}

/// A linked provider account as its owner sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub(crate) struct IdentityView {
    pub id: i64,
    /// The configured provider's id (`google`).
    pub provider: String,
    /// The provider's button name (`Google`).
    pub provider_name: String,
    /// The address the provider gave when it was linked.
    pub email: Option<String>,
    pub created_at: String,
    pub last_login_at: Option<String>,
}

impl IdentityView {
    pub fn new(identity: &Identity, state: &crate::state::Portcullis) -> Self {
        let name = state
            .auth()
            .identities()
            .provider(&identity.provider)
            .map_or(identity.provider.as_str(), |p| p.name())
            .to_owned();
        Self {
            id: identity.id.0,
            provider: identity.provider.clone(),
            provider_name: name,
            email: identity.email.clone(),
            created_at: rfc3339(identity.created_at),
            last_login_at: identity.last_login_at.map(rfc3339),
        }
    }
}

/// An API token as its owner (or an administrator) sees it: never its
/// secret, which only the answer that made it carries.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub(crate) struct TokenView {
    pub id: i64,
    pub name: String,
    pub kind: TokenKind,
    /// `null` for a login token: everything its owner may do.
    pub scopes: Option<Vec<String>>,
    pub created_at: String,
    /// `null`: never expires.
    pub expires_at: Option<String>,
    pub last_used_at: Option<String>,
    pub last_used_ip: Option<String>,
}

impl TokenView {
    pub fn new(token: &ApiToken) -> Self {
        Self {
            id: token.id.0,
            name: token.name.clone(),
            kind: token.kind,
            scopes: token.scopes.listed(),
            created_at: rfc3339(token.created_at),
            expires_at: token.expires_at.map(rfc3339),
            last_used_at: token.last_used_at.map(rfc3339),
            last_used_ip: token.last_used_ip.clone(),
        }
    }
}

/// A timestamp as shown: UTC, RFC 3339, whole seconds.
pub(crate) fn rfc3339(at: OffsetDateTime) -> String {
    at.replace_nanosecond(0)
        .unwrap_or(at)
        .format(&Rfc3339)
        .unwrap_or_default()
}

/// A short description of the browser and system behind a user agent.
pub(crate) fn device(user_agent: Option<&str>) -> String {
    const UNKNOWN: &str = "UNKNOWN";
    let Some(ua) = user_agent.filter(|ua| !ua.trim().is_empty()) else {
        return "Unknown device".to_owned();
    };
    match woothee::parser::Parser::new().parse(ua) {
        // Libraries and bots ("misc", "crawler") read better as what they sent.
        Some(found) if found.name != UNKNOWN && !matches!(found.category, "crawler" | "misc") => {
            let major = found.version.split('.').next().unwrap_or("");
            let browser = if major.is_empty() || major == UNKNOWN {
                found.name.to_owned()
            } else {
                format!("{} {major}", found.name)
            };
            if found.os == UNKNOWN {
                browser
            } else {
                format!("{browser} on {}", found.os)
            }
        }
        // Scripts and unusual clients: show (the start of) what they sent.
        _ => ua.chars().filter(|c| !c.is_control()).take(60).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::device;

    #[test]
    fn user_agents_become_readable_devices() {
        let firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0";
        assert_eq!(device(Some(firefox)), "Firefox 120 on Linux");
        let chrome = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Safari/537.36";
        assert!(
            device(Some(chrome)).starts_with("Chrome 119 on Windows"),
            "{}",
            device(Some(chrome))
        );
        assert_eq!(device(Some("curl/8.4.0")), "curl/8.4.0");
        assert_eq!(device(None), "Unknown device");
        assert_eq!(device(Some("a\r\nb")), "ab");
    }
}
