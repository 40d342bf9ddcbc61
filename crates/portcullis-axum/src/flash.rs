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
}

/// A flash message as a template sees it.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct FlashView {
    pub category: &'static str,
    pub message: Cow<'static, str>,
}

const ALL: [Flash; 20] = [
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
