//! Second factors: TOTP credentials and recovery codes.

use super::*;

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
