//! Plumbing every use case shares: writing audit records and enforcing rate
//! limits.

use crate::audit::{AuditKind, NewAuditEvent, RequestContext};
use crate::error::Error;
use crate::policy::rate_limit::{self, Limit};
use crate::services::auth::AuthService;

impl AuthService {
    /// Appends an audit event. A failure to write is logged, not returned:
    /// losing the database for the log must not also lock everyone out.
    pub(crate) async fn record(&self, event: NewAuditEvent) {
        if let Err(err) = self.store.append_audit(&event).await {
            tracing::error!(kind = event.kind.as_str(), error = %err, "could not write audit event");
        }
    }

    /// Counts a hit on `key` and refuses it past `limit`, recording the
    /// refusal. Does nothing when rate limiting is switched off.
    pub(crate) async fn limit(
        &self,
        limit: Limit,
        key: &str,
        endpoint: &'static str,
        ctx: &RequestContext,
    ) -> Result<(), Error> {
        if !self.security.rate_limits.enabled {
            return Ok(());
        }
        let now = self.clock.now();
        let counter = self.store.hit(key, now, now - limit.window).await?;
        match rate_limit::judge(limit, counter.hits, counter.window_start, now) {
            Ok(()) => Ok(()),
            Err(refused) => {
                // Only the first refusal of a window is logged, so a flood
                // cannot flood the audit log too.
                if counter.hits == i64::from(limit.max) + 1 {
                    self.record(
                        NewAuditEvent::new(AuditKind::RateLimited, now, ctx)
                            .detail("endpoint", endpoint)
                            .detail("key", key),
                    )
                    .await;
                }
                Err(Error::RateLimited {
                    retry_after: refused.retry_after,
                })
            }
        }
    }
}
