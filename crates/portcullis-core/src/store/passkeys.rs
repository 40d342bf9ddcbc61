//! Passkeys, the accounts' WebAuthn handles, and ceremonies in flight.

use super::*;
use crate::domain::passkey::{
    Ceremony, NewPasskey, PasskeyId, PasskeyInfo, PasskeyUse, StoredPasskey,
};

/// Passkeys and WebAuthn ceremonies.
#[async_trait]
pub trait PasskeyStore: Send + Sync {
    /// The account's WebAuthn user handle, storing `candidate` as it if it
    /// has none yet (so parallel first registrations agree on one).
    async fn webauthn_handle(&self, user: UserId, candidate: &str) -> Result<String, StoreError>;
    /// The account whose user handle is `handle`.
    async fn user_of_webauthn_handle(&self, handle: &str) -> Result<Option<UserId>, StoreError>;
    /// Stores a passkey; `Conflict(Other)` if its credential id is
    /// registered already (to any account).
    async fn add_passkey(&self, new: &NewPasskey) -> Result<PasskeyInfo, StoreError>;
    /// The account's passkeys, oldest first.
    async fn passkeys_of(&self, user: UserId) -> Result<Vec<StoredPasskey>, StoreError>;
    /// The passkey with this credential id (base64url).
    async fn passkey_by_credential(
        &self,
        credential_id: &str,
    ) -> Result<Option<StoredPasskey>, StoreError>;
    /// Renames one of `user`'s passkeys; false if they have no such passkey.
    async fn rename_passkey(
        &self,
        user: UserId,
        id: PasskeyId,
        name: &str,
    ) -> Result<bool, StoreError>;
    /// Removes one of `user`'s passkeys and returns it; `None` if they have
    /// no such passkey.
    async fn delete_passkey(
        &self,
        user: UserId,
        id: PasskeyId,
    ) -> Result<Option<PasskeyInfo>, StoreError>;
    /// Removes every passkey of the account; returns how many.
    async fn delete_passkeys_of(&self, user: UserId) -> Result<u64, StoreError>;
    /// Records a use if its counter moves forward (or both the stored and
    /// the new counter are 0: an authenticator without one), in one
    /// statement; false, and nothing written, otherwise.
    async fn record_passkey_use(&self, used: &PasskeyUse) -> Result<bool, StoreError>;
    /// Stores a ceremony under `key_hash`, unless `cap` ceremonies that have
    /// not expired at its start exist already (then `false`).
    async fn create_ceremony(
        &self,
        key_hash: &TokenHash,
        ceremony: &Ceremony,
        cap: i64,
    ) -> Result<bool, StoreError>;
    /// Removes and returns the ceremony stored under `key_hash`, expired or
    /// not: each is answered once.
    async fn take_ceremony(&self, key_hash: &TokenHash) -> Result<Option<Ceremony>, StoreError>;
    /// Deletes ceremonies that expired before `before`; returns how many.
    async fn purge_ceremonies(&self, before: OffsetDateTime) -> Result<u64, StoreError>;
}
