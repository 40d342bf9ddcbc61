//! The persistence boundary. `portcullis-store` implements these traits for
//! SQLite and PostgreSQL; the services in this crate only ever talk to them.
//!
//! The traits are narrow on purpose: each method is one statement's worth of
//! work, and none of them decides policy (expiry, lockout, who may do what).

mod identities;

pub use identities::{IdentityStore, NewIdentity};

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
    /// The database failed or is unreachable.
    #[error("database error: {0}")]
    Backend(#[source] Box<dyn std::error::Error + Send + Sync>),
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

/// Server-side sessions, keyed by the hash of their token.
#[async_trait]
pub trait SessionStore: Send + Sync {
    /// Stores a new session.
    async fn create_session(&self, new: &NewSession) -> Result<Session, StoreError>;
    /// The session whose token hashes to `hash`.
    async fn session_by_token(&self, hash: &TokenHash) -> Result<Option<Session>, StoreError>;
    /// The session whose token hashes to `hash`, with its account and the
    /// account's roles. One statement: it runs on every request that carries
    /// a session cookie.
    async fn resolve_session(
        &self,
        hash: &TokenHash,
    ) -> Result<Option<ResolvedSession>, StoreError>;
    /// Records activity on a session.
    async fn touch_session(&self, id: SessionId, at: OffsetDateTime) -> Result<(), StoreError>;
    /// Ends one session. Deleting a session that is already gone is not an error.
    async fn delete_session(&self, id: SessionId) -> Result<(), StoreError>;
    /// Ends every session of `user`; returns how many there were.
    async fn delete_sessions_of(&self, user: UserId) -> Result<u64, StoreError>;
    /// The sessions of `user`, most recently seen first.
    async fn sessions_of(&self, user: UserId) -> Result<Vec<Session>, StoreError>;
    /// Ends session `id` if it belongs to `user`; false if there was none.
    async fn delete_session_of(&self, user: UserId, id: SessionId) -> Result<bool, StoreError>;
    /// Ends every session of `user` except `keep`; returns how many.
    async fn delete_other_sessions(&self, user: UserId, keep: SessionId)
    -> Result<u64, StoreError>;
    /// Records that the owner of session `id` proved who they are again at
    /// `at`, reaching `assurance`.
    async fn reauthenticate(
        &self,
        id: SessionId,
        at: OffsetDateTime,
        assurance: Assurance,
    ) -> Result<(), StoreError>;
    /// Counts a wrong second factor against session `id`; returns the count.
    async fn count_second_factor_failure(&self, id: SessionId) -> Result<i64, StoreError>;
    /// Removes sessions past `now` or, unless remember-me, last seen before
    /// `idle_cutoff`; returns how many.
    async fn delete_expired_sessions(
        &self,
        now: OffsetDateTime,
        idle_cutoff: OffsetDateTime,
    ) -> Result<u64, StoreError>;
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

/// What an emailed token is for. Each purpose has its own namespace: a
/// reset token never confirms an address, and the other way round.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenPurpose {
    /// Confirms the address an account registered with.
    Confirm,
    /// Lets the holder set a new password.
    Reset,
    /// Confirms a new address and switches the account to it.
    ChangeEmail,
}

impl TokenPurpose {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenPurpose::Confirm => "confirm",
            TokenPurpose::Reset => "reset",
            TokenPurpose::ChangeEmail => "change_email",
        }
    }
}

/// A token about to be stored: only its hash.
#[derive(Debug, Clone)]
pub struct NewEmailToken {
    /// What the link does.
    pub purpose: TokenPurpose,
    /// The account it belongs to.
    pub user_id: UserId,
    /// SHA-256 of the secret; the secret itself is never stored.
    pub token_hash: TokenHash,
    /// The address to switch to (`ChangeEmail` only).
    pub new_email: Option<String>,
    /// When it was created.
    pub created_at: OffsetDateTime,
    /// When it stops working, whatever happens.
    pub expires_at: OffsetDateTime,
}

/// An address change whose link has been sent and not yet followed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingEmailChange {
    /// The address the link went to.
    pub new_email: String,
    /// When the link was sent.
    pub sent_at: OffsetDateTime,
}

/// What a live token stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailTokenGrant {
    /// The account it belongs to.
    pub user_id: UserId,
    /// The address to switch to (email changes only).
    pub new_email: Option<String>,
}

