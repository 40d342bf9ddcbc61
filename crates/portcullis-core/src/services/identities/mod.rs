//! Signing in with OpenID providers, and the identities they link.
//!
//! A flow starts with [`Identities::begin`]: its secrets (state, PKCE
//! verifier, nonce) are made here, kept server-side under the hash of the
//! state (the verifier sealed), bound to the browser that started it, and
//! taken exactly once by the callback ([`Identities::complete`]), within
//! ten minutes. Starting flows is rate-limited per client address and the
//! number of flows in flight is capped, so anonymous requests cannot fill
//! the database.
//!
//! What a verified identity leads to is [`ProviderPolicy::decide`]'s rule
//! (see [`crate::policy::identity`]): an identity already linked signs its
//! account in; an address the provider verified and the operator trusts
//! links the account that confirmed it, or registers one; anything less
//! links and creates nothing until the owner of the address proves it
//! ([`proof`]). Second factors still apply whichever way an account signs
//! in, and an account is never left without a way to sign in.

mod callback;
pub mod proof;

pub use callback::{Callback, Completion, Current};

use super::Deps;
use crate::audit::{AuditKind, RequestContext};
use crate::domain::identity::{FlowPurpose, Identity, IdentityId, OidcFlow};
use crate::domain::user::{User, UserId};
use crate::error::Error;
use crate::policy::identity::ProviderPolicy;
use crate::provider::{AuthorizationRequest, IdentityProvider};
use crate::token::SecretToken;
use std::sync::Arc;
use time::Duration;

/// How long a started flow may take to come back.
pub const FLOW_LIFETIME: Duration = Duration::minutes(10);
/// How many flows may be in flight at once, all providers together.
pub const FLOW_CAP: u64 = 10_000;
/// How old a provider's authentication may be for a re-authentication.
pub const REAUTH_MAX_AGE: Duration = Duration::minutes(5);

/// One configured provider: how to speak to it and how far it is trusted.
#[derive(Clone)]
pub struct ConfiguredProvider {
    /// The protocol side (`portcullis-oidc`, or a test double).
    pub provider: Arc<dyn IdentityProvider>,
    /// What its word is worth.
    pub policy: ProviderPolicy,
    /// Whether logging out also ends the session at the provider.
    pub logout_at_provider: bool,
}

impl std::fmt::Debug for ConfiguredProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConfiguredProvider")
            .field("id", &self.provider.id())
            .field("policy", &self.policy)
            .field("logout_at_provider", &self.logout_at_provider)
            .finish()
    }
}

impl ConfiguredProvider {
    /// The configured id (`google`).
    pub fn id(&self) -> &str {
        self.provider.id()
    }

    /// The button text (`Google`).
    pub fn name(&self) -> &str {
        self.provider.name()
    }
}

/// A flow to start.
#[derive(Debug, Clone)]
pub struct FlowStart<'a> {
    /// The configured provider's id.
    pub provider: &'a str,
    /// The secret of the browser-binding cookie (the web layer sets it);
    /// the callback must come back with the same.
    pub browser: &'a SecretToken,
    /// Where to go afterwards, already checked to be on this site.
    pub next: Option<String>,
    /// Whether the session should be remembered.
    pub remember: bool,
    /// What the flow is for.
    pub purpose: FlowPurpose,
    /// The signed-in account, for [`FlowPurpose::Link`] and
    /// [`FlowPurpose::Reauthenticate`].
    pub user: Option<UserId>,
}

/// Signing in with providers and the identities they link; see
/// [`crate::AuthService::identities`].
#[derive(Clone, Copy)]
pub struct Identities<'a> {
    pub(crate) d: &'a Deps,
}

