//! Second factors a user manages themselves: enrolling a TOTP
//! authenticator (RFC 6238: SHA-1, 6 digits, 30-second steps, one step of
//! skew), recovery codes, and turning it off. The second step of a login is
//! in [`super::second_step`].
//!
//! Seeds are sealed before they are stored (see [`crate::sealing`]); a code
//! is accepted at most once per account on every instance (the store keeps
//! the last accepted step); recovery codes are kept as SHA-256 hashes and
//! spent atomically. Changing any of it needs a recent login.

use super::Deps;
use crate::audit::{AuditKind, RequestContext};
use crate::domain::session::Session;
use crate::domain::user::{User, UserId};
use crate::error::Error;
use crate::notify::Notice;
use crate::store::TwoFactorStore;
use crate::token::TokenHash;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use totp_rs::{Algorithm, Builder, Secret, Totp};

/// Random bytes in a TOTP seed: 160 bits, as RFC 4226 recommends.
const SEED_BYTES: usize = 20;
/// Recovery codes issued at a time.
pub const RECOVERY_CODES: usize = 10;
/// Unused recovery codes at or below which the profile warns.
pub const FEW_RECOVERY_CODES: i64 = 2;

/// What an authenticator app needs to enrol: shown once, while enrolment is
/// pending.
#[derive(Clone)]
pub struct Enrolment {
    /// The seed in base32, for typing in by hand.
    pub secret: String,
    /// The `otpauth://totp/...` URI a QR code carries.
    pub otpauth_uri: String,
}

impl std::fmt::Debug for Enrolment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Enrolment(<redacted>)")
    }
}

/// An account's second factors, as its owner sees them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TwoFactorStatus {
    /// A TOTP authenticator is confirmed (passkeys are counted apart).
    pub enabled: bool,
    /// Unused recovery codes.
    pub recovery_codes_left: i64,
}

/// Fresh recovery codes, shown once; only their hashes are kept.
#[derive(Clone)]
pub struct RecoveryCodes(pub Vec<String>);

impl std::fmt::Debug for RecoveryCodes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RecoveryCodes({} codes, <redacted>)", self.0.len())
    }
}

/// Second factors; see [`crate::AuthService::two_factor`].
#[derive(Clone, Copy)]
pub struct TwoFactor<'a> {
    pub(crate) d: &'a Deps,
}

/// A recovery code as typed: case, spaces and dashes do not matter.
pub(crate) fn normalise_code(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// The stored form of a recovery code.
pub(crate) fn code_hash(code: &str) -> TokenHash {
    TokenHash::from_stored(hex::encode(Sha256::digest(normalise_code(code).as_bytes())))
}

/// Ten codes of ten base32 characters (50 bits each), as `abcde-fghij`.
fn new_codes() -> Vec<String> {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz234567";
    (0..RECOVERY_CODES)
        .map(|_| {
            let mut bytes = [0u8; 10];
            rand::fill(&mut bytes);
            let chars: String = bytes
                .iter()
                .map(|b| ALPHABET[usize::from(b & 31)] as char)
                .collect();
            format!("{}-{}", &chars[..5], &chars[5..])
        })
        .collect()
}

/// The TOTP of `seed`, labelled for authenticator apps.
pub(crate) fn totp(seed: Vec<u8>, issuer: &str, account: &str) -> Result<Totp, Error> {
    // The otpauth label forbids ':' in either part.
    let clean = |s: &str| s.replace(':', " ");
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(6)
        .with_skew(1)
        .with_step_duration(30)
        .with_secret(Secret::from(seed))
        .with_issuer(Some(clean(issuer)))
        .with_account_name(clean(account))
        .build()
        .map_err(|e| Error::internal(e.to_string()))
}

/// Seconds since the epoch at `now`; 0 for instants before it.
pub(crate) fn unix(now: OffsetDateTime) -> u64 {
    u64::try_from(now.unix_timestamp()).unwrap_or(0)
}

impl Deps {
    /// Refuses unless the session's owner proved who they are recently.
    pub(crate) fn require_recent(&self, session: &Session) -> Result<(), Error> {
        if session.authenticated_within(self.security.two_factor.recent_login, self.clock.now()) {
            Ok(())
        } else {
            Err(Error::ReauthenticationRequired)
        }
    }

    /// The step a TOTP `code` is valid for, if it is one of the confirmed
    /// (or, with `pending`, the pending) seed of `user`. Re-seals a seed
    /// opened with a previous secret.
    pub(crate) async fn totp_step(
        &self,
        on: &dyn TwoFactorStore,
        user: &User,
        code: &str,
        pending: bool,
    ) -> Result<Option<i64>, Error> {
        let Some(record) = on.totp_of(user.id).await? else {
            return Ok(None);
        };
        if record.confirmed_at.is_some() == pending {
            return Ok(None);
        }
        let opened = match self.sealing.open(&record.sealed_secret) {
            Ok(opened) => opened,
            Err(err) => {
                // The server secret changed without `previous_secrets`: no
                // code can be checked, but recovery codes (hashes, not
                // sealed) still work, and an operator can reset the factor.
                tracing::error!(
                    user_id = %user.id,
                    error = %err,
                    "cannot open the TOTP seed: was the secret changed without \
                     listing the old one in previous_secrets?"
                );
                return Ok(None);
            }
        };
        if opened.stale {
            let resealed = self.sealing.seal(&opened.plaintext);
            on.reseal_totp(user.id, &resealed).await?;
        }
        let totp = totp(
            opened.plaintext,
            &self.security.two_factor.issuer,
            user.mailbox().unwrap_or(&user.username),
        )?;
        let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
        if code.len() != 6 || !code.chars().all(|c| c.is_ascii_digit()) {
            return Ok(None);
        }
        Ok(totp
            .check(&code, unix(self.clock.now()))
            .and_then(|step| i64::try_from(step).ok()))
    }

    /// Whether `user` has a confirmed TOTP authenticator.
    pub(crate) async fn has_totp(&self, user: UserId) -> Result<bool, Error> {
        Ok(self
            .store
            .totp_of(user)
            .await?
            .is_some_and(|r| r.confirmed_at.is_some()))
    }

    /// Whether `user` has a second factor: a confirmed TOTP authenticator
    /// or a passkey.
    pub(crate) async fn has_two_factor(&self, user: UserId) -> Result<bool, Error> {
        Ok(self.has_totp(user).await? || self.has_passkey(user).await?)
    }
}

/// The second factors an account can finish a login with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SecondFactors {
    /// A confirmed TOTP authenticator (and so, recovery codes).
    pub totp: bool,
    /// At least one passkey.
    pub passkey: bool,
}

