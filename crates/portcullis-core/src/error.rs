//! The error of the core layer: what a service can answer besides success.

use crate::domain::fields::FieldErrors;
use crate::store::{StoreError, UniqueField};

/// Why a use case did not succeed.
///
/// The web layer maps each variant to a status and a message; only
/// [`Error::Internal`] is a server fault (5xx) and its detail is logged, never
/// shown.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Input did not parse; one message per field.
    #[error("invalid input")]
    Validation(FieldErrors),
    /// A unique value (username, email) already belongs to another account.
    #[error("{0} is already taken")]
    Taken(UniqueField),
    /// Wrong login or password. Deliberately says nothing about which.
    #[error("invalid username or password")]
    InvalidCredentials,
    /// The credentials were right but the account is deactivated.
    #[error("account is deactivated")]
    Inactive,
    /// Too many attempts; try again after `retry_after`.
    #[error("too many requests")]
    RateLimited {
        /// How long until the limit's window ends.
        retry_after: time::Duration,
    },
    /// The account is locked (only reported when the lockout policy reveals it).
    #[error("account is locked")]
    Locked {
        /// How long the lock still lasts.
        remaining: time::Duration,
    },
    /// The caller may not do this (acting on themselves where forbidden, ...).
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    /// The account's email address is not confirmed and the configuration
    /// requires it (to log in, or for a route that demands it).
    #[error("email address not confirmed")]
    Unconfirmed,
    /// A link's token is unknown, used, expired or voided. Deliberately says
    /// nothing about which.
    #[error("invalid or expired token")]
    InvalidToken,
    /// The action wants a recent authentication: the caller must prove who
    /// they are again (password, or a provider) first.
    #[error("re-authentication required")]
    ReauthenticationRequired,
    /// The password was right; a second factor must follow.
    #[error("a second factor is required")]
    TwoFactorRequired,
    /// A second-factor code (TOTP or recovery code) was wrong, used or
    /// malformed. Deliberately says nothing about which.
    #[error("invalid code")]
    InvalidCode,
    /// Too many wrong codes (or a lock): the login waiting for its second
    /// factor is over, and the visitor must start again at the password.
    #[error("the login attempt is over")]
    SecondFactorAbandoned,
    /// A passkey ceremony failed; the reason is one of `expired` (no such
    /// ceremony: used, timed out, or from another browser), `invalid` (the
    /// answer is not WebAuthn), `unknown` (no account has that passkey),
    /// `refused` (the signature, origin or challenge is wrong),
    /// `clone_suspected` (its counter went backwards) or `registered`
    /// (registering a passkey that is registered already).
    #[error("the passkey was not accepted: {0}")]
    PasskeyFailed(&'static str),
    /// Passkeys cannot work with this server's public URL (its host is an
    /// IP address, or it is not a secure context).
    #[error("passkeys are unavailable: {0}")]
    PasskeysUnavailable(&'static str),
    /// Signing in with an OpenID provider failed: the provider refused or
    /// was down, or the callback was not the answer to a flow this browser
    /// started. The reason is short and stable (`access_denied`,
    /// `unknown_state`, `signature`, ...), for the audit log (`oidc_<reason>`)
    /// and for choosing the message; it is not for showing as it is.
    #[error("signing in with the provider failed: {0}")]
    SignInFailed(&'static str),
    /// The thing asked for does not exist.
    #[error("not found")]
    NotFound,
    /// The database is down, restarting, out of connections or out of
    /// disk: the request may succeed if tried again shortly. Logged where
    /// the answer is made; never shown to the caller.
    #[error("the database is unavailable")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync + 'static>),
    /// Something failed that the caller cannot fix. The source is kept
    /// whole, to be logged once, with its chain, where the answer is made;
    /// it is never shown to the caller.
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync + 'static>),
}

impl Error {
    /// An internal failure caused by `source`.
    pub fn internal(source: impl Into<Box<dyn std::error::Error + Send + Sync + 'static>>) -> Self {
        Error::Internal(source.into())
    }
}

impl From<StoreError> for Error {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Conflict(field) => Error::Taken(field),
            StoreError::NotFound => Error::NotFound,
            backend @ StoreError::Backend(_) => Error::internal(backend),
            unavailable @ StoreError::Unavailable(_) => Error::Unavailable(Box::new(unavailable)),
        }
    }
}

/// Formats `err` and every error in its `source()` chain, one per line, for
/// the single log line an internal failure gets.
///
/// ```
/// use portcullis_core::error::error_chain_fmt;
/// let err = portcullis_core::Error::internal(std::io::Error::other("disk on fire"));
/// assert_eq!(error_chain_fmt(&err), "internal error\n  caused by: disk on fire");
/// ```
pub fn error_chain_fmt(err: &(dyn std::error::Error + 'static)) -> String {
    let mut out = err.to_string();
    let mut cause = err.source();
    while let Some(next) = cause {
        out.push_str("\n  caused by: ");
        out.push_str(&next.to_string());
        cause = next.source();
    }
    out
}

impl From<FieldErrors> for Error {
    fn from(errors: FieldErrors) -> Self {
        Error::Validation(errors)
    }
}
