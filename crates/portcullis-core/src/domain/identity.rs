//! External identities: an OpenID provider's account, linked to a local one.
//!
//! The key is `(issuer, subject)`: a provider's `sub` is stable and unique
//! only within its issuer, and an email address is neither (it can change
//! hands, and an unverified one proves nothing). See the linking rules in
//! `services::identities`.

use crate::domain::user::UserId;
use serde::Serialize;
use time::OffsetDateTime;

/// Database identity of a linked identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct IdentityId(pub i64);

/// A provider's account linked to a local account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The row id.
    pub id: IdentityId,
    /// The local account.
    pub user_id: UserId,
    /// The configured provider that linked it (`google`).
    pub provider: String,
    /// The provider's issuer URL.
    pub issuer: String,
    /// The provider's stable id for the person (`sub`).
    pub subject: String,
    /// The address the provider gave when it was linked, for display.
    pub email: Option<String>,
    /// When it was linked.
    pub created_at: OffsetDateTime,
    /// When it was last used to sign in.
    pub last_login_at: Option<OffsetDateTime>,
}

/// What a sign-in flow was started for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlowPurpose {
    /// Sign in (or register) with the provider.
    Login,
    /// Link the provider to the signed-in account.
    Link,
    /// The signed-in account proving who it is again (`prompt=login`).
    Reauthenticate,
}

impl FlowPurpose {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            FlowPurpose::Login => "login",
            FlowPurpose::Link => "link",
            FlowPurpose::Reauthenticate => "reauth",
        }
    }

    /// The purpose a stored name stands for.
    pub fn from_stored(name: &str) -> Option<Self> {
        match name {
            "login" => Some(FlowPurpose::Login),
            "link" => Some(FlowPurpose::Link),
            "reauth" => Some(FlowPurpose::Reauthenticate),
            _ => None,
        }
    }
}

/// An authorization request in flight, as stored: what the callback needs
/// to finish it. The state itself is not kept, only its hash (the lookup
/// key), and the PKCE verifier is sealed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OidcFlow {
    /// The configured provider.
    pub provider: String,
    /// Hash of the browser-binding cookie the flow was started with.
    pub browser_hash: String,
    /// The PKCE verifier, sealed.
    pub sealed_verifier: String,
    /// The nonce the ID token must carry.
    pub nonce: String,
    /// Where to go afterwards (already checked to be on this site).
    pub next: Option<String>,
    /// Whether the session should be remembered.
    pub remember: bool,
    /// What the flow is for.
    pub purpose: FlowPurpose,
    /// The signed-in account, for `Link` and `Reauthenticate`.
    pub user_id: Option<UserId>,
    /// The client's address when it started.
    pub ip: Option<String>,
    /// When it started.
    pub created_at: OffsetDateTime,
    /// When it stops being accepted.
    pub expires_at: OffsetDateTime,
}

/// An identity waiting for the owner of `email` to prove the address (or a
/// local account), before anything is linked or created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingIdentity {
    /// The configured provider.
    pub provider: String,
    /// The provider's issuer URL.
    pub issuer: String,
    /// The provider's id for the person.
    pub subject: String,
    /// The address to prove, as the provider or the person gave it.
    pub email: String,
    /// The provider's suggested username.
    pub preferred_username: Option<String>,
    /// The provider's display name.
    pub name: Option<String>,
    /// Where to go afterwards.
    pub next: Option<String>,
    /// Hash of the browser-binding cookie of the flow that made it.
    pub browser_hash: Option<String>,
    /// When it was made.
    pub created_at: OffsetDateTime,
    /// When it stops being accepted.
    pub expires_at: OffsetDateTime,
}
