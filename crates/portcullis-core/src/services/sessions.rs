//! Resolving, listing and ending sessions.

use crate::audit::{AuditKind, NewAuditEvent, RequestContext};
use crate::domain::session::{Session, SessionId, SessionState};
use crate::domain::user::User;
use crate::error::Error;
use crate::services::auth::AuthService;
use crate::store::ResolvedSession;
use crate::token::SecretToken;

impl AuthService {
    /// Resolves a presented session token to its user and session, enforcing
    /// the idle and absolute timeouts. Expired sessions are deleted; sessions
    /// of deactivated accounts are refused and deleted. Activity is written
    /// at most once per touch interval, so reading pages stays cheap.
    pub async fn authenticate(
        &self,
        token: &SecretToken,
    ) -> Result<Option<ResolvedSession>, Error> {
        // Session, account and roles come in one statement: this runs on
        // every request that carries a session cookie.
        let Some(mut resolved) = self.store.resolve_session(&token.hash()).await? else {
            return Ok(None);
        };
        let now = self.clock.now();
        match self.policy.judge(&resolved.session, now) {
            SessionState::Expired => {
                self.store.delete_session(resolved.session.id).await?;
                Ok(None)
            }
            SessionState::Active { touch } => {
                if !resolved.user.is_active {
                    self.store.delete_sessions_of(resolved.user.id).await?;
                    return Ok(None);
                }
                if touch {
                    self.store.touch_session(resolved.session.id, now).await?;
                    self.store.touch_user(resolved.user.id, now).await?;
                    resolved.session.last_seen_at = now;
                    resolved.user.last_seen_at = Some(now);
                }
                Ok(Some(resolved))
            }
        }
    }

    /// Ends a session on the server, so its cookie is worthless from now on.
    pub async fn logout(&self, session: &Session, ctx: &RequestContext) -> Result<(), Error> {
        self.store.delete_session(session.id).await?;
        self.record(
            NewAuditEvent::new(AuditKind::LoggedOut, self.clock.now(), ctx).by(session.user_id),
        )
        .await;
        Ok(())
    }

    /// Ends a session silently (a new login in the same browser replaces it).
    pub async fn replace_session(&self, session: &Session) -> Result<(), Error> {
        Ok(self.store.delete_session(session.id).await?)
    }

    /// The user's live sessions, most recently active first.
    pub async fn sessions(&self, user: &User) -> Result<Vec<Session>, Error> {
        let now = self.clock.now();
        let sessions = self.store.sessions_of(user.id).await?;
        Ok(sessions
            .into_iter()
            .filter(|s| matches!(self.policy.judge(s, now), SessionState::Active { .. }))
            .collect())
    }

    /// Ends one of the user's own sessions. Another user's session id is
    /// [`Error::NotFound`], exactly like one that does not exist.
    pub async fn revoke_session(
        &self,
        user: &User,
        id: SessionId,
        ctx: &RequestContext,
    ) -> Result<(), Error> {
        if !self.store.delete_session_of(user.id, id).await? {
            return Err(Error::NotFound);
        }
        self.record(
            NewAuditEvent::new(AuditKind::SessionRevoked, self.clock.now(), ctx)
                .by(user.id)
                .detail("session", id.0),
        )
        .await;
        Ok(())
    }

    /// Ends every session of the user but `current`; returns how many.
    pub async fn revoke_other_sessions(
        &self,
        user: &User,
        current: SessionId,
        ctx: &RequestContext,
    ) -> Result<u64, Error> {
        let count = self.store.delete_other_sessions(user.id, current).await?;
        if count > 0 {
            self.record(
                NewAuditEvent::new(AuditKind::SessionRevoked, self.clock.now(), ctx)
                    .by(user.id)
                    .detail("others", count),
            )
            .await;
        }
        Ok(count)
    }

    /// Deletes expired sessions, stale rate-limit counters and emailed links
    /// past their expiry (used or not, they can never work again); returns
    /// how many sessions went.
    pub async fn purge_expired(&self) -> Result<u64, Error> {
        let now = self.clock.now();
        let sessions = self
            .store
            .delete_expired_sessions(now, now - self.policy.idle_timeout)
            .await?;
        let limits = self.security.rate_limits;
        let longest = [
            limits.login_per_ip,
            limits.login_per_account,
            limits.register_per_ip,
            limits.email_per_ip,
            limits.email_per_account,
        ]
        .iter()
        .map(|l| l.window)
        .max()
        .unwrap_or_default();
        self.store.purge_rate_limits(now - longest).await?;
        self.store.purge_email_tokens(now).await?;
        Ok(sessions)
    }
}
