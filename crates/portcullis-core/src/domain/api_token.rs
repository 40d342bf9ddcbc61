//! API tokens as the rest of the system sees them, and what a token lets
//! its bearer do.
//!
//! A token is one of three kinds: a *login* token (`POST /api/token`, with
//! a password) carries everything its owner may do, as a session does; a
//! *personal* token, made by its owner, and a *service* token, made by an
//! administrator for a service account, carry a list of **scopes**.
//!
//! A scope is a permission string. What a scoped token may do is its scopes
//! intersected with its owner's permissions *as they are at each request*,
//! so a role taken away takes the token's use of it along. Three scopes are
//! not permissions but every account's own: [`ME_READ`] (the profile),
//! [`ME_SESSIONS`] and [`ME_TOKENS`]; a session and a login token hold them
//! all.
//!
//! ```
//! use portcullis_core::domain::api_token::Scopes;
//! use portcullis_core::PermissionSet;
//!
//! let owner = PermissionSet::of(["posts:read", "posts:write"]);
//! let token = Scopes::only(["posts:read", "billing:read", "me:read"]);
//! let effective = token.narrow(&owner);
//! assert!(effective.holds("posts:read"));
//! assert!(!effective.holds("posts:write")); // not a scope of the token
//! assert!(!effective.holds("billing:read")); // the owner does not hold it
//! assert!(token.allows_self_service("me:read"));
//! assert!(!token.allows_self_service("me:tokens"));
//! ```

use crate::access::PermissionSet;
use crate::domain::user::UserId;
use serde::Serialize;
use std::collections::BTreeSet;
use time::OffsetDateTime;

/// Read the account's own profile.
pub const ME_READ: &str = "me:read";
/// List and end the account's own sessions.
pub const ME_SESSIONS: &str = "me:sessions";
/// List, create and revoke the account's own tokens.
pub const ME_TOKENS: &str = "me:tokens";
/// The self-service scopes every account holds for its own data.
pub const SELF_SERVICE_SCOPES: [&str; 3] = [ME_READ, ME_SESSIONS, ME_TOKENS];

/// Whether `scope` is one of the self-service scopes (`me:*`).
pub fn is_self_service(scope: &str) -> bool {
    SELF_SERVICE_SCOPES.contains(&scope)
}

/// Database identity of a token (not its secret).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct ApiTokenId(pub i64);

impl std::fmt::Display for ApiTokenId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// How a token came to be, which decides what it carries and what ends it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenKind {
    /// From `POST /api/token` with a password: everything the owner may do;
    /// a password change revokes it.
    Login,
    /// Made by its owner, with scopes; survives a password change.
    Personal,
    /// Made by an administrator for a service account, with scopes.
    Service,
}

impl TokenKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenKind::Login => "login",
            TokenKind::Personal => "personal",
            TokenKind::Service => "service",
        }
    }

    /// The kind a stored name stands for.
    pub fn from_stored(name: &str) -> Option<Self> {
        match name {
            "login" => Some(TokenKind::Login),
            "personal" => Some(TokenKind::Personal),
            "service" => Some(TokenKind::Service),
            _ => None,
        }
    }
}

/// What a token may do, before its owner's permissions are applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scopes {
    /// Everything the owner may do (login tokens).
    Owner,
    /// Exactly these scopes, within what the owner may do.
    Only(BTreeSet<String>),
}

impl Scopes {
    /// Exactly the given scopes.
    pub fn only<I, S>(scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self::Only(scopes.into_iter().map(Into::into).collect())
    }

    /// What a request with these scopes may do, for an owner holding
    /// `owner`: the owner's permissions, narrowed to the scopes.
    pub fn narrow(&self, owner: &PermissionSet) -> PermissionSet {
        match self {
            Scopes::Owner => owner.clone(),
            Scopes::Only(scopes) => PermissionSet::Only(
                scopes
                    .iter()
                    .filter(|s| !is_self_service(s) && owner.holds(s))
                    .cloned()
                    .collect(),
            ),
        }
    }

    /// Whether the self-service scope `scope` (`me:read` ...) is carried.
    pub fn allows_self_service(&self, scope: &str) -> bool {
        match self {
            Scopes::Owner => true,
            Scopes::Only(scopes) => scopes.contains(scope),
        }
    }

    /// Whether every scope of `other` is carried by these scopes (a token
    /// minted with a token gets no more than the token that minted it).
    pub fn covers(&self, other: &BTreeSet<String>) -> bool {
        match self {
            Scopes::Owner => true,
            Scopes::Only(mine) => other.is_subset(mine),
        }
    }

    /// The explicit scopes, sorted; `None` for [`Scopes::Owner`].
    pub fn listed(&self) -> Option<Vec<String>> {
        match self {
            Scopes::Owner => None,
            Scopes::Only(set) => Some(set.iter().cloned().collect()),
        }
    }
}

/// A stored token, without its secret (only its hash is ever stored).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    /// The token's row id.
    pub id: ApiTokenId,
    /// The account it acts for.
    pub user_id: UserId,
    /// How it came to be.
    pub kind: TokenKind,
    /// What its owner called it.
    pub name: String,
    /// What it may do, before the owner's permissions are applied.
    pub scopes: Scopes,
    /// When it was made.
    pub created_at: OffsetDateTime,
    /// When it stops working; `None` if never.
    pub expires_at: Option<OffsetDateTime>,
    /// When it was last used (written at most once a minute).
    pub last_used_at: Option<OffsetDateTime>,
    /// Where it was last used from.
    pub last_used_ip: Option<String>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<OffsetDateTime>,
    /// The administrator who made it, when not its owner.
    pub created_by: Option<UserId>,
}

impl ApiToken {
    /// Whether it works at `now`: not revoked, not expired.
    pub fn is_live(&self, now: OffsetDateTime) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|at| now < at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_never_has_more_than_its_owner() {
        let token = Scopes::only(["users:manage", "posts:read"]);
        let helpdesk = PermissionSet::of(["users:read", "posts:read"]);
        assert_eq!(token.narrow(&helpdesk), PermissionSet::of(["posts:read"]));
        // An administrator's token is still only its scopes.
        assert_eq!(
            token.narrow(&PermissionSet::All),
            PermissionSet::of(["users:manage", "posts:read"])
        );
        // A login token is its owner.
        assert_eq!(
            Scopes::Owner.narrow(&PermissionSet::All),
            PermissionSet::All
        );
    }

    #[test]
    fn self_service_scopes_are_kept_apart_from_permissions() {
        let token = Scopes::only(["me:read", "me:tokens"]);
        // Even an owner whose roles list "me:read" gets no permission from it.
        let owner = PermissionSet::of(["me:read"]);
        assert!(!token.narrow(&owner).holds("me:read"));
        assert!(token.allows_self_service("me:tokens"));
        assert!(!token.allows_self_service("me:sessions"));
        assert!(Scopes::Owner.allows_self_service("me:sessions"));
    }

    #[test]
    fn a_token_covers_only_subsets_of_its_scopes() {
        let token = Scopes::only(["me:tokens", "posts:read"]);
        let subset: BTreeSet<String> = ["posts:read".to_owned()].into();
        let wider: BTreeSet<String> = ["posts:read".to_owned(), "posts:write".to_owned()].into();
        assert!(token.covers(&subset));
        assert!(!token.covers(&wider));
        assert!(Scopes::Owner.covers(&wider));
    }
}
