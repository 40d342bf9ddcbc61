//! How administrators search the user list: a prefix of the username or
//! email, filters, one sort key, and a page.

use time::OffsetDateTime;

/// The column a user list is sorted by. Ties are broken by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UserSort {
    #[default]
    /// Creation order.
    Id,
    /// By username, case-insensitively.
    Username,
    /// By address, case-insensitively.
    Email,
    /// By creation time.
    CreatedAt,
    /// By the latest login; accounts that never logged in come last.
    LastLogin,
}

impl UserSort {
    /// Parses `id`, `username`, `email`, `created`, `last_login`.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "id" => Self::Id,
            "username" => Self::Username,
            "email" => Self::Email,
            "created" | "created_at" => Self::CreatedAt,
            "last_login" | "last_login_at" => Self::LastLogin,
            _ => return None,
        })
    }

    /// The name `parse` accepts.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Id => "id",
            Self::Username => "username",
            Self::Email => "email",
            Self::CreatedAt => "created",
            Self::LastLogin => "last_login",
        }
    }
}

/// A page of the user list.
#[derive(Debug, Clone, Default)]
pub struct UserQuery {
    /// Lowercase text found anywhere in the username key or the email key
    /// (`%` and `_` match themselves).
    pub contains: Option<String>,
    /// Only holders of this role.
    pub role: Option<String>,
    /// Only (de)activated accounts.
    pub active: Option<bool>,
    /// Only accounts whose address is (not) confirmed.
    pub confirmed: Option<bool>,
    /// `Some(true)`: only accounts locked at `now`; `Some(false)`: only unlocked.
    pub locked: Option<bool>,
    /// The instant "locked" is judged at.
    pub now: Option<OffsetDateTime>,
    /// The column to sort by.
    pub sort: UserSort,
    /// Largest first.
    pub descending: bool,
    /// Users to skip.
    pub offset: i64,
    /// Users to return at most.
    pub limit: i64,
}
