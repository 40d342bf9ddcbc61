//! Registration, login, logout and session resolution.

use crate::clock::Clock;
use crate::domain::email::Email;
use crate::domain::fields::FieldErrors;
use crate::domain::password::{self, Password};
use crate::domain::session::{Session, SessionPolicy, SessionState};
use crate::domain::user::User;
use crate::domain::username::Username;
use crate::error::Error;
use crate::hashing::PasswordHasher;
use crate::store::{NewSession, NewUser, Store};
use crate::token::SecretToken;
use std::sync::Arc;

/// Longest user agent kept with a session; the rest is cut.
const MAX_USER_AGENT: usize = 512;

/// A validated registration.
#[derive(Debug, Clone)]
pub struct Registration {
    pub username: Username,
    pub email: Email,
    pub password: Password,
}

impl Registration {
    /// Parses the registration fields, collecting one message per bad field.
    /// `password_confirm` must equal `password`.
    ///
    /// ```
    /// use portcullis_core::Registration;
    ///
    /// let errors = Registration::parse("al", "x", "longenough", "different").unwrap_err();
    /// assert!(errors.get("username").is_some());
    /// assert!(errors.get("email").is_some());
    /// assert_eq!(errors.get("password_confirm"), Some("Passwords do not match."));
    /// ```
    pub fn parse(
        username: &str,
        email: &str,
        password: &str,
        password_confirm: &str,
    ) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::new();
        let username = errors.take("username", Username::parse(username));
        let email = errors.take("email", Email::parse(email));
        let password = errors.take("password", Password::parse(password));
        if password.is_some()
            && password::normalise(password_confirm) != password::normalise(password_str(&password))
        {
            errors.add("password_confirm", "Passwords do not match.");
        }
        match (username, email, password) {
            (Some(username), Some(email), Some(password)) if errors.is_empty() => Ok(Self {
                username,
                email,
                password,
            }),
            _ => Err(errors),
        }
    }
}

fn password_str(password: &Option<Password>) -> &str {
    password.as_ref().map_or("", Password::expose)
}

/// A login as submitted.
#[derive(Clone)]
pub struct LoginAttempt {
    /// Username or email, any case.
    pub login: String,
    pub password: String,
    pub remember: bool,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
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

/// A successful login: the account, its new session and the session's secret
/// token, which goes to the client once and is never stored.
#[derive(Debug)]
pub struct LoginSuccess {
    pub user: User,
    pub session: Session,
    pub token: SecretToken,
}

/// The authentication use cases, over any [`Store`].
#[derive(Debug, Clone)]
pub struct AuthService {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) hasher: PasswordHasher,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) policy: SessionPolicy,
}

impl std::fmt::Debug for dyn Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Store")
    }
}

impl AuthService {
    /// Wires the service to its store, hasher and clock.
    pub fn new(
        store: Arc<dyn Store>,
        hasher: PasswordHasher,
        clock: Arc<dyn Clock>,
        policy: SessionPolicy,
    ) -> Self {
        Self {
            store,
            hasher,
            clock,
            policy,
        }
    }

    /// The clock every expiry is judged by.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// The session lifetimes in force.
    pub fn policy(&self) -> &SessionPolicy {
        &self.policy
    }

    /// Creates an account. Uniqueness of username and email (without regard
    /// to case) is enforced by the database: two concurrent registrations of
    /// "Alice" and "alice" cannot both succeed.
    pub async fn register(&self, registration: Registration) -> Result<User, Error> {
        // Hash before touching the database so a taken name costs the same.
        let hash = self.hasher.hash(registration.password.expose()).await?;
        let new = NewUser {
            username: registration.username.as_str().to_owned(),
            username_key: registration.username.key(),
            email: registration.email.as_str().to_owned(),
            email_key: registration.email.key(),
            password_hash: Some(hash),
            is_active: true,
            confirmed_at: None,
            created_at: self.clock.now(),
        };
        Ok(self.store.create_user(&new).await?)
    }

