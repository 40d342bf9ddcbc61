//! Passkeys (WebAuthn): registering one, signing in with one without a
//! username, and using one as the second factor after a password.
//!
//! The verifier is webauthn-rs, configured from the public URL: its host is
//! the relying-party id and its origin the only origin accepted. Between
//! the options a ceremony sends to the browser and the browser's answer,
//! the verifier's state waits in the database (so any instance can finish
//! what another began) under the hash of a secret the browser holds in a
//! cookie: bound to that browser, single-use (the answer takes it, right or
//! wrong), five minutes long, and capped in number. Every passkey demands
//! user verification (a PIN or biometric on the device), so a passkey
//! alone counts as two factors.
//!
//! Signature counters only move forward, in one conditional statement: a
//! counter that goes backwards means two devices hold one key (a clone),
//! and the sign-in is refused and audited as `passkey_clone_suspected`.
//!
//! Registering and managing passkeys is here; signing in with one (alone,
//! or as the second step after a password) is in `sign_in`.

mod sign_in;

use super::Deps;
use crate::audit::{AuditKind, RequestContext};
use crate::domain::passkey::{
    Ceremony, CeremonyPurpose, MAX_NAME_CHARS, NewPasskey, PasskeyId, PasskeyInfo, PasskeyUse,
    StoredPasskey,
};
use crate::domain::session::Session;
use crate::domain::user::{User, UserId};
use crate::error::Error;
use crate::notify::Notice;
use crate::store::{StoreError, UniqueField};
use crate::token::SecretToken;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use std::sync::Arc;
use time::Duration;
use url::Url;
use webauthn_rs::prelude::{
    Credential, Passkey, PasskeyRegistration, RegisterPublicKeyCredential, Uuid, WebauthnError,
};
use webauthn_rs::{Webauthn, WebauthnBuilder};

/// How long a ceremony waits for the browser's answer.
pub const CEREMONY_LIFETIME: Duration = Duration::minutes(5);
/// Ceremonies in flight at most, across every instance: sign-in ceremonies
/// are anonymous, so this bounds what a flood of them can store.
const CEREMONY_CAP: i64 = 10_000;
/// Passkeys one account may have.
pub const MAX_PASSKEYS: usize = 20;

/// The verifier, or why passkeys cannot work on this server.
#[derive(Clone)]
pub(crate) enum Verifier {
    /// Ready, for this relying party.
    Ready(Arc<Webauthn>),
    /// Not possible: a sentence for the pages.
    Unavailable(&'static str),
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Ready(_) => f.write_str("Verifier::Ready"),
            Self::Unavailable(why) => write!(f, "Verifier::Unavailable({why:?})"),
        }
    }
}

/// Why passkeys are off when nothing configured them.
const NOT_CONFIGURED: &str = "passkeys are not configured on this server";

impl Default for Verifier {
    fn default() -> Self {
        Self::Unavailable(NOT_CONFIGURED)
    }
}

impl Verifier {
    /// The verifier for a site reached at `public_url`, named `site_name` in
    /// the browser's prompts. Browsers refuse WebAuthn to a site whose host
    /// is an IP address, and outside a secure context (https, or
    /// `http://localhost`).
    pub(crate) fn for_site(public_url: &Url, site_name: &str) -> Self {
        let Some(host) = public_url.host() else {
            return Self::Unavailable("the public URL has no host");
        };
        let url::Host::Domain(domain) = host else {
            return Self::Unavailable(
                "passkeys need a public_url whose host is a name, not an IP address",
            );
        };
        let local = domain == "localhost" || domain.ends_with(".localhost");
        if public_url.scheme() != "https" && !local {
            return Self::Unavailable("passkeys need a public_url over https");
        }
        let built = WebauthnBuilder::new(domain, public_url)
            .map(|b| {
                b.rp_name(site_name)
                    .timeout(CEREMONY_LIFETIME.unsigned_abs())
            })
            .and_then(|b| b.build());
        match built {
            Ok(webauthn) => Self::Ready(Arc::new(webauthn)),
            Err(err) => {
                tracing::warn!(error = %err, public_url = %public_url, "passkeys are off");
                Self::Unavailable("the public URL cannot serve as a WebAuthn relying party")
            }
        }
    }
}

/// Options to hand to `navigator.credentials`, with the secret that binds
/// the ceremony to this browser (it goes in a cookie, never in a page).
#[derive(Debug)]
pub struct CeremonyStart {
    /// `{"publicKey": {...}}` in the standard WebAuthn JSON encoding.
    pub options: serde_json::Value,
    /// The ceremony's secret.
    pub secret: SecretToken,
}

/// Passkeys; see [`crate::AuthService::passkeys`].
#[derive(Clone, Copy)]
pub struct Passkeys<'a> {
    pub(crate) d: &'a Deps,
}