impl<'a> Identities<'a> {
    /// The configured providers, in configuration order.
    pub fn providers(&self) -> &'a [ConfiguredProvider] {
        &self.d.providers
    }

    /// The provider configured as `id`.
    pub fn provider(&self, id: &str) -> Option<&'a ConfiguredProvider> {
        self.d.providers.iter().find(|p| p.id() == id)
    }

    /// Starts a flow and answers where to send the browser. Unknown
    /// providers are [`Error::NotFound`]; too many starts from one address
    /// are [`Error::RateLimited`], as are too many flows in flight; a
    /// provider that cannot be reached is
    /// [`Error::SignInFailed`]`("unavailable")`.
    pub async fn begin(&self, start: FlowStart<'_>, ctx: &RequestContext) -> Result<String, Error> {
        let d = self.d;
        let configured = self.provider(start.provider).ok_or(Error::NotFound)?;
        let limits = d.security.rate_limits;
        if let Some(ip) = &ctx.ip {
            d.limit(
                limits.login_per_ip,
                &format!("oidc:ip:{}", limits.ip_bucket(ip)),
                "oidc_login",
                ctx,
            )
            .await?;
        }
        if start.purpose != FlowPurpose::Login && start.user.is_none() {
            return Err(Error::Forbidden("log in first"));
        }
        let state = SecretToken::generate();
        let verifier = SecretToken::generate();
        let nonce = SecretToken::generate();
        let now = d.clock.now();
        let flow = OidcFlow {
            provider: configured.id().to_owned(),
            browser_hash: start.browser.hash().as_str().to_owned(),
            sealed_verifier: d.sealing.seal(verifier.expose().as_bytes()),
            nonce: nonce.expose().to_owned(),
            next: start.next,
            remember: start.remember,
            purpose: start.purpose,
            user_id: start.user,
            ip: ctx.ip.clone(),
            created_at: now,
            expires_at: now + FLOW_LIFETIME,
        };
        if !d
            .store
            .create_oidc_flow(&state.hash(), &flow, FLOW_CAP)
            .await?
        {
            tracing::warn!(cap = FLOW_CAP, "too many sign-in flows in flight");
            return Err(Error::RateLimited {
                retry_after: Duration::minutes(1),
            });
        }
        let reauth = start.purpose == FlowPurpose::Reauthenticate;
        let request = AuthorizationRequest {
            state: state.expose().to_owned(),
            pkce_verifier: verifier.expose().to_owned(),
            nonce: nonce.expose().to_owned(),
            force_login: reauth,
            max_age: reauth.then_some(REAUTH_MAX_AGE),
        };
        configured
            .provider
            .authorization_url(&request)
            .await
            .map_err(|err| {
                tracing::warn!(provider = configured.id(), error = %err, "cannot start a sign-in");
                Error::SignInFailed(err.reason())
            })
    }

    /// The account's linked identities, oldest first.
    pub async fn list(&self, user: UserId) -> Result<Vec<Identity>, Error> {
        Ok(self.d.store.identities_of(user).await?)
    }

    /// Whether the account has a password (an account made by a provider
    /// has none until it sets one by a reset link).
    pub async fn has_password(&self, user: &User) -> Result<bool, Error> {
        self.d.has_password(user).await
    }

    /// Unlinks identity `id` from `user`. Refused when it would leave the
    /// account with no way to sign in: no password, no other identity and
    /// no passkey.
    /// Another account's identity is [`Error::NotFound`].
    pub async fn unlink(
        &self,
        user: &User,
        id: IdentityId,
        ctx: &RequestContext,
    ) -> Result<Identity, Error> {
        let d = self.d;
        let tx = d.store.begin().await?;
        // The account's row lock orders concurrent unlinks (PostgreSQL;
        // SQLite's transaction holds the write lock already), so two of
        // them cannot each leave the other as the last way in and both go.
        tx.lock_account(user.id).await?;
        let linked = tx.identities_of(user.id).await?;
        if !linked.iter().any(|i| i.id == id) {
            return Err(Error::NotFound);
        }
        let has_password = has_password_on(tx.as_ref(), user).await?;
        if !has_password && linked.len() <= 1 && tx.passkeys_of(user.id).await?.is_empty() {
            return Err(Error::Forbidden(
                "this is the only way to sign in to the account: set a password first",
            ));
        }
        let removed = tx
            .unlink_identity(user.id, id)
            .await?
            .ok_or(Error::NotFound)?;
        tx.append_audit(
            &d.event(AuditKind::IdentityUnlinked, ctx)
                .by(user.id)
                .detail("provider", removed.provider.as_str())
                .detail("subject", removed.subject.as_str()),
        )
        .await?;
        tx.commit().await?;
        Ok(removed)
    }

    /// Where to send the browser to end its session at `provider` too,
    /// coming back to `after`, when the provider is configured for it and
    /// has a logout endpoint.
    pub async fn logout_url(&self, provider: &str, after: &str) -> Option<String> {
        let configured = self.provider(provider)?;
        if !configured.logout_at_provider {
            return None;
        }
        configured.provider.end_session_url(after).await
    }
}

impl Deps {
    /// Whether `user` has a password.
    pub(crate) async fn has_password(&self, user: &User) -> Result<bool, Error> {
        has_password_on(self.store.as_ref(), user).await
    }
}

/// Whether `user` has a password, read on `on` (the store, or a transaction
/// that decides whether a way in may go).
pub(crate) async fn has_password_on(
    on: &dyn crate::store::UserStore,
    user: &User,
) -> Result<bool, Error> {
    Ok(on
        .credential_by_login(&user.username.to_ascii_lowercase())
        .await?
        .is_some_and(|c| c.user.id == user.id && c.password_hash.is_some()))
}
