//! Proving an address before a provider's word links or creates anything.
//!
//! When the provider does not vouch for the address (or sent none, or an
//! unconfirmed account holds it), the identity waits as a *pending
//! identity*, and the owner of the address proves it in one of two ways:
//! - the single-use link mailed to the address ([`Identities::complete_pending`]),
//!   which links the identity to the account holding the address, or
//!   registers one;
//! - signing in with the password of any account in the browser that
//!   started the flow ([`Identities::link_pending`]), which links it there.
//!
//! Completing by mail for an account that never confirmed its address
//! means whoever set that account up did not prove the address either: it
//! may be an attacker's pre-registration waiting for the owner. So the
//! account's password, second factor, API tokens and sessions end before
//! the owner gets it (the pre-hijacking defence).

use super::Identities;
use crate::audit::{AuditKind, RequestContext};
use crate::domain::email::Email;
use crate::domain::fields::FieldErrors;
use crate::domain::identity::{Identity, PendingIdentity};
use crate::error::Error;
use crate::notify::Notice;
use crate::provider::VerifiedIdentity;
use crate::services::identities::callback::{Completion, Current};
use crate::services::tokens::{ALL_KINDS, Tokens};
use crate::token::SecretToken;

/// What a browser's pending identity shows on the page that asks for proof.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingView {
    /// The provider's button name.
    pub provider: String,
    /// The address the link went to; empty when one must be asked for.
    pub email: String,
    /// The provider's display name for the person.
    pub name: Option<String>,
}

