//! The persistence boundary. `portcullis-store` implements these traits for
//! SQLite and PostgreSQL; the services in this crate only ever talk to them.
//!
//! The traits are narrow on purpose: each method is one statement's worth of
//! work, and none of them decides policy (expiry, lockout, who may do what).

mod api_tokens;
mod email_tokens;
mod identities;
mod imports;
mod mail;
mod passkeys;
mod sessions;
mod two_factor;

pub use api_tokens::*;
pub use email_tokens::*;
pub use identities::{IdentityStore, NewIdentity};
pub use imports::{ImportStore, LoginHistory};
pub use mail::*;
pub use passkeys::PasskeyStore;
pub use sessions::*;
pub use two_factor::*;

use crate::access::PermissionSet;
use crate::audit::{AuditEvent, AuditFilter, NewAuditEvent};
use crate::domain::api_token::{ApiToken, ApiTokenId, Scopes, TokenKind};
use crate::domain::query::UserQuery;
use crate::domain::role::RoleInfo;
use crate::domain::session::{Assurance, Session, SessionId};
use crate::domain::user::{AccountKind, Role, User, UserId};
use crate::token::TokenHash;
use async_trait::async_trait;
use std::fmt;
use time::OffsetDateTime;

/// Which unique value collided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UniqueField {
    /// The username (case-insensitively).
    Username,
    /// The email address (case-insensitively).
    Email,
    /// Any other unique constraint (role name, ...).
    Other,
}

impl fmt::Display for UniqueField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            UniqueField::Username => "username",
            UniqueField::Email => "email",
            UniqueField::Other => "value",
        })
    }
}

/// What can go wrong in storage.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique constraint refused the write.
    #[error("unique constraint on {0}")]
    Conflict(UniqueField),
    /// A row that the operation needs does not exist.
    #[error("not found")]
    NotFound,
    /// The database failed.
    #[error("database error: {0}")]
    Backend(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The database cannot be reached or cannot take writes now (down,
    /// restarting, no connection free in time, disk full): worth retrying.
    #[error("database unavailable: {0}")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// A new account, already validated and hashed.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// The username as chosen.
    pub username: String,
    /// Case-folded username; unique.
    pub username_key: String,
    /// The address as given; `None` only for a service account.
    pub email: Option<String>,
    /// Case-folded email; unique when present.
    pub email_key: Option<String>,
    /// A person or a service.
    pub kind: AccountKind,
    /// PHC string, or `None` for accounts that only log in through a
    /// provider, and for services.
    pub password_hash: Option<String>,
    /// Whether the account may log in.
    pub is_active: bool,
    /// When the address was confirmed, if it is.
    pub confirmed_at: Option<OffsetDateTime>,
    /// When it was created.
    pub created_at: OffsetDateTime,
}

/// New username, email and display name for an account.
#[derive(Debug, Clone)]
pub struct ProfileUpdate {
    /// The username as chosen.
    pub username: String,
    /// Case-folded username; unique.
    pub username_key: String,
    /// The address as given; `None` only for a service account.
    pub email: Option<String>,
    /// Case-folded email; unique when present.
    pub email_key: Option<String>,
    /// Display name, if any.
    pub name: Option<String>,
}

/// A user together with the stored password hash, for the login use case only.
#[derive(Clone)]
pub struct Credential {
    /// The account.
    pub user: User,
    /// The stored hash (PHC or a legacy format), if the account has a password.
    pub password_hash: Option<String>,
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credential")
            .field("user", &self.user)
            .field("password_hash", &"<redacted>")
            .finish()
    }
}

/// A session about to be stored.
#[derive(Debug, Clone)]
pub struct NewSession {
    /// SHA-256 of the secret; the secret itself is never stored.
    pub token_hash: TokenHash,
    /// The account it belongs to.
    pub user_id: UserId,
    /// When it was created.
    pub created_at: OffsetDateTime,
    /// When it stops working, whatever happens.
    pub expires_at: OffsetDateTime,
    /// "Remember me": long-lived and exempt from the idle timeout.
    pub remember: bool,
    /// The client's address.
    pub ip: Option<String>,
    /// The client's user agent.
    pub user_agent: Option<String>,
    /// How it was authenticated.
    pub assurance: Assurance,
    /// When its owner proved who they are.
    pub authenticated_at: OffsetDateTime,
}

/// A session found by its token, with its account and the account's roles:
/// everything a request needs to know about who is asking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedSession {
    /// The session.
    pub session: Session,
    /// The account.
    pub user: User,
    /// The account's roles, by name.
    pub roles: Vec<Role>,
    /// What those roles let the account do (everything, for `admin`).
    pub permissions: PermissionSet,
    /// Whether the account has a confirmed second factor.
    pub two_factor: bool,
}

/// Where an account's run of failed logins stands after an attempt was
/// reserved (see [`UserStore::reserve_login_attempt`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginBudget {
    /// Attempts counted since the last success or lock, this one included.
    pub attempts: i64,
    /// Set while the account is locked.
    pub locked_until: Option<OffsetDateTime>,
}