    /// Checks credentials and opens a new session.
    ///
    /// Unknown accounts, accounts without a password and wrong passwords all
    /// cost one hash verification and all answer
    /// [`Error::InvalidCredentials`]. A deactivated account answers
    /// [`Error::Inactive`], but only once the password has been proven.
    pub async fn login(&self, attempt: LoginAttempt) -> Result<LoginSuccess, Error> {
        let password = password::normalise(&attempt.password);
        let key = attempt.login.trim().to_lowercase();
        let credential = if key.is_empty() {
            None
        } else {
            self.store.credential_by_login(&key).await?
        };
        let Some((credential, stored)) = credential.and_then(|c| {
            let hash = c.password_hash.clone()?;
            Some((c, hash))
        }) else {
            self.hasher.verify_dummy(&password).await?;
            return Err(Error::InvalidCredentials);
        };
        let verified = self.hasher.verify(&password, &stored).await?;
        if !verified.matches {
            return Err(Error::InvalidCredentials);
        }
        let user = credential.user;
        if !user.is_active {
            return Err(Error::Inactive);
        }
        if verified.needs_rehash {
            self.upgrade_hash(&user, &password).await;
        }

        let now = self.clock.now();
        let token = SecretToken::generate();
        let session = self
            .store
            .create_session(&NewSession {
                token_hash: token.hash(),
                user_id: user.id,
                created_at: now,
                expires_at: self.policy.expires_at(now, attempt.remember),
                remember: attempt.remember,
                ip: attempt.ip.clone(),
                user_agent: attempt.user_agent.map(|ua| truncate(ua, MAX_USER_AGENT)),
            })
            .await?;
        self.store
            .record_login(user.id, now, attempt.ip.as_deref())
            .await?;
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

    /// Resolves a presented session token to its user and session, enforcing
    /// the idle and absolute timeouts. Expired sessions are deleted; sessions
    /// of deactivated accounts are refused and deleted.
    pub async fn authenticate(
        &self,
        token: &SecretToken,
    ) -> Result<Option<(User, Session)>, Error> {
        let Some(mut session) = self.store.session_by_token(&token.hash()).await? else {
            return Ok(None);
        };
        let now = self.clock.now();
        match self.policy.judge(&session, now) {
            SessionState::Expired => {
                self.store.delete_session(session.id).await?;
                Ok(None)
            }
            SessionState::Active { touch } => {
                let Some(user) = self.store.user_by_id(session.user_id).await? else {
                    self.store.delete_session(session.id).await?;
                    return Ok(None);
                };
                if !user.is_active {
                    self.store.delete_sessions_of(user.id).await?;
                    return Ok(None);
                }
                if touch {
                    self.store.touch_session(session.id, now).await?;
                    session.last_seen_at = now;
                }
                Ok(Some((user, session)))
            }
        }
    }

    /// Ends a session on the server, so its cookie is worthless from now on.
    pub async fn logout(&self, session: &Session) -> Result<(), Error> {
        Ok(self.store.delete_session(session.id).await?)
    }

    /// Deletes sessions that have expired; returns how many.
    pub async fn purge_expired_sessions(&self) -> Result<u64, Error> {
        let now = self.clock.now();
        Ok(self
            .store
            .delete_expired_sessions(now, now - self.policy.idle_timeout)
            .await?)
    }

    /// Succeeds when the database answers.
    pub async fn ready(&self) -> Result<(), Error> {
        Ok(self.store.ping().await?)
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
    use super::*;

    #[test]
    fn registration_reports_every_bad_field_at_once() {
        let errors = Registration::parse("", "nope", "short", "short").unwrap_err();
        assert_eq!(errors.get("username"), Some("Username is required."));
        assert_eq!(errors.get("email"), Some("Enter a valid email address."));
        assert_eq!(
            errors.get("password"),
            Some("Password must be at least 8 characters long.")
        );
        assert_eq!(errors.get("password_confirm"), None);
    }

    #[test]
    fn registration_requires_a_matching_confirmation() {
        assert!(
            Registration::parse("alice", "a@example.com", "s3cret-pass", "s3cret-pass").is_ok()
        );
        let errors = Registration::parse("alice", "a@example.com", "s3cret-pass", "").unwrap_err();
        assert_eq!(
            errors.get("password_confirm"),
            Some("Passwords do not match.")
        );
    }

    #[test]
    fn truncation_respects_character_boundaries() {
        assert_eq!(truncate("héllo".into(), 2), "h");
        assert_eq!(truncate("abc".into(), 10), "abc");
    }
}