/// Single-use tokens sent by email, and the account changes they lead to.
#[async_trait]
pub trait EmailStore: Send + Sync {
    /// Voids every unused token of the same purpose and user (as used at
    /// `created_at`), then stores the new one; one transaction. For an
    /// account that does not exist the same statements run and store
    /// nothing, so asking for a link costs the same whoever asks.
    async fn issue_email_token(&self, new: &NewEmailToken) -> Result<(), StoreError>;
    /// The grant of the token hashing to `hash` if it is unused and not
    /// expired at `now`, without using it up (pages show a form first).
    async fn peek_email_token(
        &self,
        hash: &TokenHash,
        purpose: TokenPurpose,
        now: OffsetDateTime,
    ) -> Result<Option<EmailTokenGrant>, StoreError>;
    /// Marks the token used at `now` and returns its grant, if it was
    /// unused and not expired: one atomic statement, so of two concurrent
    /// redemptions exactly one gets `Some`.
    async fn redeem_email_token(
        &self,
        hash: &TokenHash,
        purpose: TokenPurpose,
        now: OffsetDateTime,
    ) -> Result<Option<EmailTokenGrant>, StoreError>;
    /// The address change of `user` waiting for its link to be followed at
    /// `now` (issuing a link voids the older ones, so there is at most one).
    async fn pending_email_change(
        &self,
        user: UserId,
        now: OffsetDateTime,
    ) -> Result<Option<PendingEmailChange>, StoreError>;
    /// Voids the unused tokens of `purpose` of `user`; returns how many.
    async fn void_email_tokens(
        &self,
        user: UserId,
        purpose: TokenPurpose,
        now: OffsetDateTime,
    ) -> Result<u64, StoreError>;
    /// Deletes the tokens that expired before `now`; returns how many.
    async fn purge_email_tokens(&self, now: OffsetDateTime) -> Result<u64, StoreError>;
    /// Records the account's address as confirmed at `at` (if it was not).
    async fn mark_confirmed(&self, user: UserId, at: OffsetDateTime) -> Result<(), StoreError>;
    /// Forgets that the account's address was confirmed.
    async fn mark_unconfirmed(&self, user: UserId) -> Result<(), StoreError>;
    /// Switches the account's address, confirmed at `at`; `Conflict(Email)`
    /// if another account holds the key.
    async fn change_email(
        &self,
        user: UserId,
        email: &str,
        email_key: &str,
        at: OffsetDateTime,
    ) -> Result<(), StoreError>;
}

/// An account's TOTP credential: the seed, sealed (see
/// [`crate::sealing`]), and the replay guard.
#[derive(Clone, PartialEq, Eq)]
pub struct TotpRecord {
    /// The seed, encrypted under a key derived from the server secret.
    pub sealed_secret: String,
    /// When enrolment began.
    pub created_at: OffsetDateTime,
    /// When the first code was proven; `None` while enrolment is pending.
    pub confirmed_at: Option<OffsetDateTime>,
    /// The last 30-second step a code was accepted for: no code of it, or of
    /// an earlier step, is accepted again.
    pub last_step: Option<i64>,
}

impl fmt::Debug for TotpRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TotpRecord")
            .field("sealed_secret", &"<redacted>")
            .field("confirmed_at", &self.confirmed_at)
            .field("last_step", &self.last_step)
            .finish_non_exhaustive()
    }
}

/// Second factors: TOTP credentials and recovery codes (kept as hashes).
#[async_trait]
pub trait TwoFactorStore: Send + Sync {
    /// The account's TOTP credential, confirmed or pending.
    async fn totp_of(&self, user: UserId) -> Result<Option<TotpRecord>, StoreError>;
    /// Starts (or restarts) a pending enrolment with `sealed`; false, and
    /// nothing changed, if the account has a confirmed credential.
    async fn put_pending_totp(
        &self,
        user: UserId,
        sealed: &str,
        at: OffsetDateTime,
    ) -> Result<bool, StoreError>;
    /// Confirms the pending credential with the code of `step`; false if
    /// there is none pending.
    async fn confirm_totp(
        &self,
        user: UserId,
        step: i64,
        at: OffsetDateTime,
    ) -> Result<bool, StoreError>;
    /// Accepts a code of `step` if no code of it or a later step was
    /// accepted before: one atomic statement, so a code works once, on
    /// every instance.
    async fn accept_totp_step(&self, user: UserId, step: i64) -> Result<bool, StoreError>;
    /// Replaces the sealed seed (after re-sealing under the current key).
    async fn reseal_totp(&self, user: UserId, sealed: &str) -> Result<(), StoreError>;
    /// Removes the credential, confirmed or pending; false if there was none.
    async fn delete_totp(&self, user: UserId) -> Result<bool, StoreError>;
    /// Replaces the account's recovery codes with `hashes`.
    async fn replace_recovery_codes(
        &self,
        user: UserId,
        hashes: &[TokenHash],
        at: OffsetDateTime,
    ) -> Result<(), StoreError>;
    /// Spends the unused code hashing to `hash`, in one atomic statement;
    /// false if there is none.
    async fn use_recovery_code(
        &self,
        user: UserId,
        hash: &TokenHash,
        at: OffsetDateTime,
    ) -> Result<bool, StoreError>;
    /// How many unused recovery codes the account has.
    async fn recovery_codes_left(&self, user: UserId) -> Result<i64, StoreError>;
    /// Removes every recovery code of the account; returns how many.
    async fn delete_recovery_codes(&self, user: UserId) -> Result<u64, StoreError>;
}

