//! The provider's answer: taking the flow it belongs to, redeeming the code,
//! and what the verified identity leads to.

use super::{Identities, REAUTH_MAX_AGE};
use crate::audit::{AuditKind, RequestContext};
use crate::domain::email::Email;
use crate::domain::identity::{FlowPurpose, Identity, OidcFlow, PendingIdentity};
use crate::domain::session::Assurance;
use crate::domain::session::Session;
use crate::domain::user::{AccountKind, User};
use crate::domain::username::{self, Username};
use crate::error::Error;
use crate::notify::Notice;
use crate::policy::identity::{AccountWithAddress, Assertion, Decision};
use crate::provider::VerifiedIdentity;
use crate::services::login::LoginSuccess;
use crate::services::sessions::Sessions;
use crate::store::{NewIdentity, NewUser, StoreError, UniqueField};
use crate::token::SecretToken;

/// The callback's request, as the provider sent the browser back.
#[derive(Debug, Clone, Copy)]
pub struct Callback<'a> {
    /// The provider whose callback route was called.
    pub provider: &'a str,
    /// `state`, if sent.
    pub state: Option<&'a str>,
    /// `code`, if sent.
    pub code: Option<&'a str>,
    /// `error` (`access_denied`, ...), if sent.
    pub error: Option<&'a str>,
    /// The browser-binding cookie's secret, if the browser sent it.
    pub browser: Option<&'a SecretToken>,
    /// The browser's current (complete) session and its account, if it
    /// has one.
    pub current: Option<Current<'a>>,
}

/// The account signed in where a callback arrives.
#[derive(Debug, Clone, Copy)]
pub struct Current<'a> {
    /// The account.
    pub user: &'a User,
    /// Its session in this browser.
    pub session: &'a Session,
}

/// How a callback ended, when it did not fail.
#[derive(Debug)]
pub enum Completion {
    /// An account signed in: a new session (waiting for its second factor
    /// if the account has one).
    SignedIn {
        /// The new session.
        login: Box<LoginSuccess>,
        /// Where to go afterwards.
        next: Option<String>,
        /// The provider it came through.
        provider: String,
    },
    /// The identity was linked to the signed-in account.
    Linked {
        /// The identity.
        identity: Identity,
        /// Where to go afterwards.
        next: Option<String>,
    },
    /// The signed-in account proved itself again through the provider.
    Reauthenticated {
        /// Where to go afterwards.
        next: Option<String>,
    },
    /// Nothing was linked or created: the owner of the address must prove
    /// it first, by the link mailed to it or by signing in with a password.
    /// With `email` `None` the provider sent no address, and one must be
    /// asked for. The answer must not depend on whether an account holds
    /// the address.
    NeedsProof {
        /// The provider's button name.
        provider: String,
        /// The address the link went to.
        email: Option<String>,
    },
}

