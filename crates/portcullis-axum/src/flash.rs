//! One-time messages shown on the next page ("Please log in to access this
//! page."). The cookie carries only a message code, never text, so nothing a
//! visitor or another site puts in it can end up on a page.

use crate::state::Portcullis;
use axum_extra::extract::CookieJar;
use serde::Serialize;
use std::borrow::Cow;
use time::Duration;

/// The messages there are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flash {
    LoginRequired,
    LoggedIn,
    LoggedOut,
    Registered,
    SessionRevoked,
    OthersRevoked,
    PasswordReset,
    PasswordChanged,
    EmailConfirmed,
    EmailChangeSent,
    EmailChanged,
    EnrolmentRequired,
    TwoFactorEnabled,
    TwoFactorDisabled,
    CodeAttemptsExhausted,
    Reauthenticated,
    TokenRevoked,
    TokensRevoked,
    IdentityLinked,
    IdentityUnlinked,
    PasskeyRenamed,
    PasskeyRemoved,
    AccountPasskeyRemoved,
    AccountCreated,
    AccountSaved,
    AccountDeleted,
    AccountActivated,
    AccountDeactivated,
    AccountUnlocked,
    AccountSessionsEnded,
    AccountTwoFactorReset,
    AccountTokenRevoked,
    AccountTokensRevoked,
    RoleGranted,
    RoleRemoved,
    RoleCreated,
    RoleSaved,
    RoleDeleted,
}

/// A flash message as a template sees it.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct FlashView {
    pub category: &'static str,
    pub message: Cow<'static, str>,
}

const ALL: [Flash; 38] = [
    Flash::LoginRequired,
    Flash::LoggedIn,
    Flash::LoggedOut,
    Flash::Registered,
    Flash::SessionRevoked,
    Flash::OthersRevoked,
    Flash::PasswordReset,
    Flash::PasswordChanged,
    Flash::EmailConfirmed,
    Flash::EmailChangeSent,
    Flash::EmailChanged,
    Flash::EnrolmentRequired,
    Flash::TwoFactorEnabled,
    Flash::TwoFactorDisabled,
    Flash::CodeAttemptsExhausted,
    Flash::Reauthenticated,
    Flash::TokenRevoked,
    Flash::TokensRevoked,
    Flash::IdentityLinked,
    Flash::IdentityUnlinked,
    Flash::PasskeyRenamed,
    Flash::PasskeyRemoved,
    Flash::AccountPasskeyRemoved,
    Flash::AccountCreated,
    Flash::AccountSaved,
    Flash::AccountDeleted,
    Flash::AccountActivated,
    Flash::AccountDeactivated,
    Flash::AccountUnlocked,
    Flash::AccountSessionsEnded,
    Flash::AccountTwoFactorReset,
    Flash::AccountTokenRevoked,
    Flash::AccountTokensRevoked,
    Flash::RoleGranted,
    Flash::RoleRemoved,
    Flash::RoleCreated,
    Flash::RoleSaved,
    Flash::RoleDeleted,
];

