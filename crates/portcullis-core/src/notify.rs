//! Messages the services send to users by email: what to say and to whom,
//! never how. The services write each [`Notice`] to the durable mail queue
//! (see [`crate::services::mail`]) and go on, so a slow mail server never
//! slows a request and a failed delivery never changes an answer; the
//! queue's worker hands notices to a [`Notifier`], whose implementation
//! (templates, links from the configured public URL, SMTP) lives outside
//! core.

use crate::token::SecretToken;

/// One email to send. Tokens travel as tokens, not links: the notifier
/// builds each link from the configured public URL, never from a request.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Notice {
    /// "Confirm your address": a link to `/auth/confirm/<token>`.
    ConfirmEmail {
        /// The recipient's address.
        to: String,
        /// The account's username, to greet them by.
        username: String,
        /// The link's secret; the notifier builds the link around it.
        #[serde(with = "crate::token::sealed_field")]
        token: SecretToken,
    },
    /// "Reset your password": a link to `/auth/reset-password/<token>`.
    PasswordReset {
        /// The recipient's address.
        to: String,
        /// The account's username, to greet them by.
        username: String,
        /// The link's secret; the notifier builds the link around it.
        #[serde(with = "crate::token::sealed_field")]
        token: SecretToken,
    },
    /// "Your password was reset."
    PasswordResetDone {
        /// The recipient's address.
        to: String,
        /// The account's username.
        username: String,
    },
    /// "Your password was changed."
    PasswordChanged {
        /// The recipient's address.
        to: String,
        /// The account's username.
        username: String,
    },
    /// Sent to the new address: a link to `/auth/change-email/<token>`.
    ConfirmEmailChange {
        /// The recipient's address.
        to: String,
        /// The account's username, to greet them by.
        username: String,
        /// The link's secret; the notifier builds the link around it.
        #[serde(with = "crate::token::sealed_field")]
        token: SecretToken,
    },
    /// Sent to the old address once the change is done.
    EmailChanged {
        /// The recipient's address.
        to: String,
        /// The account's username, to greet them by.
        username: String,
        /// The address the account moved to.
        new_email: String,
    },
    /// "A second factor was turned on for your account."
    TwoFactorEnabled {
        /// The recipient's address.
        to: String,
        /// The account's username.
        username: String,
    },
    /// "Your second factor was turned off" (by the owner or, with
    /// `by_operator`, an administrator).
    TwoFactorDisabled {
        /// The recipient's address.
        to: String,
        /// The account's username.
        username: String,
        /// An administrator did it, not the owner.
        by_operator: bool,
    },
    /// "A passkey was added to your account."
    PasskeyAdded {
        /// The recipient's address.
        to: String,
        /// The account's username.
        username: String,
        /// The passkey's name.
        name: String,
    },
    /// "A passkey was removed from your account" (by the owner or, with
    /// `by_operator`, an administrator).
    PasskeyRemoved {
        /// The recipient's address.
        to: String,
        /// The account's username.
        username: String,
        /// The passkey's name.
        name: String,
        /// An administrator did it, not the owner.
        by_operator: bool,
    },
    /// "A recovery code was used to log in."
    RecoveryCodeUsed {
        /// The recipient's address.
        to: String,
        /// The account's username.
        username: String,
        /// Unused codes left.
        remaining: i64,
    },
    /// "New recovery codes were made; the old ones no longer work."
    RecoveryCodesRegenerated {
        /// The recipient's address.
        to: String,
        /// The account's username.
        username: String,
    },
    /// "An account at `provider` can now sign in to your account."
    IdentityLinked {
        /// The recipient's address.
        to: String,
        /// The account's username.
        username: String,
        /// The provider's button name (`Google`).
        provider: String,
    },
    /// Someone signed in with `provider` giving this address, which the
    /// provider did not vouch for: a link (`/auth/oidc/complete/<token>`)
    /// that links the provider account to the account holding the address,
    /// or registers one. `token` is `None` when there is nothing the link
    /// could do (no account has the address and registration is closed);
    /// the mail then says so.
    ProveAddress {
        /// The recipient's address.
        to: String,
        /// The account holding the address, if one does.
        username: Option<String>,
        /// The provider's button name (`Google`).
        provider: String,
        /// The link's secret, if there is a link.
        #[serde(with = "crate::token::sealed_field::option")]
        token: Option<SecretToken>,
    },
    /// Sent to an address someone tried to register a new account with,
    /// or to change another account to, while it belongs to `username`.
    AddressInUse {
        /// The recipient's address.
        to: String,
        /// The account's username.
        username: String,
    },
}

