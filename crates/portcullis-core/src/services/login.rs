//! Logging in: rate limits, a lockout that parallel guesses cannot outrun,
//! credential checks that reveal nothing, and a fresh session on success.

use super::plumbing::Hit;
use super::sessions::Sessions;
use crate::audit::{AuditKind, RequestContext};
use crate::domain::password;
use crate::domain::session::{Assurance, Session};
use crate::domain::user::{Role, User};
use crate::error::Error;
use crate::hashing::Verified;
use crate::store::NewSession;
use crate::token::SecretToken;

/// Longest user agent kept with a session; the rest is cut.
const MAX_USER_AGENT: usize = 512;

/// A login as submitted.
#[derive(Clone)]
pub struct LoginAttempt {
    /// Username or email, any case.
    pub login: String,
    /// The password as typed.
    pub password: String,
    /// "Remember me": a long session that survives idleness.
    pub remember: bool,
    /// The client's address.
    pub ip: Option<String>,
    /// The client's user agent.
    pub user_agent: Option<String>,
}

impl LoginAttempt {
    pub(crate) fn context(&self) -> RequestContext {
        RequestContext {
            ip: self.ip.clone(),
            user_agent: self.user_agent.clone(),
        }
    }
}

impl std::fmt::Debug for LoginAttempt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginAttempt")
            .field("login", &self.login)
            .field("password", &"<redacted>")
            .field("remember", &self.remember)
            .finish_non_exhaustive()
    }
}

/// A successful login (or its first half: see the session's `assurance`):
/// the account, its new session and the session's secret token, which goes
/// to the client once and is never stored.
#[derive(Debug)]
pub struct LoginSuccess {
    /// The account, as it is after the login was recorded.
    pub user: User,
    /// The account's roles.
    pub roles: Vec<Role>,
    /// The new session.
    pub session: Session,
    /// The session's secret, for the cookie.
    pub token: SecretToken,
}

/// A password proven right for an account that may log in.
pub(crate) struct Proven {
    /// The account.
    pub(crate) user: User,
    /// The rate-limit hits of the attempt, to take back on success.
    pub(crate) hits: Vec<Option<Hit>>,
    /// Whether a second factor must follow.
    pub(crate) two_factor: bool,
}

/// Whether a login string can name an account at all: NUL and other control
/// characters cannot be in a username or an address (and PostgreSQL refuses
/// NUL in text), so such a string is treated as an unknown name.
fn plausible_login(key: &str) -> bool {
    !key.is_empty() && key.len() <= 320 && !key.chars().any(char::is_control)
}

