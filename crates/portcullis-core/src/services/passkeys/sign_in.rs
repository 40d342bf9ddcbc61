//! Signing in with a passkey: without a username (the passkey names its
//! account), or as the second step of a login whose password was right.

use super::{answer, from_json, to_json};
use crate::audit::{AuditKind, RequestContext};
use crate::domain::passkey::CeremonyPurpose;
use crate::domain::session::{Assurance, Session};
use crate::domain::user::User;
use crate::error::Error;
use crate::services::login::LoginSuccess;
use crate::services::passkeys::CeremonyStart;
use crate::services::sessions::Sessions;
use crate::store::ResolvedSession;
use crate::token::SecretToken;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use webauthn_rs::Webauthn;
use webauthn_rs::prelude::{
    DiscoverableAuthentication, Passkey, PasskeyAuthentication, PublicKeyCredential,
};

impl Sessions<'_> {
    /// Starts a sign-in with a passkey and no username (the browser offers
    /// the passkeys it holds for this site). Anonymous, so rate-limited per
    /// address like password logins.
    pub async fn begin_passkey_login(&self, ctx: &RequestContext) -> Result<CeremonyStart, Error> {
        let d = self.d;
        let webauthn = d.webauthn()?;
        // Its own bucket at the login's rate: the login page starts one for
        // the browser's autofill on every view, which must not spend the
        // budget of password attempts.
        let limits = d.security.rate_limits;
        if let Some(ip) = &ctx.ip {
            d.limit(
                limits.login_per_ip,
                &format!("passkey:ip:{}", limits.ip_bucket(ip)),
                "passkey_login",
                ctx,
            )
            .await?;
        }
        let (mut options, state) = webauthn
            .start_discoverable_authentication()
            .map_err(Error::internal)?;
        // The page decides between the autofill prompt and the modal one.
        options.mediation = None;
        let secret = d
            .begin_ceremony(CeremonyPurpose::Login, None, None, to_json(&state)?)
            .await?;
        Ok(CeremonyStart {
            options: serde_json::to_value(&options).map_err(Error::internal)?,
            secret,
        })
    }

    /// Finishes a sign-in with a passkey: the answer names the credential
    /// and its account (by the user handle); the signature, origin,
    /// challenge and counter are checked; the account must be allowed to
    /// log in. The new session counts as two factors
    /// ([`Assurance::Passkey`]).
    pub async fn finish_passkey_login(
        &self,
        secret: Option<&SecretToken>,
        credential: &serde_json::Value,
        remember: bool,
        ctx: &RequestContext,
    ) -> Result<LoginSuccess, Error> {
        let d = self.d;
        let webauthn = d.webauthn()?;
        let ceremony = d
            .take_ceremony(secret, CeremonyPurpose::Login, None)
            .await?;
        let state: DiscoverableAuthentication = from_json(&ceremony.state)?;
        let response: PublicKeyCredential = answer(credential)?;
        let Ok((handle, credential_id)) = webauthn.identify_discoverable_authentication(&response)
        else {
            d.passkey_failed(None, ctx, "no_user_handle").await;
            return Err(Error::PasskeyFailed("unknown"));
        };
        let stored = d
            .store
            .passkey_by_credential(&URL_SAFE_NO_PAD.encode(credential_id))
            .await?;
        let owner = match &stored {
            Some(_) => d.store.user_of_webauthn_handle(&handle.to_string()).await?,
            None => None,
        };
        let (Some(stored), Some(owner)) = (stored, owner) else {
            d.passkey_failed(None, ctx, "unknown_credential").await;
            return Err(Error::PasskeyFailed("unknown"));
        };
        if owner != stored.info.user_id {
            d.passkey_failed(Some(stored.info.user_id), ctx, "wrong_user_handle")
                .await;
            return Err(Error::PasskeyFailed("unknown"));
        }
        let passkey: Passkey = from_json(&stored.credential)?;
        let verified = webauthn.finish_discoverable_authentication_v2(&response, state, &passkey);
        d.accept_assertion(&stored, verified, ctx).await?;
        let user = d
            .store
            .user_by_id(owner)
            .await?
            .ok_or(Error::PasskeyFailed("unknown"))?;
        self.may_log_in(&user, ctx).await?;
        d.record(
            d.event(AuditKind::PasskeyLogin, ctx)
                .by(user.id)
                .detail("passkey", stored.info.name.as_str())
                .detail("step", "passwordless"),
        )
        .await;
        self.open_session(user, remember, Assurance::Passkey, ctx)
            .await
    }

    /// Starts the second step of a login with one of the account's
    /// passkeys, for the session `pending` waits in.
    pub async fn begin_passkey_second_factor(
        &self,
        pending: &ResolvedSession,
    ) -> Result<CeremonyStart, Error> {
        let d = self.d;
        let webauthn = d.webauthn()?;
        ensure_pending(&pending.session)?;
        let passkeys = d
            .store
            .passkeys_of(pending.user.id)
            .await?
            .iter()
            .map(|p| from_json::<Passkey>(&p.credential))
            .collect::<Result<Vec<_>, _>>()?;
        if passkeys.is_empty() {
            return Err(Error::Forbidden("this account has no passkey"));
        }
        let (options, state) = webauthn
            .start_passkey_authentication(&passkeys)
            .map_err(Error::internal)?;
        let secret = d
            .begin_ceremony(
                CeremonyPurpose::SecondFactor,
                Some(pending.user.id),
                Some(&pending.session),
                to_json(&state)?,
            )
            .await?;
        Ok(CeremonyStart {
            options: serde_json::to_value(&options).map_err(Error::internal)?,
            secret,
        })
    }

    /// Completes the login `pending` waits for with a passkey's answer. A
    /// refused answer counts as a wrong code does: toward the lockout, and
    /// enough of them end the pending session.
    pub async fn finish_passkey_second_factor(
        &self,
        pending: &ResolvedSession,
        secret: Option<&SecretToken>,
        credential: &serde_json::Value,
        ctx: &RequestContext,
    ) -> Result<LoginSuccess, Error> {
        let d = self.d;
        let webauthn = d.webauthn()?;
        let session = &pending.session;
        let user = &pending.user;
        ensure_pending(session)?;
        let ceremony = d
            .take_ceremony(secret, CeremonyPurpose::SecondFactor, Some(user.id))
            .await?;
        if ceremony.session_id != Some(session.id) {
            return Err(Error::PasskeyFailed("expired"));
        }
        let hits = d.limit_login(user, ctx).await?;
        let state: PasskeyAuthentication = from_json(&ceremony.state)?;
        let outcome = self
            .check_passkey_step(webauthn, user, &state, credential, ctx)
            .await;
        match outcome {
            Ok(()) => {}
            Err(err @ Error::PasskeyFailed(_)) => {
                let failures = d.store.count_second_factor_failure(session.id).await?;
                if failures >= d.security.two_factor.max_code_failures {
                    d.store.delete_session(session.id).await?;
                    return Err(Error::SecondFactorAbandoned);
                }
                return Err(err);
            }
            Err(Error::SecondFactorAbandoned) => {
                // A locked account gets nowhere, passkeys included.
                d.store.delete_session(session.id).await?;
                return Err(Error::SecondFactorAbandoned);
            }
            Err(err) => return Err(err),
        }
        d.store.delete_session(session.id).await?;
        d.refund(hits).await;
        self.open_session(user.clone(), session.remember, Assurance::TwoFactor, ctx)
            .await
    }

    /// Verifies a second-step answer for `user`, under the lockout as a
    /// code is.
    async fn check_passkey_step(
        &self,
        webauthn: &Webauthn,
        user: &User,
        state: &PasskeyAuthentication,
        credential: &serde_json::Value,
        ctx: &RequestContext,
    ) -> Result<(), Error> {
        let d = self.d;
        let now = d.clock.now();
        let lockout = d.security.lockout;
        let budget = if lockout.max_failures > 0 {
            Some(d.store.reserve_login_attempt(user.id, now).await?)
        } else {
            None
        };
        if let Some(budget) = budget
            && (lockout.is_locked(budget.locked_until, now) || !lockout.allows(budget.attempts))
        {
            d.passkey_failed(Some(user.id), ctx, "locked").await;
            return Err(Error::SecondFactorAbandoned);
        }
        let checked = async {
            let response: PublicKeyCredential = answer(credential)?;
            let id = URL_SAFE_NO_PAD.encode(response.get_credential_id());
            let stored = d
                .store
                .passkey_by_credential(&id)
                .await?
                .filter(|p| p.info.user_id == user.id)
                .ok_or(Error::PasskeyFailed("unknown"))?;
            let verified = webauthn.finish_passkey_authentication(&response, state);
            d.accept_assertion(&stored, verified, ctx).await?;
            Ok::<_, Error>(stored)
        }
        .await;
        match checked {
            Ok(stored) => {
                d.record(
                    d.event(AuditKind::PasskeyLogin, ctx)
                        .by(user.id)
                        .detail("passkey", stored.info.name.as_str())
                        .detail("step", "second_factor"),
                )
                .await;
                Ok(())
            }
            Err(err) => {
                if matches!(err, Error::PasskeyFailed("invalid" | "unknown")) {
                    d.passkey_failed(Some(user.id), ctx, "unknown_credential")
                        .await;
                }
                if matches!(err, Error::PasskeyFailed(_))
                    && let Some(budget) = budget
                    && lockout.should_lock(budget.attempts)
                {
                    d.store
                        .lock_user(user.id, now + lockout.duration, now)
                        .await?;
                }
                Err(err)
            }
        }
    }
}

