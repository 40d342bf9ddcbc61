//! Roles and permissions. A permission is a string such as `posts:delete`;
//! a role holds any number of them; a user's permissions are the union of
//! their roles'. The built-in `admin` role holds every permission (see
//! [`crate::access`]); the four stored with it are what the admin UI and API
//! check.

use serde::Serialize;
use std::fmt;

/// May see accounts and their details.
pub const USERS_READ: &str = "users:read";
/// May create, edit, (de)activate, unlock and delete accounts and assign roles.
pub const USERS_MANAGE: &str = "users:manage";
/// May create, edit and delete roles.
pub const ROLES_MANAGE: &str = "roles:manage";
/// May read the audit log.
pub const AUDIT_READ: &str = "audit:read";
/// May list and revoke other accounts' API tokens and mint tokens for
/// service accounts.
pub const TOKENS_MANAGE: &str = "tokens:manage";
/// What the built-in `admin` role always holds.
pub const ADMIN_PERMISSIONS: [&str; 4] = [USERS_READ, USERS_MANAGE, ROLES_MANAGE, AUDIT_READ];

/// A valid permission name: lowercase segments of letters, digits and `_`,
/// joined by `:` (`posts:delete`, `billing:invoices:read`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Permission(String);

/// Why a permission or role name was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error(
        "A permission is resource:action, lowercase words of letters, digits and '_' joined by ':', e.g. posts:delete."
    )]
    /// Not a valid permission name.
    Permission,
    #[error("A role name is 1 to 64 letters, digits, spaces, '_', '.' or '-'.")]
    /// Not a valid role name.
    Role,
}

impl Permission {
    /// Parses a permission name (surrounding spaces removed, case kept
    /// strict): a resource and an action at least, so a lone word (a typo,
    /// or one word of a phrase) is refused rather than granted.
    ///
    /// ```
    /// use portcullis_core::domain::role::Permission;
    /// assert!(Permission::parse("posts:delete").is_ok());
    /// assert!(Permission::parse("posts").is_err());
    /// assert!(Permission::parse("Posts:Delete").is_err());
    /// assert!(Permission::parse("posts::delete").is_err());
    /// ```
    pub fn parse(input: &str) -> Result<Self, NameError> {
        let s = input.trim();
        let ok = s.len() <= 64
            && s.contains(':')
            && s.split(':').all(|seg| {
                !seg.is_empty()
                    && seg
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            });
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(NameError::Permission)
        }
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A valid role name, e.g. `admin`, `Department Officer`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct RoleName(String);

impl RoleName {
    /// Parses a role name.
    pub fn parse(input: &str) -> Result<Self, NameError> {
        let s = input.trim();
        let ok = !s.is_empty()
            && s.chars().count() <= 64
            && s.chars()
                .all(|c| c.is_alphanumeric() || matches!(c, ' ' | '_' | '.' | '-'));
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(NameError::Role)
        }
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A role with its permissions and how many users hold it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RoleInfo {
    /// The role's name, unique.
    pub name: String,
    /// What the role is for, in words.
    pub description: String,
    /// Sorted.
    pub permissions: Vec<String>,
    /// Roles whose holders may grant and revoke this one without holding its
    /// permissions, provided it holds no administrative permission. Sorted.
    pub grantable_by: Vec<String>,
    /// How many accounts hold the role.
    pub members: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permissions_are_strict_lowercase_segments() {
        for ok in [
            "posts:delete",
            "users:manage",
            "billing:invoices:read",
            "x_1:y_2",
        ] {
            assert!(Permission::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "a",
            "posts",
            ":",
            "posts:",
            ":posts",
            "Posts",
            "posts delete",
            "posts:*",
            "p\u{e9}",
            &"a".repeat(65),
        ] {
            assert!(Permission::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn role_names_allow_spaces_but_not_markup() {
        for ok in ["admin", "Department Officer", "County-Admin", "r.1"] {
            assert!(RoleName::parse(ok).is_ok(), "{ok}");
        }
        for bad in ["", "   ", "<b>", "a/b", &"x".repeat(65)] {
            assert!(RoleName::parse(bad).is_err(), "{bad:?}");
        }
    }
}