/// A passkey's name as typed: trimmed, control characters refused.
fn clean_name(name: &str) -> Result<String, Error> {
    let name = name.trim();
    let field = |message| Error::Validation(crate::FieldErrors::single("name", message));
    if name.is_empty() {
        return Err(field(
            "Give the passkey a name, such as the device it is on.",
        ));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(field("A passkey's name is at most 64 characters."));
    }
    if name.chars().any(char::is_control) {
        return Err(field("A passkey's name cannot contain control characters."));
    }
    Ok(name.to_owned())
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<String, Error> {
    serde_json::to_string(value).map_err(Error::internal)
}

fn from_json<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, Error> {
    serde_json::from_str(text).map_err(Error::internal)
}

/// The browser's answer as the verifier's type; anything else is
/// `PasskeyFailed("invalid")`.
fn answer<T: serde::de::DeserializeOwned>(credential: &serde_json::Value) -> Result<T, Error> {
    T::deserialize(credential).map_err(|_| Error::PasskeyFailed("invalid"))
}

impl Deps {
    fn webauthn(&self) -> Result<&Webauthn, Error> {
        match &self.passkeys {
            Verifier::Ready(webauthn) => Ok(webauthn),
            Verifier::Unavailable(why) => Err(Error::PasskeysUnavailable(why)),
        }
    }

    /// Stores `state` as a ceremony for `purpose`; returns its secret.
    async fn begin_ceremony(
        &self,
        purpose: CeremonyPurpose,
        user_id: Option<UserId>,
        session: Option<&Session>,
        state: String,
    ) -> Result<SecretToken, Error> {
        let now = self.clock.now();
        let secret = SecretToken::generate();
        let ceremony = Ceremony {
            purpose,
            user_id,
            session_id: session.map(|s| s.id),
            state,
            created_at: now,
            expires_at: now + CEREMONY_LIFETIME,
        };
        if !self
            .store
            .create_ceremony(&secret.hash(), &ceremony, CEREMONY_CAP)
            .await?
        {
            tracing::warn!(cap = CEREMONY_CAP, "too many passkey ceremonies in flight");
            return Err(Error::RateLimited {
                retry_after: Duration::minutes(1),
            });
        }
        Ok(secret)
    }

    /// Takes the ceremony `secret` names if it is for `purpose`, still
    /// live, and (for a signed-in ceremony) for `user`; gone either way.
    async fn take_ceremony(
        &self,
        secret: Option<&SecretToken>,
        purpose: CeremonyPurpose,
        user: Option<UserId>,
    ) -> Result<Ceremony, Error> {
        let expired = Error::PasskeyFailed("expired");
        let Some(secret) = secret else {
            return Err(expired);
        };
        let Some(ceremony) = self.store.take_ceremony(&secret.hash()).await? else {
            return Err(expired);
        };
        if ceremony.purpose != purpose
            || ceremony.expires_at <= self.clock.now()
            || (user.is_some() && ceremony.user_id != user)
        {
            return Err(expired);
        }
        Ok(ceremony)
    }

    /// Whether `user` has a passkey.
    pub(crate) async fn has_passkey(&self, user: UserId) -> Result<bool, Error> {
        Ok(!self.store.passkeys_of(user).await?.is_empty())
    }

    /// Records a refused answer.
    async fn passkey_failed(&self, user: Option<UserId>, ctx: &RequestContext, reason: &str) {
        let mut event = self
            .event(AuditKind::PasskeyFailed, ctx)
            .detail("reason", reason);
        if let Some(user) = user {
            event = event.target(user);
        }
        self.record(event).await;
    }

    /// Accepts a verified assertion for `stored`: the counter must move
    /// forward (checked by the verifier against the stored record, and
    /// again by the store in one statement against parallel uses).
    async fn accept_assertion(
        &self,
        stored: &StoredPasskey,
        verified: Result<webauthn_rs::prelude::AuthenticationResult, WebauthnError>,
        ctx: &RequestContext,
    ) -> Result<(), Error> {
        let user = stored.info.user_id;
        let result = match verified {
            Ok(result) => result,
            Err(WebauthnError::CredentialPossibleCompromise) => {
                return Err(self.clone_suspected(stored, ctx).await);
            }
            Err(err) => {
                tracing::info!(error = %err, "a passkey's answer was refused");
                self.passkey_failed(Some(user), ctx, "refused").await;
                return Err(Error::PasskeyFailed("refused"));
            }
        };
        let mut passkey: Passkey = from_json(&stored.credential)?;
        passkey.update_credential(&result);
        let used = PasskeyUse {
            id: stored.info.id,
            sign_count: i64::from(result.counter()),
            credential: to_json(&passkey)?,
            backed_up: result.backup_state(),
            at: self.clock.now(),
        };
        if !self.store.record_passkey_use(&used).await? {
            return Err(self.clone_suspected(stored, ctx).await);
        }
        Ok(())
    }

    async fn clone_suspected(&self, stored: &StoredPasskey, ctx: &RequestContext) -> Error {
        tracing::warn!(
            user_id = %stored.info.user_id,
            passkey_id = stored.info.id.0,
            "a passkey's signature counter went backwards: the authenticator may be cloned"
        );
        self.record(
            self.event(AuditKind::PasskeyCloneSuspected, ctx)
                .target(stored.info.user_id)
                .detail("passkey", stored.info.name.as_str())
                .detail("stored_counter", stored.sign_count),
        )
        .await;
        Error::PasskeyFailed("clone_suspected")
    }
}

impl Passkeys<'_> {
    /// Why passkeys cannot work here, if they cannot (for the pages to say).
    pub fn unavailable(&self) -> Option<&'static str> {
        match &self.d.passkeys {
            Verifier::Ready(_) => None,
            Verifier::Unavailable(why) => Some(why),
        }
    }

    /// The account's passkeys, oldest first.
    pub async fn list(&self, user: UserId) -> Result<Vec<PasskeyInfo>, Error> {
        Ok(self
            .d
            .store
            .passkeys_of(user)
            .await?
            .into_iter()
            .map(|p| p.info)
            .collect())
    }

    /// Starts registering a passkey for the signed-in `user`: needs a
    /// recent login. Passkeys the account has are excluded (the device
    /// says it holds one already), and discoverable credentials are asked
    /// for, so the passkey can sign in without a username.
    pub async fn begin_registration(
        &self,
        user: &User,
        session: &Session,
    ) -> Result<CeremonyStart, Error> {
        let d = self.d;
        let webauthn = d.webauthn()?;
        d.require_recent(session)?;
        let existing = d.store.passkeys_of(user.id).await?;
        if existing.len() >= MAX_PASSKEYS {
            return Err(Error::Forbidden(
                "an account has at most 20 passkeys: remove one first",
            ));
        }
        let handle = d
            .store
            .webauthn_handle(user.id, &Uuid::new_v4().to_string())
            .await?;
        let handle = Uuid::parse_str(&handle).map_err(Error::internal)?;
        let exclude = existing
            .iter()
            .filter_map(|p| URL_SAFE_NO_PAD.decode(&p.credential_id).ok())
            .collect::<Vec<_>>();
        let display = user.name.as_deref().unwrap_or(&user.username);
        let (options, state) = webauthn
            .start_passkey_registration(handle, &user.username, display, Some(exclude))
            .map_err(Error::internal)?;
        let mut options = serde_json::to_value(&options).map_err(Error::internal)?;
        // Ask for a discoverable credential (webauthn-rs says
        // "discouraged"): sign-in without a username needs one, and
        // security keys without room for it still register.
        if let Some(selection) = options
            .pointer_mut("/publicKey/authenticatorSelection")
            .and_then(serde_json::Value::as_object_mut)
        {
            selection.insert("residentKey".into(), "preferred".into());
            selection.insert("requireResidentKey".into(), false.into());
        }
        let secret = d
            .begin_ceremony(
                CeremonyPurpose::Register,
                Some(user.id),
                Some(session),
                to_json(&state)?,
            )
            .await?;
        Ok(CeremonyStart { options, secret })
    }

    /// Finishes the registration `secret` began with the browser's answer
    /// `credential` (RegistrationResponseJSON), naming the passkey `name`.
    /// Needs a recent login; the owner is told by email.
    pub async fn finish_registration(
        &self,
        user: &User,
        session: &Session,
        secret: Option<&SecretToken>,
        name: &str,
        credential: &serde_json::Value,
        ctx: &RequestContext,
    ) -> Result<PasskeyInfo, Error> {
        let d = self.d;
        let webauthn = d.webauthn()?;
        d.require_recent(session)?;
        let name = clean_name(name)?;
        let ceremony = d
            .take_ceremony(secret, CeremonyPurpose::Register, Some(user.id))
            .await?;
        let state: PasskeyRegistration = from_json(&ceremony.state)?;
        let response: RegisterPublicKeyCredential = answer(credential)?;
        let passkey = match webauthn.finish_passkey_registration(&response, &state) {
            Ok(passkey) => passkey,
            Err(err) => {
                tracing::info!(error = %err, "a passkey registration was refused");
                d.passkey_failed(Some(user.id), ctx, "registration_refused")
                    .await;
                return Err(Error::PasskeyFailed("refused"));
            }
        };
        let record = Credential::from(passkey.clone());
        let new = NewPasskey {
            user_id: user.id,
            credential_id: URL_SAFE_NO_PAD.encode(passkey.cred_id()),
            name,
            credential: to_json(&passkey)?,
            sign_count: i64::from(record.counter),
            backup_eligible: record.backup_eligible,
            backed_up: record.backup_state,
            created_at: d.clock.now(),
        };
        let added = match d.store.add_passkey(&new).await {
            Ok(added) => added,
            Err(StoreError::Conflict(UniqueField::Other)) => {
                return Err(Error::PasskeyFailed("registered"));
            }
            Err(err) => return Err(err.into()),
        };
        d.record(
            d.event(AuditKind::PasskeyAdded, ctx)
                .by(user.id)
                .detail("passkey", added.name.as_str())
                .detail("backup_eligible", added.backup_eligible),
        )
        .await;
        d.tell(user, |to| Notice::PasskeyAdded {
            to,
            username: user.username.clone(),
            name: added.name.clone(),
        })
        .await;
        Ok(added)
    }

    /// Renames one of the account's passkeys.
    pub async fn rename(&self, user: UserId, id: PasskeyId, name: &str) -> Result<(), Error> {
        let name = clean_name(name)?;
        if self.d.store.rename_passkey(user, id, &name).await? {
            Ok(())
        } else {
            Err(Error::NotFound)
        }
    }

    /// Removes one of the account's passkeys: needs a recent login, and is
    /// refused when it is the last way to sign in (no password, no other
    /// passkey, no linked provider). The owner is told by email.
    pub async fn remove(
        &self,
        user: &User,
        session: &Session,
        id: PasskeyId,
        ctx: &RequestContext,
    ) -> Result<PasskeyInfo, Error> {
        let d = self.d;
        d.require_recent(session)?;
        let tx = d.store.begin().await?;
        // The account's row lock orders two removals (PostgreSQL; SQLite's
        // transaction holds the write lock), so neither can leave the other
        // as the last way in and both go.
        tx.lock_account(user.id).await?;
        let passkeys = tx.passkeys_of(user.id).await?;
        if !passkeys.iter().any(|p| p.info.id == id) {
            return Err(Error::NotFound);
        }
        if passkeys.len() == 1 {
            let has_password = super::identities::has_password_on(tx.as_ref(), user).await?;
            let linked = !tx.identities_of(user.id).await?.is_empty();
            if !has_password && !linked {
                return Err(Error::Forbidden(
                    "this passkey is the only way to sign in to the account: set a password first",
                ));
            }
        }
        let removed = tx
            .delete_passkey(user.id, id)
            .await?
            .ok_or(Error::NotFound)?;
        tx.append_audit(
            &d.event(AuditKind::PasskeyRemoved, ctx)
                .by(user.id)
                .detail("passkey", removed.name.as_str()),
        )
        .await?;
        tx.commit().await?;
        d.tell(user, |to| Notice::PasskeyRemoved {
            to,
            username: user.username.clone(),
            name: removed.name.clone(),
            by_operator: false,
        })
        .await;
        Ok(removed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verifier(url: &str) -> Verifier {
        Verifier::for_site(&Url::parse(url).unwrap(), "Site")
    }

    #[test]
    fn only_named_hosts_in_a_secure_context_can_have_passkeys() {
        assert!(matches!(
            verifier("https://auth.example.com/"),
            Verifier::Ready(_)
        ));
        assert!(matches!(
            verifier("http://localhost:8080/"),
            Verifier::Ready(_)
        ));
        assert!(matches!(
            verifier("http://dev.localhost:8080/"),
            Verifier::Ready(_)
        ));
        for url in [
            "http://127.0.0.1:8080/",
            "https://[::1]/",
            "https://10.0.0.1/",
        ] {
            let Verifier::Unavailable(why) = verifier(url) else {
                panic!("{url} cannot be a relying party");
            };
            assert!(why.contains("IP address"), "{url}: {why}");
        }
        let Verifier::Unavailable(why) = verifier("http://auth.example.com/") else {
            panic!("plain http to a real host is not a secure context");
        };
        assert!(why.contains("https"), "{why}");
        assert!(matches!(Verifier::default(), Verifier::Unavailable(_)));
    }

    #[test]
    fn names_are_trimmed_bounded_and_printable() {
        assert_eq!(clean_name("  Laptop ").unwrap(), "Laptop");
        assert!(clean_name("   ").is_err());
        assert!(clean_name(&"x".repeat(MAX_NAME_CHARS)).is_ok());
        assert!(clean_name(&"é".repeat(MAX_NAME_CHARS + 1)).is_err());
        assert!(clean_name("a\u{0}b").is_err());
    }
}