impl Identities<'_> {
    /// Finishes the flow the callback answers. Every failure is
    /// [`Error::SignInFailed`] with a short reason (also recorded as a
    /// `login_failed` event, reason `oidc_<reason>`), except a deactivated
    /// account ([`Error::Inactive`]) and a busy server.
    pub async fn complete(
        &self,
        callback: Callback<'_>,
        ctx: &RequestContext,
    ) -> Result<Completion, Error> {
        let result = self.finish(callback, ctx).await;
        if let Err(Error::SignInFailed(reason)) = &result {
            self.d
                .record(
                    self.d
                        .event(AuditKind::LoginFailed, ctx)
                        .detail("reason", format!("oidc_{reason}"))
                        .detail("provider", callback.provider),
                )
                .await;
        }
        result
    }

    async fn finish(&self, cb: Callback<'_>, ctx: &RequestContext) -> Result<Completion, Error> {
        let d = self.d;
        let configured = self.provider(cb.provider).ok_or(Error::NotFound)?;
        let state = cb
            .state
            .and_then(SecretToken::parse)
            .ok_or(Error::SignInFailed("missing_state"))?;
        // Taken first, whatever the answer: a state is good for one callback.
        let flow = d
            .store
            .take_oidc_flow(&state.hash())
            .await?
            .ok_or(Error::SignInFailed("unknown_state"))?;
        if let Some(error) = cb.error {
            return Err(Error::SignInFailed(provider_error(error)));
        }
        check_flow(&flow, cb, d.clock.now())?;
        let code = cb
            .code
            .filter(|c| !c.is_empty())
            .ok_or(Error::SignInFailed("missing_code"))?;
        let verifier = d
            .sealing
            .open(&flow.sealed_verifier)
            .map_err(|_| Error::SignInFailed("unknown_state"))?;
        let verifier = String::from_utf8(verifier.plaintext)
            .map_err(|_| Error::SignInFailed("unknown_state"))?;
        let identity = configured
            .provider
            .redeem(code, &verifier, &flow.nonce)
            .await
            .map_err(|err| {
                tracing::warn!(provider = cb.provider, error = %err, "sign-in refused");
                Error::SignInFailed(err.reason())
            })?;
        match flow.purpose {
            FlowPurpose::Login => self.login(identity, &flow, ctx).await,
            FlowPurpose::Link => self.link_to_current(identity, &flow, cb.current, ctx).await,
            FlowPurpose::Reauthenticate => {
                self.reauthenticate(identity, &flow, cb.current, ctx).await
            }
        }
    }

    /// Cases 1 to 4 of the linking rule.
    async fn login(
        &self,
        identity: VerifiedIdentity,
        flow: &OidcFlow,
        ctx: &RequestContext,
    ) -> Result<Completion, Error> {
        let d = self.d;
        let configured = self.provider(&flow.provider).ok_or(Error::NotFound)?;
        if let Some(linked) = d
            .store
            .find_identity(&identity.issuer, &identity.subject)
            .await?
        {
            let user = d
                .store
                .user_by_id(linked.user_id)
                .await?
                .ok_or(Error::SignInFailed("unknown_account"))?;
            return self.sign_in(user, &linked, flow, ctx).await;
        }
        let assertion = Assertion {
            email: identity.email.clone(),
            email_verified: identity.email_verified,
        };
        let holder = match &identity.email {
            Some(email) => d.account_with_address(email).await?,
            None => None,
        };
        match configured.policy.decide(&assertion, holder) {
            Decision::LinkAndSignIn(user) => {
                let user = d.store.user_by_id(user).await?.ok_or(Error::NotFound)?;
                if !user.is_active {
                    return Err(self.inactive(&user, &flow.provider, ctx).await);
                }
                let linked = self.link(&user, &flow.provider, &identity, ctx).await?;
                self.sign_in(user, &linked, flow, ctx).await
            }
            Decision::Register => {
                let user = self.register(&flow.provider, &identity, ctx).await?;
                let linked = self.link(&user, &flow.provider, &identity, ctx).await?;
                self.sign_in(user, &linked, flow, ctx).await
            }
            Decision::AskForProof => {
                let pending = PendingIdentity {
                    provider: flow.provider.clone(),
                    issuer: identity.issuer.clone(),
                    subject: identity.subject.clone(),
                    email: String::new(),
                    preferred_username: identity.preferred_username.clone(),
                    name: identity.name.clone(),
                    next: flow.next.clone(),
                    browser_hash: Some(flow.browser_hash.clone()),
                    created_at: d.clock.now(),
                    expires_at: d.clock.now() + d.security.email.confirm_ttl,
                };
                let email = identity
                    .email
                    .as_deref()
                    .filter(|e| Email::parse(e).is_ok());
                self.ask_for_proof(pending, email, ctx).await?;
                Ok(Completion::NeedsProof {
                    provider: configured.name().to_owned(),
                    email: email.map(str::to_owned),
                })
            }
            Decision::Refuse => Err(Error::SignInFailed("registration_closed")),
        }
    }

    /// Links the identity the flow brought to the signed-in account that
    /// started it.
    async fn link_to_current(
        &self,
        identity: VerifiedIdentity,
        flow: &OidcFlow,
        current: Option<Current<'_>>,
        ctx: &RequestContext,
    ) -> Result<Completion, Error> {
        let user = current_owner(flow, current)?;
        let identity = match self
            .d
            .store
            .find_identity(&identity.issuer, &identity.subject)
            .await?
        {
            Some(linked) if linked.user_id == user.id => linked,
            Some(_) => return Err(Error::SignInFailed("linked_elsewhere")),
            None => self.link(user, &flow.provider, &identity, ctx).await?,
        };
        Ok(Completion::Linked {
            identity,
            next: flow.next.clone(),
        })
    }

    /// A recent-login proof through the provider, for an account whose
    /// identity it is.
    async fn reauthenticate(
        &self,
        identity: VerifiedIdentity,
        flow: &OidcFlow,
        current: Option<Current<'_>>,
        ctx: &RequestContext,
    ) -> Result<Completion, Error> {
        let d = self.d;
        let user = current_owner(flow, current)?;
        let session = current
            .ok_or(Error::SignInFailed("session_changed"))?
            .session;
        let linked = d
            .store
            .find_identity(&identity.issuer, &identity.subject)
            .await?
            .filter(|l| l.user_id == user.id)
            .ok_or(Error::SignInFailed("linked_elsewhere"))?;
        // prompt=login asked for a fresh authentication; auth_time shows
        // whether the provider gave one.
        let fresh = identity
            .auth_time
            .is_some_and(|at| at >= flow.created_at - REAUTH_MAX_AGE);
        if !fresh {
            return Err(Error::SignInFailed("not_fresh"));
        }
        if !session.assurance.is_complete() {
            return Err(Error::Forbidden("finish logging in first"));
        }
        d.store
            .reauthenticate(session.id, d.clock.now(), session.assurance)
            .await?;
        d.store.touch_identity(linked.id, d.clock.now()).await?;
        d.record(
            d.event(AuditKind::Reauthenticated, ctx)
                .by(user.id)
                .detail("provider", linked.provider.as_str()),
        )
        .await;
        Ok(Completion::Reauthenticated {
            next: flow.next.clone(),
        })
    }

    /// Opens a session for `user` through `linked`, as a password login
    /// would after its password: refused for a deactivated account, and
    /// only half a login (the second step follows) for one with a second
    /// factor.
    pub(super) async fn sign_in(
        &self,
        user: User,
        linked: &Identity,
        flow: &OidcFlow,
        ctx: &RequestContext,
    ) -> Result<Completion, Error> {
        let d = self.d;
        if !user.is_active {
            return Err(self.inactive(&user, &linked.provider, ctx).await);
        }
        let sessions = Sessions { d };
        let login = if d.has_two_factor(user.id).await? {
            sessions.open_pending(user, flow.remember, ctx).await?
        } else {
            sessions
                .open_session(user, flow.remember, Assurance::Provider, ctx)
                .await?
        };
        d.store.touch_identity(linked.id, d.clock.now()).await?;
        Ok(Completion::SignedIn {
            login: Box::new(login),
            next: flow.next.clone(),
            provider: linked.provider.clone(),
        })
    }

    async fn inactive(&self, user: &User, provider: &str, ctx: &RequestContext) -> Error {
        self.d
            .record(
                self.d
                    .event(AuditKind::LoginFailed, ctx)
                    .target(user.id)
                    .detail("reason", "inactive")
                    .detail("provider", provider),
            )
            .await;
        Error::Inactive
    }

    /// Links `identity` to `user`, records it and tells the owner. If the
    /// same identity was linked meanwhile (two callbacks racing), the link
    /// that won is returned when it is to the same account.
    pub(super) async fn link(
        &self,
        user: &User,
        provider: &str,
        identity: &VerifiedIdentity,
        ctx: &RequestContext,
    ) -> Result<Identity, Error> {
        let d = self.d;
        let linked = match d
            .store
            .link_identity(&NewIdentity {
                user_id: user.id,
                provider: provider.to_owned(),
                issuer: identity.issuer.clone(),
                subject: identity.subject.clone(),
                email: identity.email.clone(),
                created_at: d.clock.now(),
            })
            .await
        {
            Ok(linked) => linked,
            Err(StoreError::Conflict(_)) => {
                return match d
                    .store
                    .find_identity(&identity.issuer, &identity.subject)
                    .await?
                {
                    Some(linked) if linked.user_id == user.id => Ok(linked),
                    _ => Err(Error::SignInFailed("linked_elsewhere")),
                };
            }
            Err(other) => return Err(other.into()),
        };
        d.record(
            d.event(AuditKind::IdentityLinked, ctx)
                .by(user.id)
                .detail("provider", provider)
                .detail("subject", identity.subject.as_str()),
        )
        .await;
        let name = self
            .provider(provider)
            .map_or(provider, |p| p.name())
            .to_owned();
        d.tell(user, |to| Notice::IdentityLinked {
            to,
            username: user.username.clone(),
            provider: name,
        })
        .await;
        Ok(linked)
    }

    /// Creates an account for a new identity whose address is proven: no
    /// password, the address confirmed, the provider's default role, a
    /// username from `preferred_username` or the address, made valid and
    /// unique.
    pub(super) async fn register(
        &self,
        provider: &str,
        identity: &VerifiedIdentity,
        ctx: &RequestContext,
    ) -> Result<User, Error> {
        let d = self.d;
        let email = identity
            .email
            .as_deref()
            .and_then(|e| Email::parse(e).ok())
            .ok_or(Error::SignInFailed("no_email"))?;
        let configured = self.provider(provider).ok_or(Error::NotFound)?;
        let roles: Vec<String> = configured
            .policy
            .default_role
            .clone()
            .or_else(|| d.default_role.clone())
            .into_iter()
            .collect();
        let base = username_base(identity.preferred_username.as_deref(), email.local_part());
        let now = d.clock.now();
        for attempt in 0..8 {
            let name = candidate(&base, attempt);
            let Ok(username) = Username::parse(&name) else {
                continue;
            };
            let new = NewUser {
                username: username.as_str().to_owned(),
                username_key: username.key(),
                email: Some(email.as_str().to_owned()),
                email_key: Some(email.key()),
                kind: AccountKind::Human,
                password_hash: None,
                is_active: true,
                confirmed_at: Some(now),
                created_at: now,
            };
            match d.insert_account(None, &new, &roles).await {
                Ok(user) => {
                    d.record(
                        d.event(AuditKind::Registered, ctx)
                            .by(user.id)
                            .detail("provider", provider),
                    )
                    .await;
                    return Ok(user);
                }
                Err(Error::Taken(UniqueField::Username)) => continue,
                Err(Error::Taken(UniqueField::Email)) => {
                    return Err(Error::SignInFailed("address_taken"));
                }
                Err(other) => return Err(other),
            }
        }
        Err(Error::SignInFailed("no_username"))
    }
}