/// Accounts.
#[async_trait]
pub trait UserStore: Send + Sync {
    /// Inserts an account; `Conflict` if the username or email key is taken.
    async fn create_user(&self, new: &NewUser) -> Result<User, StoreError>;
    /// Looks an account up by id.
    async fn user_by_id(&self, id: UserId) -> Result<Option<User>, StoreError>;
    /// Finds the account whose username key or email key equals `login_key`.
    async fn credential_by_login(&self, login_key: &str) -> Result<Option<Credential>, StoreError>;
    /// Replaces the password hash (rehash on login, password change) at `at`.
    async fn set_password_hash(
        &self,
        id: UserId,
        hash: &str,
        at: OffsetDateTime,
    ) -> Result<(), StoreError>;
    /// Removes the account's password: it can sign in only through a
    /// provider (or after setting a new one by a reset link).
    async fn clear_password(&self, id: UserId, at: OffsetDateTime) -> Result<(), StoreError>;
    /// Shifts the current login to "last" and records this one at `at`.
    /// Ends the run of failed logins, unless the account was locked
    /// meanwhile: a lock set while this login was being checked stays.
    async fn record_login(
        &self,
        id: UserId,
        at: OffsetDateTime,
        ip: Option<&str>,
    ) -> Result<(), StoreError>;
    /// Counts a login attempt on the account *before* its password is
    /// checked, in one statement, and returns where the count stands: of
    /// any number of parallel attempts each gets its own number, so no more
    /// of them than the lockout allows ever reach the hash. An attempt on a
    /// locked account is not counted; one after a lock expired starts a new
    /// run at 1.
    async fn reserve_login_attempt(
        &self,
        id: UserId,
        now: OffsetDateTime,
    ) -> Result<LoginBudget, StoreError>;
    /// Gives back one reserved attempt whose password was right (the login
    /// was refused for another reason), unless the account is locked at `now`.
    async fn release_login_attempt(
        &self,
        id: UserId,
        now: OffsetDateTime,
    ) -> Result<(), StoreError>;
    /// Locks the account until `until` and resets the failure count, unless
    /// it is already locked at `now` (a lock is never extended).
    async fn lock_user(
        &self,
        id: UserId,
        until: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<(), StoreError>;
    /// Clears any lock and the failure count.
    async fn unlock_user(&self, id: UserId) -> Result<(), StoreError>;
    /// Activates or deactivates the account.
    async fn set_active(
        &self,
        id: UserId,
        active: bool,
        at: OffsetDateTime,
    ) -> Result<(), StoreError>;
    /// Records activity of the user at `at`.
    async fn touch_user(&self, id: UserId, at: OffsetDateTime) -> Result<(), StoreError>;
    /// A page of users matching `query` (filters, prefix, sort, offset/limit).
    async fn search_users(&self, query: &UserQuery) -> Result<Vec<User>, StoreError>;
    /// How many users match `query`, ignoring its sort and page.
    async fn count_search_users(&self, query: &UserQuery) -> Result<i64, StoreError>;
    /// Changes username, email (with their keys) and display name;
    /// `Conflict` when the new username or email belongs to someone else.
    async fn update_user_profile(
        &self,
        id: UserId,
        profile: &ProfileUpdate,
        at: OffsetDateTime,
    ) -> Result<(), StoreError>;
    /// Deletes the account; its sessions and memberships go with it.
    async fn delete_user(&self, id: UserId) -> Result<(), StoreError>;
    /// Takes the account's row lock until the transaction ends (a write that
    /// changes nothing); false if there is no such account.
    async fn lock_account(&self, id: UserId) -> Result<bool, StoreError>;
    /// A page of accounts ordered by id.
    async fn list_users(&self, offset: i64, limit: i64) -> Result<Vec<User>, StoreError>;
    /// How many accounts exist.
    async fn count_users(&self) -> Result<i64, StoreError>;
    /// The username of each of `users` that still exists, in one statement
    /// however many are asked for.
    async fn usernames_of(&self, users: &[UserId]) -> Result<Vec<(UserId, String)>, StoreError>;
}

/// Roles and membership.
#[async_trait]
pub trait RoleStore: Send + Sync {
    /// Creates the role if no role of that name exists; leaves it alone otherwise.
    async fn ensure_role(&self, name: &str, description: &str) -> Result<(), StoreError>;
    /// Makes `user` a member of `role`; `NotFound` if either is missing.
    /// Granting a role the user already has is not an error.
    async fn grant_role(&self, user: UserId, role: &str) -> Result<(), StoreError>;
    /// The roles `user` is a member of, by name.
    async fn roles_of(&self, user: UserId) -> Result<Vec<Role>, StoreError>;
    /// Removes `user` from `role`; false if they were not a member.
    async fn revoke_role(&self, user: UserId, role: &str) -> Result<bool, StoreError>;
    /// The union of the permissions of the user's roles, sorted, distinct.
    async fn permissions_of(&self, user: UserId) -> Result<Vec<String>, StoreError>;
    /// Every role with its permissions and member count, by name.
    async fn list_roles(&self) -> Result<Vec<RoleInfo>, StoreError>;
    /// One role, if it exists.
    async fn role(&self, name: &str) -> Result<Option<RoleInfo>, StoreError>;
    /// Creates a role; `Conflict(Other)` if the name is taken.
    async fn create_role(
        &self,
        name: &str,
        description: &str,
        at: OffsetDateTime,
    ) -> Result<(), StoreError>;
    /// Changes a role's description; `NotFound` if there is no such role.
    async fn set_role_description(&self, name: &str, description: &str) -> Result<(), StoreError>;
    /// Replaces a role's permissions with exactly `permissions`; `NotFound`
    /// if there is no such role.
    async fn set_role_permissions(
        &self,
        name: &str,
        permissions: &[String],
    ) -> Result<(), StoreError>;
    /// Deletes a role (memberships go with it); `NotFound` if missing.
    async fn delete_role(&self, name: &str) -> Result<(), StoreError>;
    /// How many *active* users hold `role`.
    async fn count_active_members(&self, role: &str) -> Result<i64, StoreError>;
    /// Takes the role's row lock until the transaction ends (a write that
    /// changes nothing), so transactions that take it run one at a time;
    /// false if there is no such role.
    async fn lock_role(&self, name: &str) -> Result<bool, StoreError>;
    /// Replaces the roles whose holders may grant and revoke `name`;
    /// `NotFound` if `name` or one of `grantors` does not exist.
    async fn set_role_grantors(&self, name: &str, grantors: &[String]) -> Result<(), StoreError>;
    /// The role names of each of `users` (one pair per membership), in one
    /// statement however many users are asked for.
    async fn roles_of_users(&self, users: &[UserId]) -> Result<Vec<(UserId, String)>, StoreError>;
}

/// The audit log. Append-only: there is no update or delete.
#[async_trait]
pub trait AuditStore: Send + Sync {
    /// Records an event.
    async fn append_audit(&self, event: &NewAuditEvent) -> Result<(), StoreError>;
    /// Events matching `filter`, newest first (by id), paginated.
    async fn list_audit(&self, filter: &AuditFilter) -> Result<Vec<AuditEvent>, StoreError>;
    /// How many events match `filter` (ignoring its offset and limit).
    async fn count_audit(&self, filter: &AuditFilter) -> Result<i64, StoreError>;
}

/// A rate-limit counter after a hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateCounter {
    /// Hits in the current window, this one included.
    pub hits: i64,
    /// When the current window began.
    pub window_start: OffsetDateTime,
}

