//! Reading the audit log.

use super::Deps;
use crate::access::{AuditRead, Authorized};
use crate::audit::{AuditEvent, AuditFilter};
use crate::domain::user::UserId;
use crate::error::Error;
use std::collections::HashMap;

/// The audit log; see [`crate::AuthService::audit`].
#[derive(Clone, Copy)]
pub struct AuditLog<'a> {
    pub(crate) d: &'a Deps,
}

impl AuditLog<'_> {
    /// The id of the account named `login` (username or email, any case), to
    /// filter the log by; `None` if there is none.
    pub async fn subject(
        &self,
        _by: &Authorized<AuditRead>,
        login: &str,
    ) -> Result<Option<UserId>, Error> {
        let key = login.trim().to_lowercase();
        if key.is_empty() || key.chars().any(char::is_control) {
            return Ok(None);
        }
        Ok(self
            .d
            .store
            .credential_by_login(&key)
            .await?
            .map(|c| c.user.id))
    }

    /// Events matching `filter`, newest first, and how many match.
    pub async fn list(
        &self,
        _by: &Authorized<AuditRead>,
        filter: &AuditFilter,
    ) -> Result<(Vec<AuditEvent>, i64), Error> {
        let events = self.d.store.list_audit(filter).await?;
        let total = self.d.store.count_audit(filter).await?;
        Ok((events, total))
    }

    /// The usernames of the accounts `events` name as actor or target, to
    /// show them by name; an account deleted since is absent.
    pub async fn names(
        &self,
        _by: &Authorized<AuditRead>,
        events: &[AuditEvent],
    ) -> Result<HashMap<UserId, String>, Error> {
        let mut ids: Vec<UserId> = events
            .iter()
            .flat_map(|e| [e.actor, e.target])
            .flatten()
            .collect();
        ids.sort_unstable_by_key(|id| id.0);
        ids.dedup();
        Ok(self.d.store.usernames_of(&ids).await?.into_iter().collect())
    }
}