impl crate::services::Deps {
    /// The account whose address is `email` (case-insensitively), active
    /// or not, with whether it confirmed the address.
    pub(crate) async fn account_with_address(
        &self,
        email: &str,
    ) -> Result<Option<AccountWithAddress>, Error> {
        let Ok(email) = Email::parse(email) else {
            return Ok(None);
        };
        let key = email.key();
        Ok(self
            .store
            .credential_by_login(&key)
            .await?
            .map(|c| c.user)
            .filter(|u| u.mailbox().is_some_and(|m| m.to_lowercase() == key))
            .map(|u| AccountWithAddress {
                user: u.id,
                confirmed: u.confirmed_at.is_some(),
            }))
    }
}

/// Whether the taken flow may be finished by this callback.
fn check_flow(flow: &OidcFlow, cb: Callback<'_>, now: time::OffsetDateTime) -> Result<(), Error> {
    if flow.provider != cb.provider {
        return Err(Error::SignInFailed("wrong_provider"));
    }
    if flow.expires_at <= now {
        return Err(Error::SignInFailed("expired"));
    }
    let same_browser = cb
        .browser
        .is_some_and(|b| b.hash().as_str() == flow.browser_hash);
    if !same_browser {
        return Err(Error::SignInFailed("other_browser"));
    }
    Ok(())
}

