//! Logging in: rate limits, lockout, credential checks that reveal nothing,
//! and a fresh session on success.

use crate::audit::{AuditKind, NewAuditEvent, RequestContext};
use crate::domain::password;
use crate::domain::user::User;
use crate::error::Error;
use crate::services::auth::{AuthService, LoginAttempt, LoginSuccess};
use crate::store::NewSession;
use crate::token::SecretToken;

/// Longest user agent kept with a session; the rest is cut.
const MAX_USER_AGENT: usize = 512;

impl AuthService {
    /// Checks credentials and opens a new session.
    ///
    /// In order: the per-IP and per-account rate limits (a refused attempt
    /// costs no hash); then one hash verification whatever happens next, so
    /// unknown accounts, accounts without a password, locked accounts and
    /// wrong passwords take the same time and all answer
    /// [`Error::InvalidCredentials`] (a locked account answers
    /// [`Error::Locked`] only if the lockout policy reveals it). A wrong
    /// password counts towards the lockout; attempts on a locked account do
    /// not extend the lock. A deactivated account answers [`Error::Inactive`],
    /// but only once the password has been proven; so does
    /// [`Error::Unconfirmed`] when confirmation is required.
    pub async fn login(&self, attempt: LoginAttempt) -> Result<LoginSuccess, Error> {
        let ctx = attempt.context();
        let key = attempt.login.trim().to_lowercase();
        let limits = self.security.rate_limits;
        if let Some(ip) = &ctx.ip {
            self.limit(
                limits.login_per_ip,
                &format!("login:ip:{}", limits.ip_bucket(ip)),
                "login",
                &ctx,
            )
            .await?;
        }
        self.limit(
            limits.login_per_account,
            &format!("login:account:{key}"),
            "login",
            &ctx,
        )
        .await?;

        let password = password::normalise(&attempt.password);
        let credential = if key.is_empty() {
            None
        } else {
            self.store.credential_by_login(&key).await?
        };
        let Some((user, stored)) = credential.and_then(|c| Some((c.user, c.password_hash?))) else {
            self.hasher.verify_dummy(&password).await?;
            self.failed(&ctx, None, "unknown_user", &key).await;
            return Err(Error::InvalidCredentials);
        };

        let now = self.clock.now();
        let lockout = self.security.lockout;
        if lockout.is_locked(user.locked_until, now) {
            // Same work as any attempt; the lock is neither extended nor counted.
            self.hasher.verify(&password, &stored).await?;
            self.failed(&ctx, Some(&user), "locked", &key).await;
            return Err(match (lockout.reveal, user.locked_until) {
                (true, Some(until)) => Error::Locked {
                    remaining: until - now,
                },
                _ => Error::InvalidCredentials,
            });
        }

        let verified = self.hasher.verify(&password, &stored).await?;
        if !verified.matches {
            self.failed(&ctx, Some(&user), "bad_password", &key).await;
            let failures = self.store.record_failed_login(user.id).await?;
            if lockout.should_lock(failures) {
                self.store
                    .lock_user(user.id, now + lockout.duration)
                    .await?;
                self.record(
                    NewAuditEvent::new(AuditKind::LockedOut, now, &ctx)
                        .target(user.id)
                        .detail("failures", failures)
                        .detail("minutes", lockout.duration.whole_minutes()),
                )
                .await;
            }
            return Err(Error::InvalidCredentials);
        }
        if !user.is_active {
            self.failed(&ctx, Some(&user), "inactive", &key).await;
            return Err(Error::Inactive);
        }
        if self.security.email.confirm_required && user.confirmed_at.is_none() {
            self.failed(&ctx, Some(&user), "unconfirmed", &key).await;
            return Err(Error::Unconfirmed);
        }
        if verified.needs_rehash {
            self.upgrade_hash(&user, &password).await;
        }
        self.open_session(user, attempt.remember, &ctx).await
    }

    async fn failed(
        &self,
        ctx: &RequestContext,
        user: Option<&User>,
        reason: &'static str,
        login: &str,
    ) {
        let mut event = NewAuditEvent::new(AuditKind::LoginFailed, self.clock.now(), ctx)
            .detail("reason", reason)
            .detail("login", login);
        if let Some(user) = user {
            event = event.target(user.id);
        }
        self.record(event).await;
    }

    async fn open_session(
        &self,
        user: User,
        remember: bool,
        ctx: &RequestContext,
    ) -> Result<LoginSuccess, Error> {
        let now = self.clock.now();
        let token = SecretToken::generate();
        let session = self
            .store
            .create_session(&NewSession {
                token_hash: token.hash(),
                user_id: user.id,
                created_at: now,
                expires_at: self.policy.expires_at(now, remember),
                remember,
                ip: ctx.ip.clone(),
                user_agent: ctx
                    .user_agent
                    .clone()
                    .map(|ua| truncate(ua, MAX_USER_AGENT)),
            })
            .await?;
        self.store
            .record_login(user.id, now, ctx.ip.as_deref())
            .await?;
        self.record(
            NewAuditEvent::new(AuditKind::LoginSucceeded, now, ctx)
                .by(user.id)
                .detail("remember", remember),
        )
        .await;
        let user = self.store.user_by_id(user.id).await?.unwrap_or(user);
        Ok(LoginSuccess {
            user,
            session,
            token,
        })
    }

    async fn upgrade_hash(&self, user: &User, password: &str) {
        // Best effort: a failed upgrade must not fail a correct login.
        match self.hasher.hash(password).await {
            Ok(hash) => {
                if let Err(err) = self
                    .store
                    .set_password_hash(user.id, &hash, self.clock.now())
                    .await
                {
                    tracing::warn!(user_id = %user.id, error = %err, "could not store upgraded password hash");
                }
            }
            Err(err) => {
                tracing::warn!(user_id = %user.id, error = %err, "could not rehash password")
            }
        }
    }
}

fn truncate(mut s: String, max: usize) -> String {
    if s.len() > max {
        let mut cut = max;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::truncate;

    #[test]
    fn truncation_respects_character_boundaries() {
        assert_eq!(truncate("héllo".into(), 2), "h");
        assert_eq!(truncate("abc".into(), 10), "abc");
    }
}