impl Flash {
    /// What the cookie carries for this message.
    pub fn code(self) -> &'static str {
        match self {
            Flash::LoginRequired => "login_required",
            Flash::LoggedIn => "logged_in",
            Flash::LoggedOut => "logged_out",
            Flash::Registered => "registered",
            Flash::SessionRevoked => "session_revoked",
            Flash::OthersRevoked => "others_revoked",
            Flash::PasswordReset => "password_reset",
            Flash::PasswordChanged => "password_changed",
            Flash::EmailConfirmed => "email_confirmed",
            Flash::EmailChangeSent => "email_change_sent",
            Flash::EmailChanged => "email_changed",
            Flash::EnrolmentRequired => "enrolment_required",
            Flash::TwoFactorEnabled => "two_factor_enabled",
            Flash::TwoFactorDisabled => "two_factor_disabled",
            Flash::CodeAttemptsExhausted => "code_attempts_exhausted",
            Flash::Reauthenticated => "reauthenticated",
            Flash::TokenRevoked => "token_revoked",
            Flash::TokensRevoked => "tokens_revoked",
            Flash::IdentityLinked => "identity_linked",
            Flash::IdentityUnlinked => "identity_unlinked",
            Flash::PasskeyRenamed => "passkey_renamed",
            Flash::PasskeyRemoved => "passkey_removed",
            Flash::AccountPasskeyRemoved => "account_passkey_removed",
            Flash::AccountCreated => "account_created",
            Flash::AccountSaved => "account_saved",
            Flash::AccountDeleted => "account_deleted",
            Flash::AccountActivated => "account_activated",
            Flash::AccountDeactivated => "account_deactivated",
            Flash::AccountUnlocked => "account_unlocked",
            Flash::AccountSessionsEnded => "account_sessions_ended",
            Flash::AccountTwoFactorReset => "account_two_factor_reset",
            Flash::AccountTokenRevoked => "account_token_revoked",
            Flash::AccountTokensRevoked => "account_tokens_revoked",
            Flash::RoleGranted => "role_granted",
            Flash::RoleRemoved => "role_removed",
            Flash::RoleCreated => "role_created",
            Flash::RoleSaved => "role_saved",
            Flash::RoleDeleted => "role_deleted",
        }
    }

    pub fn view(self) -> FlashView {
        let (category, message) = match self {
            Flash::LoginRequired => ("info", "Please log in to access this page."),
            Flash::LoggedIn => ("success", "You are now logged in."),
            Flash::LoggedOut => ("info", "You have been logged out."),
            Flash::Registered => (
                "success",
                "Registration successful! We sent you a link to confirm your email address.",
            ),
            Flash::SessionRevoked => ("success", "The session has been ended."),
            Flash::OthersRevoked => ("success", "All your other sessions have been ended."),
            Flash::PasswordReset => (
                "success",
                "Your password has been reset. Please log in with the new one.",
            ),
            Flash::PasswordChanged => (
                "success",
                "Your password has been changed. Your other sessions have been ended.",
            ),
            Flash::EmailConfirmed => ("success", "Your email address has been confirmed."),
            Flash::EmailChangeSent => (
                "info",
                "We sent a confirmation link to the new address. Your address changes when you follow it.",
            ),
            Flash::EmailChanged => ("success", "Your email address has been changed."),
            Flash::EnrolmentRequired => (
                "info",
                "Your account needs two-factor authentication. Set it up to continue.",
            ),
            Flash::TwoFactorEnabled => ("success", "Two-factor authentication is on."),
            Flash::TwoFactorDisabled => ("success", "Two-factor authentication is off."),
            Flash::CodeAttemptsExhausted => {
                ("danger", "Too many wrong codes. Please log in again.")
            }
            Flash::Reauthenticated => ("success", "Thank you. You may go on."),
            Flash::TokenRevoked => ("success", "The token has been revoked."),
            Flash::TokensRevoked => ("success", "All your tokens have been revoked."),
            Flash::IdentityLinked => (
                "success",
                "The account at the provider is linked: you can sign in with it now.",
            ),
            Flash::IdentityUnlinked => ("success", "The account at the provider is unlinked."),
            Flash::PasskeyRenamed => ("success", "The passkey is renamed."),
            Flash::PasskeyRemoved => ("success", "The passkey is removed."),
            Flash::AccountPasskeyRemoved => {
                ("success", "The passkey is removed; its owner is told.")
            }
            Flash::AccountCreated => ("success", "The account has been created."),
            Flash::AccountSaved => ("success", "The account has been saved."),
            Flash::AccountDeleted => ("success", "The account has been deleted."),
            Flash::AccountActivated => ("success", "The account is active: it can log in again."),
            Flash::AccountDeactivated => (
                "success",
                "The account is deactivated: it cannot log in, and its sessions have ended.",
            ),
            Flash::AccountUnlocked => ("success", "The account is unlocked: it can log in now."),
            Flash::AccountSessionsEnded => ("success", "Every session of the account has ended."),
            Flash::AccountTwoFactorReset => (
                "success",
                "The account's second factors are removed and its sessions have ended.",
            ),
            Flash::AccountTokenRevoked => ("success", "The account's token has been revoked."),
            Flash::AccountTokensRevoked => {
                ("success", "Every token of the account has been revoked.")
            }
            Flash::RoleGranted => ("success", "The role has been granted."),
            Flash::RoleRemoved => ("success", "The role has been removed from the account."),
            Flash::RoleCreated => ("success", "The role has been created."),
            Flash::RoleSaved => ("success", "The role has been saved."),
            Flash::RoleDeleted => ("success", "The role has been deleted."),
        };
        FlashView {
            category,
            message: Cow::Borrowed(message),
        }
    }

    /// This message as a template sees it, naming the address a
    /// confirmation link went to where the message is about one.
    pub fn view_sent_to(self, address: Option<&str>) -> FlashView {
        match (self, address) {
            (Flash::Registered, Some(address)) => FlashView {
                category: "success",
                message: Cow::Owned(format!(
                    "Registration successful! We sent a link to {address}: follow it to confirm \
                     your email address."
                )),
            },
            _ => self.view(),
        }
    }

    /// Adds the flash cookie to `jar`.
    pub fn set(self, state: &Portcullis, jar: CookieJar) -> CookieJar {
        let cookies = &state.inner.cookies;
        jar.add(cookies.build(
            &cookies.flash,
            self.code().to_owned(),
            Some(Duration::minutes(5)),
        ))
    }

    /// The pending flash in `jar`, if any.
    pub fn pending(state: &Portcullis, jar: &CookieJar) -> Option<Self> {
        Self::from_code(jar.get(&state.inner.cookies.flash)?.value())
    }

    /// The message a flash cookie's value names, if it names one.
    pub fn from_code(code: &str) -> Option<Self> {
        ALL.into_iter().find(|f| f.code() == code)
    }
}

#[cfg(test)]
mod tests {
    use super::{ALL, Flash};

    #[test]
    fn every_message_has_its_own_code_and_reads_back_from_it() {
        for flash in ALL {
            assert_eq!(Flash::from_code(flash.code()), Some(flash));
            assert!(!flash.view().message.is_empty());
        }
        let mut codes: Vec<&str> = ALL.iter().map(|f| f.code()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), ALL.len());
    }
}
