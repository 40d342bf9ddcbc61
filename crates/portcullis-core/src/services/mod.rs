//! Use cases. Each public method is one thing a user or an operator does; the
//! web layer and the CLI call exactly one of them per request or command.
//!
//! [`AuthService`] holds the shared dependencies (store, hasher, clock,
//! policies, notifier) and hands out one small type per capability:
//! - [`AuthService::registration`]: signing up ([`register`]);
//! - [`AuthService::sessions`]: logging in and out, and a user's own
//!   sessions ([`login`], [`sessions`]);
//! - [`AuthService::email`]: the flows that send email: forgotten password
//!   ([`reset`]), confirming an address ([`confirm`]), changing it
//!   ([`email_change`]) and changing the password ([`password`]);
//! - [`AuthService::accounts`]: administering accounts ([`admin`]);
//! - [`AuthService::roles`]: roles and permissions ([`roles`]);
//! - [`AuthService::audit`]: reading the audit log ([`audit`]);
//! - [`AuthService::identities`]: signing in with OpenID providers and the
//!   identities they link ([`identities`]).
//!
//! Administrative use cases take an [`Authorized`](crate::access::Authorized)
//! proof; see [`crate::access`]. What every use case shares (audit records,
//! rate limits, emailed tokens) lives in [`plumbing`].

pub mod admin;
pub mod audit;
mod builder;
pub mod confirm;
pub mod email_change;
pub mod identities;
pub mod import;
pub mod login;
pub mod mail;
pub mod passkeys;
pub mod password;
mod plumbing;
pub mod register;
pub mod reset;
pub mod roles;
pub mod second_step;
pub mod sessions;
pub mod tokens;
pub mod two_factor;

pub use builder::AuthServiceBuilder;

use crate::clock::Clock;
use crate::domain::session::SessionPolicy;
use crate::error::Error;
use crate::hashing::PasswordHasher;
use crate::notify::Notifier;
use crate::policy::SecurityPolicy;
use crate::sealing::SecretBox;
use crate::store::Store;
use std::sync::Arc;

/// The dependencies every use case shares.
#[derive(Clone)]
pub(crate) struct Deps {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) hasher: PasswordHasher,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) policy: SessionPolicy,
    pub(crate) security: SecurityPolicy,
    /// Role every new registration receives, if any.
    pub(crate) default_role: Option<String>,
    pub(crate) notifier: Arc<dyn Notifier>,
    /// Seals what must be read back (TOTP seeds, PKCE verifiers).
    pub(crate) sealing: SecretBox,
    /// The OpenID providers one may sign in with.
    pub(crate) providers: Arc<[identities::ConfiguredProvider]>,
    /// Wakes the mail worker; shared by every clone of the service.
    pub(crate) mail: Arc<mail::MailSignal>,
    /// The WebAuthn verifier for the site, or why there is none.
    pub(crate) passkeys: passkeys::Verifier,
}

/// The authentication services over one [`Store`]. Cheap to clone.
///
/// ```
/// # async fn demo(store: std::sync::Arc<dyn portcullis_core::Store>) -> Result<(), portcullis_core::Error> {
/// use portcullis_core::AuthService;
///
/// let auth = AuthService::builder(store).build()?;
/// auth.ready().await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct AuthService {
    deps: Arc<Deps>,
}

impl std::fmt::Debug for AuthService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthService")
            .field("hasher", &self.deps.hasher)
            .field("policy", &self.deps.policy)
            .field("security", &self.deps.security)
            .finish_non_exhaustive()
    }
}

impl AuthService {
    /// Wires the service to its store, hasher and clock, with the default
    /// security policies; [`AuthService::builder`] sets the rest.
    pub fn new(
        store: Arc<dyn Store>,
        hasher: PasswordHasher,
        clock: Arc<dyn Clock>,
        policy: SessionPolicy,
    ) -> Self {
        Self::from_deps(Deps {
            store,
            hasher,
            clock,
            policy,
            security: SecurityPolicy::default(),
            default_role: None,
            notifier: Arc::new(crate::notify::NoNotifier),
            sealing: SecretBox::ephemeral(),
            providers: Arc::new([]),
            mail: mail::signal(),
            passkeys: passkeys::Verifier::default(),
        })
    }

    /// A builder with every default (the system clock, argon2id at the
    /// recommended cost, the default policies, no mail), to change what the
    /// application needs.
    pub fn builder(store: Arc<dyn Store>) -> AuthServiceBuilder {
        AuthServiceBuilder::new(store)
    }

