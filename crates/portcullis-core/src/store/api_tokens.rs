//! API tokens.

use super::*;

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