/// A token about to be stored: only its hash.
#[derive(Debug, Clone)]
pub struct NewApiToken {
    /// SHA-256 of the secret; the secret itself is never stored.
    pub token_hash: TokenHash,
    /// The account it acts for.
    pub user_id: UserId,
    /// How it came to be.
    pub kind: TokenKind,
    /// What its owner called it.
    pub name: String,
    /// What it may do.
    pub scopes: Scopes,
    /// When it was made.
    pub created_at: OffsetDateTime,
    /// When it stops working; `None` if never.
    pub expires_at: Option<OffsetDateTime>,
    /// The administrator who made it, when not its owner.
    pub created_by: Option<UserId>,
}

/// A token found by its hash, live or not, with its account and the
/// account's roles (each with its permissions): everything a request with
/// it needs to know about who is asking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedToken {
    /// The token (possibly revoked or expired: the service decides).
    pub token: ApiToken,
    /// The account it acts for.
    pub user: User,
    /// The account's roles with their permissions, by name.
    pub roles: Vec<(Role, Vec<String>)>,
    /// Whether the account has a confirmed second factor.
    pub two_factor: bool,
}

/// API tokens, keyed by the hash of their secret.
#[async_trait]
pub trait ApiTokenStore: Send + Sync {
    /// Stores a new token.
    async fn create_api_token(&self, new: &NewApiToken) -> Result<ApiToken, StoreError>;
    /// The token hashing to `hash`, revoked and expired ones included, with
    /// its account and roles. One statement: it runs on every request that
    /// carries a token.
    async fn resolve_api_token(
        &self,
        hash: &TokenHash,
    ) -> Result<Option<ResolvedToken>, StoreError>;
    /// Records a use at `at` from `ip`, unless one was recorded after
    /// `stale_before` (one atomic statement, so instances racing write once).
    async fn touch_api_token(
        &self,
        id: ApiTokenId,
        at: OffsetDateTime,
        ip: Option<&str>,
        stale_before: OffsetDateTime,
    ) -> Result<(), StoreError>;
    /// The account's tokens that work at `now`, newest first.
    async fn api_tokens_of(
        &self,
        user: UserId,
        now: OffsetDateTime,
    ) -> Result<Vec<ApiToken>, StoreError>;
    /// Revokes token `id` of `user` at `at` if it is not revoked yet;
    /// returns it as it was, or `None` if `user` has no such unrevoked token.
    async fn revoke_api_token(
        &self,
        user: UserId,
        id: ApiTokenId,
        at: OffsetDateTime,
    ) -> Result<Option<ApiToken>, StoreError>;
    /// Revokes every unrevoked token of `user` of one of `kinds` at `at`;
    /// returns how many.
    async fn revoke_api_tokens_of(
        &self,
        user: UserId,
        kinds: &[TokenKind],
        at: OffsetDateTime,
    ) -> Result<u64, StoreError>;
    /// Deletes the tokens revoked, or expired, before `before`; returns how
    /// many.
    async fn purge_api_tokens(&self, before: OffsetDateTime) -> Result<u64, StoreError>;
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
{
    /// Succeeds when the database answers.
    async fn ping(&self) -> Result<(), StoreError>;
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
{
    /// Keeps everything done in the transaction.
    async fn commit(self: Box<Self>) -> Result<(), StoreError>;
}
