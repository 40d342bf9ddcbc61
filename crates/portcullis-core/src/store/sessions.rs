//! Server-side sessions.

use super::*;

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
    /// How many sessions are live: not past `now`, and remember-me or seen
    /// since `idle_cutoff` (the complement of what the purge removes).
    async fn count_live_sessions(
        &self,
        now: OffsetDateTime,
        idle_cutoff: OffsetDateTime,
    ) -> Result<i64, StoreError>;
}
