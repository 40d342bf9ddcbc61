//! Assembling an [`AuthService`] in code, for applications that embed
//! Portcullis: everything has a safe default, so a store is all it needs.

use super::{AuthService, Deps};
use crate::clock::{Clock, SystemClock};
use crate::domain::session::SessionPolicy;
use crate::error::Error;
use crate::hashing::{HashingConfig, PasswordHasher};
use crate::notify::{NoNotifier, Notifier};
use crate::policy::SecurityPolicy;
use crate::sealing::SecretBox;
use crate::store::Store;
use std::sync::Arc;

/// Builds an [`AuthService`]; see [`AuthService::builder`].
///
/// ```
/// # fn demo(store: std::sync::Arc<dyn portcullis_core::Store>) -> Result<(), portcullis_core::Error> {
/// use portcullis_core::{AuthService, HashingConfig, SessionPolicy};
///
/// let auth = AuthService::builder(store)
///     .hashing(HashingConfig { memory_kib: 65536, ..HashingConfig::default() })
///     .session_policy(SessionPolicy { idle_timeout: time::Duration::minutes(10), ..SessionPolicy::default() })
///     .default_role(Some("member".into()))
///     .build()?;
/// # drop(auth); Ok(()) }
/// ```
#[derive(Debug)]
pub struct AuthServiceBuilder {
    store: Arc<dyn Store>,
    hashing: HashingConfig,
    clock: Arc<dyn Clock>,
    policy: SessionPolicy,
    security: SecurityPolicy,
    default_role: Option<String>,
    notifier: Arc<dyn Notifier>,
    sealing: Option<SecretBox>,
    flask_security_salt: Option<String>,
}

impl std::fmt::Debug for dyn Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Store")
    }
}

impl AuthServiceBuilder {
    pub(crate) fn new(store: Arc<dyn Store>) -> Self {
        Self {
            store,
            hashing: HashingConfig::default(),
            clock: Arc::new(SystemClock),
            policy: SessionPolicy::default(),
            security: SecurityPolicy::default(),
            default_role: None,
            notifier: Arc::new(NoNotifier),
            sealing: None,
            flask_security_salt: None,
        }
    }

    /// The server secret (and earlier ones, still accepted for reading)
    /// that seals TOTP seeds. Without it a random key is used, and second
    /// factors enrolled do not survive a restart.
    pub fn secret(mut self, current: &[u8], previous: &[Vec<u8>]) -> Self {
        self.sealing = Some(SecretBox::new(current, previous));
        self
    }

    /// The argon2id cost and how many hashes run at once.
    pub fn hashing(mut self, hashing: HashingConfig) -> Self {
        self.hashing = hashing;
        self
    }

    /// The `SECURITY_PASSWORD_SALT` of a Flask-Security app whose users were
    /// imported (their hashes are of an HMAC keyed with it).
    pub fn flask_security_salt(mut self, salt: Option<String>) -> Self {
        self.flask_security_salt = salt;
        self
    }

    /// The clock expiries are judged by (tests move a `ManualClock`).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Session lifetimes.
    pub fn session_policy(mut self, policy: SessionPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Password, lockout, rate-limit and email-link policies.
    pub fn security(mut self, security: SecurityPolicy) -> Self {
        self.security = security;
        self
    }

    /// The role every registration receives.
    pub fn default_role(mut self, role: Option<String>) -> Self {
        self.default_role = role;
        self
    }

    /// Where the services' emails go.
    pub fn notifier(mut self, notifier: Arc<dyn Notifier>) -> Self {
        self.notifier = notifier;
        self
    }

    /// The service; fails only if the hashing parameters are out of range.
    pub fn build(self) -> Result<AuthService, Error> {
        Ok(AuthService::from_deps(Deps {
            store: self.store,
            hasher: PasswordHasher::new(self.hashing)?
                .with_flask_security_salt(self.flask_security_salt.as_deref()),
            clock: self.clock,
            policy: self.policy,
            security: self.security,
            default_role: self.default_role,
            notifier: self.notifier,
            sealing: self.sealing.unwrap_or_else(|| {
                tracing::warn!(
                    "no secret given: second factors enrolled now will not survive a restart"
                );
                SecretBox::ephemeral()
            }),
            providers: std::sync::Arc::new([]),
            mail: super::mail::signal(),
            passkeys: super::passkeys::Verifier::default(),
        }))
    }
}
