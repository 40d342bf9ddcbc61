//! The second step of a login: a session waiting for its second factor is
//! exchanged, with a TOTP or recovery code, for a new session (a new token:
//! the pending one never becomes the real one).
//!
//! Wrong codes count toward the account lockout and the per-account rate
//! limit exactly as wrong passwords do, and enough of them end the pending
//! session. The run of failures ends only when both factors have succeeded:
//! the password step leaves its attempt counted.

use super::Deps;
use super::login::LoginSuccess;
use super::sessions::Sessions;
use super::two_factor::code_hash;
use crate::audit::{AuditKind, RequestContext};
use crate::domain::session::Assurance;
use crate::domain::user::User;
use crate::error::Error;
use crate::notify::Notice;
use crate::store::ResolvedSession;

/// Which second factor proved the login.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Factor {
    /// A time-based one-time password.
    Totp,
    /// A single-use recovery code.
    RecoveryCode,
}

impl Sessions<'_> {
    /// Completes the login `pending` waits for with `code`, a current TOTP
    /// code or an unused recovery code. On success the pending session is
    /// gone and a new one (assurance [`Assurance::TwoFactor`], remember-me
    /// as the login asked) takes its place. A wrong code is
    /// [`Error::InvalidCode`]; after enough of them (or on a locked
    /// account) the pending session ends with
    /// [`Error::SecondFactorAbandoned`] and the visitor starts again at the
    /// password.
    pub async fn complete_second_factor(
        &self,
        pending: &ResolvedSession,
        code: &str,
        ctx: &RequestContext,
    ) -> Result<LoginSuccess, Error> {
        let d = self.d;
        let session = &pending.session;
        let user = &pending.user;
        if session.assurance != Assurance::PendingSecondFactor {
            return Err(Error::Forbidden(
                "this session is not waiting for a second factor",
            ));
        }
        let hits = d.limit_login(user, ctx).await?;
        match d.check_second_factor(user, code, ctx).await? {
            CodeCheck::Locked => {
                // A locked account gets nowhere, codes included.
                d.store.delete_session(session.id).await?;
                return Err(Error::SecondFactorAbandoned);
            }
            CodeCheck::Wrong => {
                let failures = d.store.count_second_factor_failure(session.id).await?;
                if failures >= d.security.two_factor.max_code_failures {
                    d.store.delete_session(session.id).await?;
                    return Err(Error::SecondFactorAbandoned);
                }
                return Err(Error::InvalidCode);
            }
            CodeCheck::Right => {}
        }
        d.store.delete_session(session.id).await?;
        d.refund(hits).await;
        self.open_session(user.clone(), session.remember, Assurance::TwoFactor, ctx)
            .await
    }
}

/// What a second-factor code turned out to be.
pub(crate) enum CodeCheck {
    /// The account is locked: no code is checked.
    Locked,
    /// Wrong, used, or replayed.
    Wrong,
    /// Right, and spent.
    Right,
}

impl Deps {
    /// Checks `code` as `user`'s second factor, counting the attempt against
    /// the lockout as a password attempt is counted, and records what
    /// happened. A TOTP code is spent with its step (replays fail on every
    /// instance); a recovery code is spent, and its owner told.
    pub(crate) async fn check_second_factor(
        &self,
        user: &User,
        code: &str,
        ctx: &RequestContext,
    ) -> Result<CodeCheck, Error> {
        let now = self.clock.now();
        let lockout = self.security.lockout;
        let budget = if lockout.max_failures > 0 {
            Some(self.store.reserve_login_attempt(user.id, now).await?)
        } else {
            None
        };
        if let Some(budget) = budget
            && (lockout.is_locked(budget.locked_until, now) || !lockout.allows(budget.attempts))
        {
            self.code_failed(user, ctx, "locked").await;
            return Ok(CodeCheck::Locked);
        }
        let factor = match self
            .totp_step(self.store.as_ref(), user, code, false)
            .await?
        {
            Some(step) if self.store.accept_totp_step(user.id, step).await? => Some(Factor::Totp),
            Some(_) => None,
            None if self
                .store
                .use_recovery_code(user.id, &code_hash(code), now)
                .await? =>
            {
                Some(Factor::RecoveryCode)
            }
            None => None,
        };
        let Some(factor) = factor else {
            self.code_failed(user, ctx, "bad_code").await;
            if let Some(budget) = budget
                && lockout.should_lock(budget.attempts)
            {
                self.store
                    .lock_user(user.id, now + lockout.duration, now)
                    .await?;
            }
            return Ok(CodeCheck::Wrong);
        };
        if factor == Factor::RecoveryCode {
            let remaining = self.store.recovery_codes_left(user.id).await?;
            self.record(
                self.event(AuditKind::RecoveryCodeUsed, ctx)
                    .by(user.id)
                    .detail("remaining", remaining),
            )
            .await;
            self.tell(user, |to| Notice::RecoveryCodeUsed {
                to,
                username: user.username.clone(),
                remaining,
            })
            .await;
        }
        Ok(CodeCheck::Right)
    }

    async fn code_failed(&self, user: &User, ctx: &RequestContext, reason: &str) {
        self.record(
            self.event(AuditKind::TwoFactorFailed, ctx)
                .target(user.id)
                .detail("reason", reason),
        )
        .await;
    }
}