    pub(crate) fn from_deps(deps: Deps) -> Self {
        Self {
            deps: Arc::new(deps),
        }
    }

    fn change(mut self, edit: impl FnOnce(&mut Deps)) -> Self {
        edit(Arc::make_mut(&mut self.deps));
        self
    }

    /// Delivers the mail queue through `notifier` (by default messages are
    /// dropped when the worker runs; see [`AuthService::run_mail_worker`]).
    pub fn with_notifier(self, notifier: Arc<dyn Notifier>) -> Self {
        self.change(|d| d.notifier = notifier)
    }

    /// Replaces the password, lockout and rate-limit policies.
    pub fn with_security(self, security: SecurityPolicy) -> Self {
        self.change(|d| d.security = security)
    }

    /// Seals secrets under `sealing` (see [`crate::sealing`]); by default a
    /// random key that does not survive a restart.
    pub fn with_sealing(self, sealing: SecretBox) -> Self {
        self.change(|d| d.sealing = sealing)
    }

    /// Lets accounts sign in with these OpenID providers.
    pub fn with_providers(self, providers: Vec<identities::ConfiguredProvider>) -> Self {
        self.change(|d| d.providers = providers.into())
    }

    /// Lets accounts register passkeys for the site at `public_url` (its
    /// host is the WebAuthn relying-party id), named `site_name` in the
    /// browser's prompts. A URL that cannot serve (an IP address, plain
    /// http to anything but localhost) leaves passkeys off, and
    /// [`passkeys::Passkeys::unavailable`] says why.
    pub fn with_passkeys(self, public_url: &url::Url, site_name: &str) -> Self {
        let verifier = passkeys::Verifier::for_site(public_url, site_name);
        self.change(|d| d.passkeys = verifier)
    }

    /// Passkeys: registering and managing them (signing in with one is in
    /// [`AuthService::sessions`]).
    pub fn passkeys(&self) -> passkeys::Passkeys<'_> {
        passkeys::Passkeys { d: &self.deps }
    }

    /// Signing in with OpenID providers, and the identities they link.
    pub fn identities(&self) -> identities::Identities<'_> {
        identities::Identities { d: &self.deps }
    }

    /// Gives every new registration this role.
    pub fn with_default_role(self, role: Option<String>) -> Self {
        self.change(|d| d.default_role = role)
    }

    /// API tokens: with a password, personal, for services; revoking them.
    pub fn tokens(&self) -> tokens::Tokens<'_> {
        tokens::Tokens { d: &self.deps }
    }

    /// Second factors: enrolment, recovery codes, the second step of a login.
    pub fn two_factor(&self) -> two_factor::TwoFactor<'_> {
        two_factor::TwoFactor { d: &self.deps }
    }

    /// Signing up.
    pub fn registration(&self) -> register::Registrations<'_> {
        register::Registrations { d: &self.deps }
    }

    /// Logging in and out, and a user's own sessions.
    pub fn sessions(&self) -> sessions::Sessions<'_> {
        sessions::Sessions { d: &self.deps }
    }

    /// The flows that send email: reset, confirmation, email and password change.
    pub fn email(&self) -> EmailFlows<'_> {
        EmailFlows { d: &self.deps }
    }

    /// Administering accounts (every method takes an authorization).
    pub fn accounts(&self) -> admin::Accounts<'_> {
        admin::Accounts { d: &self.deps }
    }

    /// Importing accounts from another application.
    pub fn imports(&self) -> import::Imports<'_> {
        import::Imports { d: &self.deps }
    }

    /// Roles and permissions.
    pub fn roles(&self) -> roles::Roles<'_> {
        roles::Roles { d: &self.deps }
    }

    /// The audit log.
    pub fn audit(&self) -> audit::AuditLog<'_> {
        audit::AuditLog { d: &self.deps }
    }

    /// The clock every expiry is judged by.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.deps.clock
    }

    /// The session lifetimes in force.
    pub fn policy(&self) -> &SessionPolicy {
        &self.deps.policy
    }

    /// The security policies in force.
    pub fn security(&self) -> &SecurityPolicy {
        &self.deps.security
    }

    /// Succeeds when the database answers.
    pub async fn ready(&self) -> Result<(), Error> {
        Ok(self.deps.store.ping().await?)
    }
}

/// The flows that send email: the forgotten password ([`reset`]),
/// confirming the address ([`confirm`]), changing it ([`email_change`]),
/// and changing the password while logged in ([`password`]), which mails a
/// notice.
#[derive(Clone, Copy)]
pub struct EmailFlows<'a> {
    pub(crate) d: &'a Deps,
}