impl TwoFactor<'_> {
    /// Which second factors `user` has, for the second step to offer.
    pub async fn methods(&self, user: UserId) -> Result<SecondFactors, Error> {
        Ok(SecondFactors {
            totp: self.d.has_totp(user).await?,
            passkey: self.d.has_passkey(user).await?,
        })
    }

    /// Whether `user` has a second factor, and how many recovery codes are left.
    pub async fn status(&self, user: UserId) -> Result<TwoFactorStatus, Error> {
        let d = self.d;
        Ok(TwoFactorStatus {
            enabled: d.has_totp(user).await?,
            recovery_codes_left: d.store.recovery_codes_left(user).await?,
        })
    }

    /// Starts enrolling a TOTP authenticator: a fresh seed, sealed and kept
    /// pending until a code from it is proven. Needs a recent login. An
    /// account that has a second factor must turn it off first, so a stolen
    /// session cannot swap the seed.
    pub async fn begin_enrolment(
        &self,
        user: &User,
        session: &Session,
    ) -> Result<Enrolment, Error> {
        let d = self.d;
        d.require_recent(session)?;
        let mut seed = vec![0u8; SEED_BYTES];
        rand::fill(seed.as_mut_slice());
        let totp = totp(
            seed.clone(),
            &d.security.two_factor.issuer,
            user.mailbox().unwrap_or(&user.username),
        )?;
        let enrolment = Enrolment {
            secret: totp.secret().to_base32(),
            otpauth_uri: totp.to_url().map_err(|e| Error::internal(e.to_string()))?,
        };
        let sealed = d.sealing.seal(&seed);
        if !d
            .store
            .put_pending_totp(user.id, &sealed, d.clock.now())
            .await?
        {
            return Err(Error::Forbidden(
                "two-factor authentication is on already; turn it off before enrolling again",
            ));
        }
        Ok(enrolment)
    }

    /// The pending enrolment of `user`, shown again (the page reloads):
    /// `None` if there is none.
    pub async fn pending_enrolment(&self, user: &User) -> Result<Option<Enrolment>, Error> {
        let d = self.d;
        let Some(record) = d.store.totp_of(user.id).await? else {
            return Ok(None);
        };
        if record.confirmed_at.is_some() {
            return Ok(None);
        }
        let opened = d
            .sealing
            .open(&record.sealed_secret)
            .map_err(Error::internal)?;
        let totp = totp(
            opened.plaintext,
            &d.security.two_factor.issuer,
            user.mailbox().unwrap_or(&user.username),
        )?;
        Ok(Some(Enrolment {
            secret: totp.secret().to_base32(),
            otpauth_uri: totp.to_url().map_err(|e| Error::internal(e.to_string()))?,
        }))
    }

    /// Proves the pending seed with a current `code` and turns the second
    /// factor on; returns ten recovery codes, shown once. Needs a recent
    /// login. The code's step counts as used.
    pub async fn confirm_enrolment(
        &self,
        user: &User,
        session: &Session,
        code: &str,
        ctx: &RequestContext,
    ) -> Result<RecoveryCodes, Error> {
        let d = self.d;
        d.require_recent(session)?;
        let tx = d.store.begin().await?;
        let Some(step) = d.totp_step(tx.as_ref(), user, code, true).await? else {
            return Err(Error::InvalidCode);
        };
        let now = d.clock.now();
        if !tx.confirm_totp(user.id, step, now).await? {
            return Err(Error::InvalidCode);
        }
        let codes = new_codes();
        let hashes: Vec<TokenHash> = codes.iter().map(|c| code_hash(c)).collect();
        tx.replace_recovery_codes(user.id, &hashes, now).await?;
        tx.commit().await?;
        d.record(d.event(AuditKind::TwoFactorEnabled, ctx).by(user.id))
            .await;
        d.tell(user, |to| Notice::TwoFactorEnabled {
            to,
            username: user.username.clone(),
        })
        .await;
        Ok(RecoveryCodes(codes))
    }

    /// Turns the second factor off: needs a recent login, the password and
    /// a current code (or an unused recovery code). The owner is told.
    pub async fn disable(
        &self,
        user: &User,
        session: &Session,
        password: &str,
        code: &str,
        ctx: &RequestContext,
    ) -> Result<(), Error> {
        let d = self.d;
        d.require_recent(session)?;
        let password_ok = d.password_matches(user, password).await?;
        let tx = d.store.begin().await?;
        let code_ok = match d.totp_step(tx.as_ref(), user, code, false).await? {
            Some(step) => tx.accept_totp_step(user.id, step).await?,
            None => {
                tx.use_recovery_code(user.id, &code_hash(code), d.clock.now())
                    .await?
            }
        };
        if !password_ok || !code_ok {
            let mut errors = crate::FieldErrors::new();
            if !password_ok {
                errors.add("password", "Current password is incorrect.");
            }
            if !code_ok {
                errors.add("token", "The code is invalid or has been used.");
            }
            return Err(Error::Validation(errors));
        }
        tx.delete_totp(user.id).await?;
        tx.delete_recovery_codes(user.id).await?;
        tx.commit().await?;
        d.record(d.event(AuditKind::TwoFactorDisabled, ctx).by(user.id))
            .await;
        d.tell(user, |to| Notice::TwoFactorDisabled {
            to,
            username: user.username.clone(),
            by_operator: false,
        })
        .await;
        Ok(())
    }

    /// Replaces the recovery codes with ten new ones (the old stop working):
    /// needs a recent login and the password.
    pub async fn regenerate_recovery_codes(
        &self,
        user: &User,
        session: &Session,
        password: &str,
        ctx: &RequestContext,
    ) -> Result<RecoveryCodes, Error> {
        let d = self.d;
        d.require_recent(session)?;
        if !d.password_matches(user, password).await? {
            return Err(
                crate::FieldErrors::single("password", "Current password is incorrect.").into(),
            );
        }
        if !d.has_totp(user.id).await? {
            return Err(Error::Forbidden("two-factor authentication is not on"));
        }
        let codes = new_codes();
        let hashes: Vec<TokenHash> = codes.iter().map(|c| code_hash(c)).collect();
        d.store
            .replace_recovery_codes(user.id, &hashes, d.clock.now())
            .await?;
        d.record(
            d.event(AuditKind::RecoveryCodesRegenerated, ctx)
                .by(user.id),
        )
        .await;
        d.tell(user, |to| Notice::RecoveryCodesRegenerated {
            to,
            username: user.username.clone(),
        })
        .await;
        Ok(RecoveryCodes(codes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovery_codes_are_ten_distinct_and_forgive_case_and_dashes() {
        let codes = new_codes();
        assert_eq!(codes.len(), RECOVERY_CODES);
        let mut distinct = codes.clone();
        distinct.sort();
        distinct.dedup();
        assert_eq!(distinct.len(), RECOVERY_CODES);
        let code = &codes[0];
        assert_eq!(code.len(), 11);
        assert_eq!(
            code_hash(code),
            code_hash(&code.to_uppercase().replace('-', " "))
        );
        assert_ne!(code_hash(code), code_hash(&codes[1]));
    }

    #[test]
    fn codes_follow_rfc_6238_for_sha1() {
        // RFC 6238 appendix B: the seed "12345678901234567890", 8 digits at
        // 59 s is 94287082; 6 digits are its last six.
        let totp = totp(
            b"12345678901234567890".to_vec(),
            "Acme: Inc",
            "a@example.com",
        )
        .unwrap();
        assert_eq!(totp.generate(59).to_string(), "287082");
        assert_eq!(totp.generate(1_111_111_109).to_string(), "081804");
        assert_eq!(totp.check("287082", 59), Some(1));
        assert!(totp.to_url().unwrap().starts_with("otpauth://totp/"));
    }
}
