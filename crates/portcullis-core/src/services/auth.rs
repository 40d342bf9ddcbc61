//! The service type, its wiring, and registration.

use crate::audit::{AuditKind, NewAuditEvent, RequestContext};
use crate::clock::Clock;
use crate::domain::email::Email;
use crate::domain::fields::FieldErrors;
use crate::domain::password::{self, Password};
use crate::domain::session::{Session, SessionPolicy};
use crate::domain::user::User;
use crate::domain::username::Username;
use crate::error::Error;
use crate::hashing::PasswordHasher;
use crate::notify::{NoNotifier, Notifier};
use crate::policy::SecurityPolicy;
use crate::store::{NewUser, Store};
use crate::token::SecretToken;
use std::sync::Arc;

/// A validated registration.
#[derive(Debug, Clone)]
pub struct Registration {
    pub username: Username,
    pub email: Email,
    pub password: Password,
}

impl Registration {
    /// Parses the registration fields, collecting one message per bad field.
    /// `password_confirm` must equal `password`. The password policy (common
    /// passwords, personal data, configured minimum) is applied by the
    /// service, which knows the configuration.
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
        let password = errors.take("password", Password::parse_with_min(password, 1));
        if let Some(pw) = &password
            && password::normalise(password_confirm) != pw.expose()
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
    pub(crate) security: SecurityPolicy,
    /// Role every new registration receives, if any.
    pub(crate) default_role: Option<String>,
    pub(crate) notifier: Arc<dyn Notifier>,
}

impl std::fmt::Debug for dyn Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Store")
    }
}

impl AuthService {
    /// Wires the service to its store, hasher and clock, with the default
    /// security policies (see [`AuthService::with_security`]).
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
            security: SecurityPolicy::default(),
            default_role: None,
            notifier: Arc::new(NoNotifier),
        }
    }

    /// Sends the service's emails through `notifier` (by default they are
    /// dropped: the command line sends none).
    pub fn with_notifier(mut self, notifier: Arc<dyn Notifier>) -> Self {
        self.notifier = notifier;
        self
    }

    /// Replaces the password, lockout and rate-limit policies.
    pub fn with_security(mut self, security: SecurityPolicy) -> Self {
        self.security = security;
        self
    }

    /// Gives every new registration this role.
    pub fn with_default_role(mut self, role: Option<String>) -> Self {
        self.default_role = role;
        self
    }

    /// The clock every expiry is judged by.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// The session lifetimes in force.
    pub fn policy(&self) -> &SessionPolicy {
        &self.policy
    }

    /// The security policies in force.
    pub fn security(&self) -> &SecurityPolicy {
        &self.security
    }

    /// Parses registration fields and applies the password policy, so that
    /// every problem is reported at once.
    pub fn parse_registration(
        &self,
        username: &str,
        email: &str,
        password: &str,
        password_confirm: &str,
    ) -> Result<Registration, FieldErrors> {
        let registration = Registration::parse(username, email, password, password_confirm);
        let mut errors = match &registration {
            Ok(_) => FieldErrors::new(),
            Err(errors) => errors.clone(),
        };
        if errors.get("password").is_none()
            && let Ok(pw) = Password::parse_with_min(password, 1)
        {
            let name = Username::parse(username)
                .map(|u| u.as_str().to_owned())
                .unwrap_or_default();
            let local = Email::parse(email)
                .map(|e| e.local_part().to_owned())
                .unwrap_or_default();
            if let Err(policy) = self.security.password.check(&pw, &name, &local, "password") {
                for e in policy.iter() {
                    errors.add(e.field, e.message.clone());
                }
            }
        }
        match registration {
            Ok(registration) if errors.is_empty() => Ok(registration),
            _ => Err(errors),
        }
    }

    /// Creates an account. Uniqueness of username and email (without regard
    /// to case) is enforced by the database: two concurrent registrations of
    /// "Alice" and "alice" cannot both succeed. Rate-limited per client IP;
    /// the password policy applies. A confirmation link is mailed to the
    /// address.
    pub async fn register(
        &self,
        registration: Registration,
        ctx: &RequestContext,
    ) -> Result<User, Error> {
        if let Some(ip) = &ctx.ip {
            self.limit(
                self.security.rate_limits.register_per_ip,
                &format!("register:ip:{}", self.security.rate_limits.ip_bucket(ip)),
                "register",
                ctx,
            )
            .await?;
        }
        let user = self.create_account(&registration, false).await?;
        if let Some(role) = &self.default_role {
            self.store.grant_role(user.id, role).await?;
        }
        self.record(NewAuditEvent::new(AuditKind::Registered, self.clock.now(), ctx).by(user.id))
            .await;
        // The account exists now; a link that could not be issued can be
        // asked for again, so it must not turn the registration into an error.
        if let Err(err) = self.send_confirmation(&user, ctx).await {
            tracing::error!(user_id = %user.id, error = %err, "could not issue a confirmation link");
        }
        Ok(user)
    }

    /// Applies the password policy, hashes, and inserts the account.
    pub(crate) async fn create_account(
        &self,
        registration: &Registration,
        confirmed: bool,
    ) -> Result<User, Error> {
        self.security.password.check(
            &registration.password,
            registration.username.as_str(),
            registration.email.local_part(),
            "password",
        )?;
        // Hash before touching the database so a taken name costs the same.
        let hash = self.hasher.hash(registration.password.expose()).await?;
        let now = self.clock.now();
        let new = NewUser {
            username: registration.username.as_str().to_owned(),
            username_key: registration.username.key(),
            email: registration.email.as_str().to_owned(),
            email_key: registration.email.key(),
            password_hash: Some(hash),
            is_active: true,
            confirmed_at: confirmed.then_some(now),
            created_at: now,
        };
        Ok(self.store.create_user(&new).await?)
    }

    /// Succeeds when the database answers.
    pub async fn ready(&self) -> Result<(), Error> {
        Ok(self.store.ping().await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registration_reports_every_bad_field_at_once() {
        let errors = Registration::parse("", "nope", "", "").unwrap_err();
        assert_eq!(errors.get("username"), Some("Username is required."));
        assert_eq!(errors.get("email"), Some("Enter a valid email address."));
        assert_eq!(errors.get("password"), Some("Password is required."));
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
        let too_long = "x".repeat(129);
        let errors =
            Registration::parse("alice", "a@example.com", &too_long, &too_long).unwrap_err();
        assert_eq!(
            errors.get("password"),
            Some("Password must be at most 128 characters long.")
        );
    }
}