impl Sessions<'_> {
    /// Checks credentials and opens a new session.
    ///
    /// In order: the per-IP and per-account rate limits (a refused attempt
    /// costs no hash; the per-account one is keyed on the login string as
    /// typed, known or not, so it tells nothing about which names exist).
    /// Then, for a known account, the attempt is counted against the
    /// lockout *before* the hash: of any number of parallel guesses no more
    /// than the lockout allows are ever checked. Then one hash verification
    /// whatever happens next, so unknown accounts, accounts without a
    /// password, locked accounts and wrong passwords take the same time and
    /// all answer [`Error::InvalidCredentials`] (a locked account answers
    /// [`Error::Locked`] only if the lockout policy reveals it). A
    /// deactivated account answers [`Error::Inactive`], but only once the
    /// password has been proven; so does [`Error::Unconfirmed`] when
    /// confirmation is required. A success takes back its rate-limit hits:
    /// the limits count guesses, not people logging in.
    pub async fn login(&self, attempt: LoginAttempt) -> Result<LoginSuccess, Error> {
        let ctx = attempt.context();
        let proven = self.prove_password(&attempt).await?;
        if proven.two_factor {
            return self.open_pending(proven.user, attempt.remember, &ctx).await;
        }
        self.d.refund(proven.hits).await;
        self.open_session(proven.user, attempt.remember, Assurance::Password, &ctx)
            .await
    }

    /// Everything [`Sessions::login`] checks before it opens a session: the
    /// rate limits, the lockout, the password, and whether the account may
    /// log in. For an account with a second factor the attempt reserved
    /// against the lockout is given back (the second factor counts next).
    pub(crate) async fn prove_password(&self, attempt: &LoginAttempt) -> Result<Proven, Error> {
        let d = self.d;
        let ctx = attempt.context();
        let key = attempt.login.trim().to_lowercase();
        let limits = d.security.rate_limits;
        let mut hits = Vec::with_capacity(2);
        hits.push(d.limit_login_ip(&ctx).await?);
        let plausible = plausible_login(&key);
        let account_key = if plausible {
            format!("login:account:{key}")
        } else {
            "login:account:<implausible>".to_owned()
        };
        hits.push(
            d.limit(limits.login_per_account, &account_key, "login", &ctx)
                .await?,
        );

        // Verified as typed (each stored format knows the form it was made
        // from); hashed anew in Portcullis's own NFKC form.
        let password = password::normalise(&attempt.password);
        let credential = if plausible {
            d.store.credential_by_login(&key).await?
        } else {
            None
        };
        let Some((user, stored)) = credential.and_then(|c| Some((c.user, c.password_hash?))) else {
            d.hasher.verify_dummy(&password).await?;
            self.failed(&ctx, None, "unknown_user", &key).await;
            return Err(Error::InvalidCredentials);
        };

        let now = d.clock.now();
        let lockout = d.security.lockout;
        if lockout.max_failures > 0 {
            let budget = d.store.reserve_login_attempt(user.id, now).await?;
            let locked = lockout.is_locked(budget.locked_until, now);
            if locked || !lockout.allows(budget.attempts) {
                // Same work as any attempt; a lock is neither extended nor
                // counted. A run of parallel guesses that spent the budget
                // before any of them failed locks the account here.
                d.hasher.verify(&attempt.password, &stored).await?;
                if !locked {
                    self.lock(&user, &ctx, budget.attempts).await?;
                }
                self.failed(&ctx, Some(&user), "locked", &key).await;
                let until = if locked {
                    budget.locked_until
                } else {
                    Some(now + lockout.duration)
                };
                return Err(match (lockout.reveal, until) {
                    (true, Some(until)) => Error::Locked {
                        remaining: until - now,
                    },
                    _ => Error::InvalidCredentials,
                });
            }
            let verified = d.hasher.verify(&attempt.password, &stored).await?;
            if !verified.matches {
                self.failed(&ctx, Some(&user), "bad_password", &key).await;
                if lockout.should_lock(budget.attempts) {
                    self.lock(&user, &ctx, budget.attempts).await?;
                }
                return Err(Error::InvalidCredentials);
            }
            return self
                .proven(
                    user,
                    &password,
                    rehash(&verified, &stored),
                    true,
                    attempt,
                    hits,
                )
                .await;
        }
        let verified = d.hasher.verify(&attempt.password, &stored).await?;
        if !verified.matches {
            self.failed(&ctx, Some(&user), "bad_password", &key).await;
            return Err(Error::InvalidCredentials);
        }
        self.proven(
            user,
            &password,
            rehash(&verified, &stored),
            false,
            attempt,
            hits,
        )
        .await
    }

    /// The password was right: what still stands between it and a session.
    /// A refusal here gives back the attempt `reserved` against the lockout
    /// (the password was not a guess); a success ends the run of failures.
    async fn proven(
        &self,
        user: User,
        password: &str,
        needs_rehash: Option<&'static str>,
        reserved: bool,
        attempt: &LoginAttempt,
        hits: Vec<Option<Hit>>,
    ) -> Result<Proven, Error> {
        let d = self.d;
        let ctx = &attempt.context();
        let key = attempt.login.trim().to_lowercase();
        let refusal = if !user.is_active {
            Some(("inactive", Error::Inactive))
        } else if d.security.email.confirm_required && user.confirmed_at.is_none() {
            Some(("unconfirmed", Error::Unconfirmed))
        } else {
            None
        };
        if let Some((reason, err)) = refusal {
            if reserved {
                d.store
                    .release_login_attempt(user.id, d.clock.now())
                    .await?;
            }
            self.failed(ctx, Some(&user), reason, &key).await;
            return Err(err);
        }
        if let Some(from) = needs_rehash {
            self.upgrade_hash(&user, password, from, ctx).await;
        }
        let two_factor = d.has_two_factor(user.id).await?;
        if two_factor && reserved {
            // Half a login: the right password neither counts as a failure
            // (its reserved attempt is given back) nor ends the run of
            // failures, or someone who knows the password could guess codes
            // for ever; the run ends when the second factor succeeds too.
            d.store
                .release_login_attempt(user.id, d.clock.now())
                .await?;
        }
        Ok(Proven {
            user,
            hits,
            two_factor,
        })
    }

    /// A session that grants nothing but the second step, for
    /// `two_factor.pending_lifetime`. Remember-me waits in it for the
    /// session the second step opens.
    pub(crate) async fn open_pending(
        &self,
        user: User,
        remember: bool,
        ctx: &RequestContext,
    ) -> Result<LoginSuccess, Error> {
        let d = self.d;
        let now = d.clock.now();
        let token = SecretToken::generate();
        let session = d
            .store
            .create_session(&NewSession {
                token_hash: token.hash(),
                user_id: user.id,
                created_at: now,
                expires_at: now + d.security.two_factor.pending_lifetime,
                remember,
                ip: ctx.ip.clone(),
                user_agent: ctx
                    .user_agent
                    .clone()
                    .map(|ua| truncate(ua, MAX_USER_AGENT)),
                assurance: Assurance::PendingSecondFactor,
                authenticated_at: now,
            })
            .await?;
        let roles = d.store.roles_of(user.id).await?;
        Ok(LoginSuccess {
            user,
            roles,
            session,
            token,
        })
    }

    pub(crate) async fn lock(
        &self,
        user: &User,
        ctx: &RequestContext,
        failures: i64,
    ) -> Result<(), Error> {
        let d = self.d;
        let now = d.clock.now();
        let lockout = d.security.lockout;
        d.store
            .lock_user(user.id, now + lockout.duration, now)
            .await?;
        d.record(
            d.event(AuditKind::LockedOut, ctx)
                .target(user.id)
                .detail("failures", failures.min(i64::from(lockout.max_failures)))
                .detail("minutes", lockout.duration.whole_minutes()),
        )
        .await;
        Ok(())
    }

    pub(crate) async fn failed(
        &self,
        ctx: &RequestContext,
        user: Option<&User>,
        reason: &'static str,
        login: &str,
    ) {
        let d = self.d;
        let mut event = d
            .event(AuditKind::LoginFailed, ctx)
            .detail("reason", reason)
            .detail("login", login);
        if let Some(user) = user {
            event = event.target(user.id);
        }
        d.record(event).await;
    }

    /// A new session after a completed login, with `assurance`.
    pub(crate) async fn open_session(
        &self,
        user: User,
        remember: bool,
        assurance: Assurance,
        ctx: &RequestContext,
    ) -> Result<LoginSuccess, Error> {
        let d = self.d;
        let now = d.clock.now();
        let token = SecretToken::generate();
        let session = d
            .store
            .create_session(&NewSession {
                token_hash: token.hash(),
                user_id: user.id,
                created_at: now,
                expires_at: d.policy.expires_at(now, remember),
                remember,
                ip: ctx.ip.clone(),
                user_agent: ctx
                    .user_agent
                    .clone()
                    .map(|ua| truncate(ua, MAX_USER_AGENT)),
                assurance,
                authenticated_at: now,
            })
            .await?;
        d.store
            .record_login(user.id, now, ctx.ip.as_deref())
            .await?;
        d.record(
            d.event(AuditKind::LoginSucceeded, ctx)
                .by(user.id)
                .detail("remember", remember)
                .detail("assurance", assurance.as_str()),
        )
        .await;
        let user = d.store.user_by_id(user.id).await?.unwrap_or(user);
        let roles = d.store.roles_of(user.id).await?;
        Ok(LoginSuccess {
            user,
            roles,
            session,
            token,
        })
    }

    /// Replaces a stored hash of format `from` with argon2id at the
    /// configured cost.
    async fn upgrade_hash(
        &self,
        user: &User,
        password: &str,
        from: &'static str,
        ctx: &RequestContext,
    ) {
        let d = self.d;
        // Best effort: a failed upgrade must not fail a correct login.
        match d.hasher.hash(password).await {
            Ok(hash) => match d
                .store
                .set_password_hash(user.id, &hash, d.clock.now())
                .await
            {
                Ok(()) => {
                    d.record(
                        d.event(AuditKind::PasswordRehashed, ctx)
                            .target(user.id)
                            .detail("from", from),
                    )
                    .await;
                }
                Err(err) => {
                    tracing::warn!(user_id = %user.id, error = %err, "could not store upgraded password hash");
                }
            },
            Err(err) => {
                tracing::warn!(user_id = %user.id, error = %err, "could not rehash password")
            }
        }
    }
}

/// The format of a matching stored hash that should be replaced.
fn rehash(verified: &Verified, stored: &str) -> Option<&'static str> {
    verified
        .needs_rehash
        .then(|| crate::hashing::format_name(stored))
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
    use super::{plausible_login, truncate};

    #[test]
    fn truncation_respects_character_boundaries() {
        assert_eq!(truncate("héllo".into(), 2), "h");
        assert_eq!(truncate("abc".into(), 10), "abc");
    }

    #[test]
    fn control_characters_make_a_login_implausible() {
        assert!(plausible_login("alice"));
        assert!(plausible_login("alice@example.com"));
        assert!(!plausible_login("ali\u{0}ce"));
        assert!(!plausible_login("alice\n"));
        assert!(!plausible_login(""));
    }
}
