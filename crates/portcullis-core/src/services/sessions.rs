//! Resolving, listing and ending sessions; logging in is in [`super::login`].

use super::Deps;
use crate::audit::{AuditKind, RequestContext};
use crate::domain::session::{Session, SessionId, SessionState};
use crate::domain::user::User;
use crate::error::Error;
use crate::store::ResolvedSession;
use crate::token::SecretToken;

/// Logging in and out, and a user's own sessions; see
/// [`crate::AuthService::sessions`].
#[derive(Clone, Copy)]
pub struct Sessions<'a> {
    pub(crate) d: &'a Deps,
}

impl Sessions<'_> {
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
        let Some(mut resolved) = self.d.store.resolve_session(&token.hash()).await? else {
            return Ok(None);
        };
        let now = self.d.clock.now();
        match self.d.policy.judge(&resolved.session, now) {
            SessionState::Expired => {
                self.d.store.delete_session(resolved.session.id).await?;
                Ok(None)
            }
            SessionState::Active { touch } => {
                if !resolved.user.is_active {
                    self.d.store.delete_sessions_of(resolved.user.id).await?;
                    return Ok(None);
                }
                if touch {
                    self.d.store.touch_session(resolved.session.id, now).await?;
                    self.d.store.touch_user(resolved.user.id, now).await?;
                    resolved.session.last_seen_at = now;
                    resolved.user.last_seen_at = Some(now);
                }
                Ok(Some(resolved))
            }
        }
    }

    /// Ends a session on the server, so its cookie is worthless from now on.
    pub async fn logout(&self, session: &Session, ctx: &RequestContext) -> Result<(), Error> {
        self.d.store.delete_session(session.id).await?;
        self.d
            .record(self.d.event(AuditKind::LoggedOut, ctx).by(session.user_id))
            .await;
        Ok(())
    }

    /// Ends a session silently (a new login in the same browser replaces it).
    pub async fn replace_session(&self, session: &Session) -> Result<(), Error> {
        Ok(self.d.store.delete_session(session.id).await?)
    }

    /// The user's live sessions, most recently active first.
    pub async fn list(&self, user: &User) -> Result<Vec<Session>, Error> {
        let now = self.d.clock.now();
        let sessions = self.d.store.sessions_of(user.id).await?;
        Ok(sessions
            .into_iter()
            .filter(|s| matches!(self.d.policy.judge(s, now), SessionState::Active { .. }))
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
        if !self.d.store.delete_session_of(user.id, id).await? {
            return Err(Error::NotFound);
        }
        self.d
            .record(
                self.d
                    .event(AuditKind::SessionRevoked, ctx)
                    .by(user.id)
                    .detail("session", id.0),
            )
            .await;
        Ok(())
    }

    /// Ends every session of the user but `current` (every one, when the
    /// request came with a token instead); returns how many.
    pub async fn revoke_other_sessions(
        &self,
        user: &User,
        current: Option<SessionId>,
        ctx: &RequestContext,
    ) -> Result<u64, Error> {
        let count = match current {
            Some(current) => self.d.store.delete_other_sessions(user.id, current).await?,
            None => self.d.store.delete_sessions_of(user.id).await?,
        };
        if count > 0 {
            self.d
                .record(
                    self.d
                        .event(AuditKind::SessionRevoked, ctx)
                        .by(user.id)
                        .detail("others", count),
                )
                .await;
        }
        Ok(count)
    }

    /// How many sessions are live now, for the metrics.
    pub async fn count_live(&self) -> Result<i64, Error> {
        let now = self.d.clock.now();
        Ok(self
            .d
            .store
            .count_live_sessions(now, now - self.d.policy.idle_timeout)
            .await?)
    }

    /// Deletes expired sessions, stale rate-limit counters, passkey
    /// ceremonies and emailed links past their expiry (used or not, they can never work again); returns
    /// how many sessions went.
    pub async fn purge_expired(&self) -> Result<u64, Error> {
        let now = self.d.clock.now();
        let sessions = self
            .d
            .store
            .delete_expired_sessions(now, now - self.d.policy.idle_timeout)
            .await?;
        let limits = self.d.security.rate_limits;
        let longest = [
            limits.login_per_ip,
            limits.login_per_account,
            limits.register_per_ip,
            limits.email_per_ip,
            limits.email_per_account,
        ]
        .iter()
        .map(|l| l.window)
        .chain([super::tokens::REVOKED_USE_RECORD_INTERVAL])
        .max()
        .unwrap_or_default();
        self.d.store.purge_rate_limits(now - longest).await?;
        self.d.store.purge_email_tokens(now).await?;
        self.d.store.purge_oidc_state(now).await?;
        self.d.store.purge_ceremonies(now).await?;
        self.d
            .store
            .purge_api_tokens(now - super::tokens::RETENTION)
            .await?;
        Ok(sessions)
    }
}

impl Sessions<'_> {
    /// Proves again, with the password, that the owner of `session` is at
    /// the keyboard, for actions that want a recent login. Attempts count
    /// against the per-account login limit, so a stolen session cannot
    /// guess with it.
    pub async fn reauthenticate(
        &self,
        user: &User,
        session: &Session,
        password: &str,
        ctx: &RequestContext,
    ) -> Result<(), Error> {
        let d = self.d;
        d.limit(
            d.security.rate_limits.login_per_account,
            &format!("reauthenticate:account:{}", user.id),
            "reauthenticate",
            ctx,
        )
        .await?;
        if !session.assurance.is_complete() {
            return Err(Error::Forbidden("finish logging in first"));
        }
        if !d.password_matches(user, password).await? {
            return Err(
                crate::FieldErrors::single("password", "Current password is incorrect.").into(),
            );
        }
        d.store
            .reauthenticate(session.id, d.clock.now(), session.assurance)
            .await?;
        d.record(d.event(AuditKind::Reauthenticated, ctx).by(user.id))
            .await;
        Ok(())
    }
}
