//! Single-use tokens sent by email.

use super::*;

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
