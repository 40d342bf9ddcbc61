//! Storage for imports: which accounts an import created (so a second run
//! creates none twice), and the login history an account brings along.

use super::StoreError;
use crate::domain::user::UserId;
use async_trait::async_trait;
use time::OffsetDateTime;

/// What another application knew of an account's logins (Flask-Security's
/// "trackable" columns).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoginHistory {
    /// The most recent login.
    pub current_login_at: Option<OffsetDateTime>,
    /// Where it came from.
    pub current_login_ip: Option<String>,
    /// The login before it.
    pub last_login_at: Option<OffsetDateTime>,
    /// Where that came from.
    pub last_login_ip: Option<String>,
    /// Successful logins so far.
    pub login_count: i64,
}

/// Imported accounts.
#[async_trait]
pub trait ImportStore: Send + Sync {
    /// Records that `user` was made for `source_id` of `source`;
    /// [`StoreError::Conflict`] if that row was imported already.
    async fn record_import(
        &self,
        source: &str,
        source_id: &str,
        user: UserId,
        at: OffsetDateTime,
    ) -> Result<(), StoreError>;
    /// Every account `source` has imported: source id and account.
    async fn imported_accounts(&self, source: &str) -> Result<Vec<(String, UserId)>, StoreError>;
    /// The username key and address key of every account, so an import can
    /// judge uniqueness without a query per row.
    async fn login_keys(&self) -> Result<Vec<(String, Option<String>)>, StoreError>;
    /// Sets the account's login history as another application kept it.
    async fn set_login_history(
        &self,
        user: UserId,
        history: &LoginHistory,
    ) -> Result<(), StoreError>;
}
