//! Accounts and roles as the rest of the system sees them. The password hash
//! is deliberately not a field of [`User`]: it travels only inside the login
//! use case (see [`crate::store::Credential`]).

use serde::Serialize;
use time::OffsetDateTime;

/// Database identity of a user.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct UserId(pub i64);

impl std::fmt::Display for UserId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// An account.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    /// The account's row id.
    pub id: UserId,
    /// The username as chosen (case kept).
    pub username: String,
    /// The address as given (case kept); `None` for a service account.
    pub email: Option<String>,
    /// A person, or a service that acts only through API tokens.
    pub kind: AccountKind,
    /// Display name, if the user or an administrator gave one.
    pub name: Option<String>,
    /// Deactivated accounts cannot log in and lose their sessions.
    pub is_active: bool,
    /// When the email address was confirmed, if it was.
    #[serde(with = "time::serde::rfc3339::option")]
    pub confirmed_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339")]
    /// When the account was created.
    pub created_at: OffsetDateTime,
    /// The login before the current one (Flask-Security's "trackable").
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_login_at: Option<OffsetDateTime>,
    /// Where the login before the current one came from.
    pub last_login_ip: Option<String>,
    /// The most recent login.
    #[serde(with = "time::serde::rfc3339::option")]
    pub current_login_at: Option<OffsetDateTime>,
    /// Where the most recent login came from.
    pub current_login_ip: Option<String>,
    /// Successful logins so far.
    pub login_count: i64,
    /// Set while the account is locked after too many failed logins.
    #[serde(with = "time::serde::rfc3339::option")]
    pub locked_until: Option<OffsetDateTime>,
    /// Last activity on any session (updated at most once a minute).
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_seen_at: Option<OffsetDateTime>,
}

/// What an account is for.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum AccountKind {
    /// A person: an address, a password or a linked provider, interactive
    /// login, tokens of their own.
    #[default]
    Human,
    /// A robot: no address, no password, no interactive login; it acts
    /// through tokens an administrator mints for it.
    Service,
}

impl AccountKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            AccountKind::Human => "human",
            AccountKind::Service => "service",
        }
    }

    /// The kind a stored name stands for.
    pub fn from_stored(name: &str) -> Option<Self> {
        match name {
            "human" => Some(AccountKind::Human),
            "service" => Some(AccountKind::Service),
            _ => None,
        }
    }
}

impl User {
    /// Where to write to the account's owner: `None` for a service account.
    pub fn mailbox(&self) -> Option<&str> {
        self.email.as_deref()
    }

    /// Whether this is a service account.
    pub fn is_service(&self) -> bool {
        self.kind == AccountKind::Service
    }
}

/// A named group of permissions. Built in: `admin`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Role {
    /// The role's name, unique.
    pub name: String,
    /// What the role is for.
    pub description: String,
}

/// Name of the built-in administrator role, seeded by the first migration.
pub const ADMIN_ROLE: &str = "admin";