impl Identities<'_> {
    /// Stores `pending` under a new link token and mails the link to
    /// `email` (if there is one: otherwise the page asks for an address).
    /// The mail is the only thing that differs with and without an account
    /// holding the address, and only its owner reads it.
    pub(super) async fn ask_for_proof(
        &self,
        mut pending: PendingIdentity,
        email: Option<&str>,
        ctx: &RequestContext,
    ) -> Result<(), Error> {
        let d = self.d;
        let holder = match email {
            Some(email) => d.account_for_email(email, "oidc_proof", ctx).await?,
            None => None,
        };
        pending.email = email.unwrap_or_default().to_owned();
        let token = SecretToken::generate();
        let Some(email) = email else {
            d.store
                .create_pending_identity(&token.hash(), &pending)
                .await?;
            return Ok(());
        };
        let provider = self
            .provider(&pending.provider)
            .map_or(pending.provider.as_str(), |p| p.name())
            .to_owned();
        let useful = holder.is_some()
            || self
                .provider(&pending.provider)
                .is_some_and(|p| p.policy.allow_registration);
        // The pending identity is kept only with the email that carries
        // its link.
        let tx = d.store.begin().await?;
        tx.create_pending_identity(&token.hash(), &pending).await?;
        let notice = Notice::ProveAddress {
            to: email.to_owned(),
            username: holder.map(|u| u.username),
            provider,
            token: useful.then_some(token),
        };
        d.queue_on(tx.as_ref(), &notice, pending.expires_at).await?;
        tx.commit().await?;
        d.mail_queued();
        Ok(())
    }

    /// The pending identity the browser bound by `browser` made, if it is
    /// still waiting.
    pub async fn pending_of_browser(
        &self,
        browser: &SecretToken,
    ) -> Result<Option<PendingView>, Error> {
        let d = self.d;
        Ok(d.store
            .pending_identity_of_browser(browser.hash().as_str(), d.clock.now())
            .await?
            .map(|(_, p)| PendingView {
                provider: self
                    .provider(&p.provider)
                    .map_or(p.provider.as_str(), |c| c.name())
                    .to_owned(),
                email: p.email,
                name: p.name,
            }))
    }

    /// The address for a pending identity whose provider sent none (or
    /// another one): mails the link there, replacing the earlier link.
    /// Rate-limited like every "send me an email" form.
    pub async fn submit_address(
        &self,
        browser: &SecretToken,
        email: &str,
        ctx: &RequestContext,
    ) -> Result<(), Error> {
        let d = self.d;
        let parsed =
            Email::parse(email).map_err(|e| FieldErrors::single("email", e.to_string()))?;
        let (hash, _) = d
            .store
            .pending_identity_of_browser(browser.hash().as_str(), d.clock.now())
            .await?
            .ok_or(Error::InvalidToken)?;
        let Some(pending) = d.store.take_pending_identity(&hash).await? else {
            return Err(Error::InvalidToken);
        };
        self.ask_for_proof(pending, Some(parsed.as_str()), ctx)
            .await
    }

    /// Completes a pending identity with its mailed link: links it to the
    /// account holding the address (ending, for an account that had not
    /// confirmed the address, every way in that was not proven), or
    /// registers an account where the provider allows it; then signs in as
    /// a provider sign-in does. The link works once.
    pub async fn complete_pending(
        &self,
        token: &str,
        ctx: &RequestContext,
    ) -> Result<Completion, Error> {
        let d = self.d;
        let token = SecretToken::parse(token).ok_or(Error::InvalidToken)?;
        let pending = d
            .store
            .take_pending_identity(&token.hash())
            .await?
            .filter(|p| p.expires_at > d.clock.now() && !p.email.is_empty())
            .ok_or(Error::InvalidToken)?;
        let configured = self
            .provider(&pending.provider)
            .ok_or(Error::InvalidToken)?;
        let identity = VerifiedIdentity {
            issuer: pending.issuer.clone(),
            subject: pending.subject.clone(),
            email: Some(pending.email.clone()),
            email_verified: true,
            preferred_username: pending.preferred_username.clone(),
            name: pending.name.clone(),
            auth_time: None,
        };
        let flow = pending_flow(&pending);
        if let Some(linked) = d
            .store
            .find_identity(&pending.issuer, &pending.subject)
            .await?
        {
            // Completed already, some other way: sign that account in only
            // if it is the one holding the proven address.
            let user = d
                .store
                .user_by_id(linked.user_id)
                .await?
                .ok_or(Error::InvalidToken)?;
            if !user
                .mailbox()
                .is_some_and(|m| m.eq_ignore_ascii_case(&pending.email))
            {
                return Err(Error::InvalidToken);
            }
            return self.sign_in(user, &linked, &flow, ctx).await;
        }
        let user = match d.account_with_address(&pending.email).await? {
            Some(holder) => {
                let user = d
                    .store
                    .user_by_id(holder.user)
                    .await?
                    .ok_or(Error::InvalidToken)?;
                if !user.is_active {
                    return Err(Error::Inactive);
                }
                if !holder.confirmed {
                    self.end_unproven_access(&user, ctx).await?;
                }
                d.store
                    .user_by_id(user.id)
                    .await?
                    .ok_or(Error::InvalidToken)?
            }
            None if configured.policy.allow_registration => {
                self.register(&pending.provider, &identity, ctx).await?
            }
            None => return Err(Error::SignInFailed("registration_closed")),
        };
        if !user.is_active {
            return Err(Error::Inactive);
        }
        let linked = self.link(&user, &pending.provider, &identity, ctx).await?;
        self.sign_in(user, &linked, &flow, ctx).await
    }

    /// Links the pending identity of the browser bound by `browser` to the
    /// account signed in there: the person proved the provider account
    /// (the flow) and the local one (its password, and second factor).
    pub async fn link_pending(
        &self,
        current: Current<'_>,
        browser: &SecretToken,
        ctx: &RequestContext,
    ) -> Result<Identity, Error> {
        let d = self.d;
        if !current.session.assurance.is_complete() {
            return Err(Error::Forbidden("finish logging in first"));
        }
        let (hash, _) = d
            .store
            .pending_identity_of_browser(browser.hash().as_str(), d.clock.now())
            .await?
            .ok_or(Error::InvalidToken)?;
        let pending = d
            .store
            .take_pending_identity(&hash)
            .await?
            .ok_or(Error::InvalidToken)?;
        let identity = VerifiedIdentity {
            issuer: pending.issuer,
            subject: pending.subject,
            email: Some(pending.email).filter(|e| !e.is_empty()),
            email_verified: false,
            preferred_username: pending.preferred_username,
            name: pending.name,
            auth_time: None,
        };
        self.link(current.user, &pending.provider, &identity, ctx)
            .await
            .map_err(|e| match e {
                Error::SignInFailed(_) => {
                    Error::Forbidden("that provider account is linked to another account already")
                }
                other => other,
            })
    }

    /// The account held the address without ever confirming it: whoever
    /// set its password (or second factor, or tokens) never proved the
    /// address, so all of that ends, in one transaction, and the address
    /// counts as confirmed now that its owner has proven it.
    async fn end_unproven_access(
        &self,
        user: &crate::domain::user::User,
        ctx: &RequestContext,
    ) -> Result<(), Error> {
        let d = self.d;
        let now = d.clock.now();
        let tx = d.store.begin().await?;
        tx.clear_password(user.id, now).await?;
        tx.delete_totp(user.id).await?;
        tx.delete_recovery_codes(user.id).await?;
        let sessions = tx.delete_sessions_of(user.id).await?;
        let tokens = tx.revoke_api_tokens_of(user.id, &ALL_KINDS, now).await?;
        tx.mark_confirmed(user.id, now).await?;
        tx.unlock_user(user.id).await?;
        tx.append_audit(
            &d.event(AuditKind::EmailConfirmed, ctx)
                .target(user.id)
                .detail("by", "provider_link")
                .detail("password_removed", true)
                .detail("sessions_ended", sessions)
                .detail("tokens_revoked", tokens),
        )
        .await?;
        tx.commit().await?;
        Tokens { d }
            .revoked_many(user.id, tokens, "address_proven", None, ctx)
            .await;
        Ok(())
    }
}

/// The flow a mailed link stands for: a login with the pending identity's
/// `next`, not remembered.
fn pending_flow(pending: &PendingIdentity) -> crate::domain::identity::OidcFlow {
    crate::domain::identity::OidcFlow {
        provider: pending.provider.clone(),
        browser_hash: String::new(),
        sealed_verifier: String::new(),
        nonce: String::new(),
        next: pending.next.clone(),
        remember: false,
        purpose: crate::domain::identity::FlowPurpose::Login,
        user_id: None,
        ip: None,
        created_at: pending.created_at,
        expires_at: pending.expires_at,
    }
}