/// Fixed-window hit counters, shared by every instance on the database.
#[async_trait]
pub trait RateLimitStore: Send + Sync {
    /// Counts a hit on `key` at `now`. A window that began at or before
    /// `window_cutoff` is over: the count restarts at 1 with a window
    /// beginning at `now`. One atomic statement.
    async fn hit(
        &self,
        key: &str,
        now: OffsetDateTime,
        window_cutoff: OffsetDateTime,
    ) -> Result<RateCounter, StoreError>;
    /// Takes back one hit on `key` if its window still began at
    /// `window_start` (a successful login is not a guess).
    async fn refund(&self, key: &str, window_start: OffsetDateTime) -> Result<(), StoreError>;
    /// Forgets counters whose window began before `cutoff`; returns how many.
    async fn purge_rate_limits(&self, cutoff: OffsetDateTime) -> Result<u64, StoreError>;
}

/// Everything the services need from storage.
#[async_trait]
pub trait Store:
    UserStore
    + RoleStore
    + SessionStore
    + AuditStore
    + RateLimitStore
    + EmailStore
    + TwoFactorStore
    + ApiTokenStore
    + IdentityStore
    + MailStore
    + ImportStore
    + PasskeyStore
{
    /// Succeeds when the database answers.
    async fn ping(&self) -> Result<(), StoreError>;
    /// Refreshes the query planner's statistics after a bulk change (an
    /// import): a plan chosen while a table was empty would otherwise scan
    /// it whole on every lookup until the database's own maintenance (if
    /// it runs) notices.
    async fn analyze(&self) -> Result<(), StoreError>;
    /// Opens a transaction: every method called on it runs in it, and
    /// nothing is kept unless [`Transaction::commit`] succeeds (dropping it
    /// rolls back). On SQLite it takes the write lock at once (`BEGIN
    /// IMMEDIATE`), so a transaction that reads before it writes never
    /// fails halfway for want of the lock.
    async fn begin(&self) -> Result<Box<dyn Transaction>, StoreError>;
}

/// An open transaction over the same traits as the [`Store`]: the seam for
/// use cases that write more than once, or check before they write.
#[async_trait]
pub trait Transaction:
    UserStore
    + RoleStore
    + SessionStore
    + AuditStore
    + RateLimitStore
    + EmailStore
    + TwoFactorStore
    + ApiTokenStore
    + IdentityStore
    + MailStore
    + ImportStore
    + PasskeyStore
{
    /// Keeps everything done in the transaction.
    async fn commit(self: Box<Self>) -> Result<(), StoreError>;
}
