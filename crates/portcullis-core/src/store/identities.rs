//! Storage of external identities, sign-in flows in flight and identities
//! waiting for an address to be proven.

use super::StoreError;
use crate::domain::identity::{Identity, IdentityId, OidcFlow, PendingIdentity};
use crate::domain::user::UserId;
use crate::token::TokenHash;
use async_trait::async_trait;
use time::OffsetDateTime;

/// A new link between a provider's account and a local one.
#[derive(Debug, Clone)]
pub struct NewIdentity {
    /// The local account.
    pub user_id: UserId,
    /// The configured provider.
    pub provider: String,
    /// The provider's issuer URL.
    pub issuer: String,
    /// The provider's id for the person.
    pub subject: String,
    /// The address the provider gave, for display.
    pub email: Option<String>,
    /// When it is linked.
    pub created_at: OffsetDateTime,
}

/// External identities and the state of sign-in flows.
#[async_trait]
pub trait IdentityStore: Send + Sync {
    /// Links an identity; [`StoreError::Conflict`] if `(issuer, subject)` is
    /// linked already (to any account).
    async fn link_identity(&self, new: &NewIdentity) -> Result<Identity, StoreError>;
    /// The identity `(issuer, subject)`, if it is linked.
    async fn find_identity(
        &self,
        issuer: &str,
        subject: &str,
    ) -> Result<Option<Identity>, StoreError>;
    /// The account's identities, oldest first.
    async fn identities_of(&self, user: UserId) -> Result<Vec<Identity>, StoreError>;
    /// Unlinks identity `id` of `user`; returns it, or `None` if `user` has
    /// no such identity.
    async fn unlink_identity(
        &self,
        user: UserId,
        id: IdentityId,
    ) -> Result<Option<Identity>, StoreError>;
    /// Records a sign-in with identity `id` at `at`.
    async fn touch_identity(&self, id: IdentityId, at: OffsetDateTime) -> Result<(), StoreError>;

    /// Stores a flow under the hash of its state, unless `cap` flows that
    /// have not expired at `flow.created_at` exist already (then `false`).
    async fn create_oidc_flow(
        &self,
        state: &TokenHash,
        flow: &OidcFlow,
        cap: u64,
    ) -> Result<bool, StoreError>;
    /// Removes and returns the flow stored under `state`, expired or not:
    /// whoever takes it first is the only one who ever gets it.
    async fn take_oidc_flow(&self, state: &TokenHash) -> Result<Option<OidcFlow>, StoreError>;

    /// Stores an identity waiting for its address to be proven, under the
    /// hash of the emailed link's token.
    async fn create_pending_identity(
        &self,
        token: &TokenHash,
        pending: &PendingIdentity,
    ) -> Result<(), StoreError>;
    /// Removes and returns the pending identity whose link token hashes to
    /// `token`, expired or not.
    async fn take_pending_identity(
        &self,
        token: &TokenHash,
    ) -> Result<Option<PendingIdentity>, StoreError>;
    /// The newest pending identity made in the browser bound by
    /// `browser`, still valid at `now`, with its token hash (so the caller
    /// can take it once the person proves a local account).
    async fn pending_identity_of_browser(
        &self,
        browser: &str,
        now: OffsetDateTime,
    ) -> Result<Option<(TokenHash, PendingIdentity)>, StoreError>;

    /// Deletes flows and pending identities that expired before `before`;
    /// returns how many.
    async fn purge_oidc_state(&self, before: OffsetDateTime) -> Result<u64, StoreError>;
}