impl Sessions<'_> {
    /// Whether `user`, proven by a passkey, may have a session: not locked
    /// (a lock stops every way in), active, and confirmed when that is
    /// required. A refusal is recorded as a failed login.
    async fn may_log_in(&self, user: &User, ctx: &RequestContext) -> Result<(), Error> {
        let d = self.d;
        let now = d.clock.now();
        let lockout = d.security.lockout;
        let refusal = if lockout.is_locked(user.locked_until, now) {
            let err = match (lockout.reveal, user.locked_until) {
                (true, Some(until)) => Error::Locked {
                    remaining: until - now,
                },
                _ => Error::PasskeyFailed("refused"),
            };
            Some(("locked", err))
        } else if !user.is_active {
            Some(("inactive", Error::Inactive))
        } else if d.security.email.confirm_required && user.confirmed_at.is_none() {
            Some(("unconfirmed", Error::Unconfirmed))
        } else {
            None
        };
        if let Some((reason, err)) = refusal {
            self.failed(ctx, Some(user), reason, &user.username.to_lowercase())
                .await;
            return Err(err);
        }
        Ok(())
    }
}

fn ensure_pending(session: &Session) -> Result<(), Error> {
    if session.assurance == Assurance::PendingSecondFactor {
        Ok(())
    } else {
        Err(Error::Forbidden(
            "this session is not waiting for a second factor",
        ))
    }
}