impl Notice {
    /// The recipient's address.
    pub fn to(&self) -> &str {
        match self {
            Notice::ConfirmEmail { to, .. }
            | Notice::PasswordReset { to, .. }
            | Notice::PasswordResetDone { to, .. }
            | Notice::PasswordChanged { to, .. }
            | Notice::ConfirmEmailChange { to, .. }
            | Notice::EmailChanged { to, .. }
            | Notice::AddressInUse { to, .. }
            | Notice::TwoFactorEnabled { to, .. }
            | Notice::TwoFactorDisabled { to, .. }
            | Notice::PasskeyAdded { to, .. }
            | Notice::PasskeyRemoved { to, .. }
            | Notice::RecoveryCodeUsed { to, .. }
            | Notice::RecoveryCodesRegenerated { to, .. }
            | Notice::IdentityLinked { to, .. }
            | Notice::ProveAddress { to, .. } => to,
        }
    }

    /// A short stable name (`password_reset`, ...) for logs and templates.
    pub fn kind(&self) -> &'static str {
        match self {
            Notice::ConfirmEmail { .. } => "confirm_email",
            Notice::PasswordReset { .. } => "password_reset",
            Notice::PasswordResetDone { .. } => "password_reset_done",
            Notice::PasswordChanged { .. } => "password_changed",
            Notice::ConfirmEmailChange { .. } => "confirm_email_change",
            Notice::EmailChanged { .. } => "email_changed",
            Notice::AddressInUse { .. } => "address_in_use",
            Notice::TwoFactorEnabled { .. } => "two_factor_enabled",
            Notice::TwoFactorDisabled { .. } => "two_factor_disabled",
            Notice::PasskeyAdded { .. } => "passkey_added",
            Notice::PasskeyRemoved { .. } => "passkey_removed",
            Notice::RecoveryCodeUsed { .. } => "recovery_code_used",
            Notice::RecoveryCodesRegenerated { .. } => "recovery_codes_regenerated",
            Notice::IdentityLinked { .. } => "identity_linked",
            Notice::ProveAddress { .. } => "prove_address",
        }
    }
}

/// Why a notice was not delivered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Undelivered {
    /// Worth trying again later: the mail server is down, busy or said
    /// "try again" (a 4xx reply).
    #[error("{0}")]
    Retry(String),
    /// Will not work however often it is tried: the message cannot be
    /// rendered, or the mail server refused it for good (a 5xx reply).
    #[error("{0}")]
    Refused(String),
}

/// Delivers notices. The services never call it on a request's path: they
/// write each notice to the mail queue in the database (in the transaction
/// of the token it carries), and the queue's worker
/// ([`AuthService::run_mail_worker`](crate::AuthService::run_mail_worker))
/// hands it here, retrying what comes back as [`Undelivered::Retry`].
#[async_trait::async_trait]
pub trait Notifier: Send + Sync + std::fmt::Debug + 'static {
    /// Delivers `notice` now (renders it and hands it to the mail server).
    async fn deliver(&self, notice: &Notice) -> Result<(), Undelivered>;
}

/// A notifier that drops every notice it is given, for embedders that send
/// no mail. (The command line runs no mail worker at all: what it queues is
/// delivered by the server.)
#[derive(Debug, Default, Clone, Copy)]
pub struct NoNotifier;

#[async_trait::async_trait]
impl Notifier for NoNotifier {
    async fn deliver(&self, notice: &Notice) -> Result<(), Undelivered> {
        tracing::debug!(kind = notice.kind(), "no mailer configured; notice dropped");
        Ok(())
    }
}