/// The signed-in account a link or re-authentication flow was started by,
/// if this browser is still signed in to it.
fn current_owner<'s>(flow: &OidcFlow, current: Option<Current<'s>>) -> Result<&'s User, Error> {
    match current {
        Some(c) if Some(c.user.id) == flow.user_id && c.session.assurance.is_complete() => {
            Ok(c.user)
        }
        _ => Err(Error::SignInFailed("session_changed")),
    }
}

/// The audit reason for a provider's `error` parameter.
fn provider_error(error: &str) -> &'static str {
    match error {
        "access_denied" => "access_denied",
        "login_required" | "interaction_required" | "consent_required" => "login_required",
        "temporarily_unavailable" | "server_error" => "unavailable",
        _ => "provider_error",
    }
}

/// A username to start from: the provider's suggestion or the address's
/// local part, with only the characters usernames allow.
fn username_base(preferred: Option<&str>, local_part: &str) -> String {
    let clean = |s: &str| -> String {
        s.chars()
            .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
            .take(username::MAX_LEN - 5)
            .collect()
    };
    let from_preferred = preferred.map(clean).unwrap_or_default();
    let base = if from_preferred.len() >= username::MIN_LEN {
        from_preferred
    } else {
        clean(local_part)
    };
    if base.len() >= username::MIN_LEN {
        base
    } else {
        format!("{base}user")
    }
}

/// The `attempt`th candidate: the base, then the base with a random
/// four-digit suffix.
fn candidate(base: &str, attempt: u32) -> String {
    if attempt == 0 {
        base.to_owned()
    } else {
        format!("{base}{:04}", rand::random_range(0..10_000u32))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_come_from_the_suggestion_or_the_address_and_are_valid() {
        assert_eq!(username_base(Some("alice"), "a.smith"), "alice");
        assert_eq!(username_base(Some("Ålice Ü"), "a.smith"), "lice");
        assert_eq!(username_base(None, "a.smith"), "a.smith");
        assert_eq!(username_base(Some("x"), "jo"), "jouser");
        let long = "a".repeat(60);
        let base = username_base(Some(&long), "x");
        assert!(Username::parse(&candidate(&base, 3)).is_ok());
        for attempt in 0..5 {
            assert!(Username::parse(&candidate(&username_base(None, "%%"), attempt)).is_ok());
        }
    }

    #[test]
    fn provider_errors_map_to_a_few_reasons() {
        assert_eq!(provider_error("access_denied"), "access_denied");
        assert_eq!(provider_error("server_error"), "unavailable");
        assert_eq!(provider_error("<script>"), "provider_error");
    }
}
