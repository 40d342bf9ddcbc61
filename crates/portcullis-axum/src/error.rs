//! Mapping failures to responses: JSON `{"error": {"code", "message",
//! "fields"}}` under `/api`, an HTML error page everywhere else. Server
//! faults are logged with their detail and answered with a generic message.
//!
//! Page errors are rendered by the security middleware (which holds the
//! templates), so a handler, an extractor or the panic catcher can return a
//! [`PageError`] without access to the application state.

use axum::Json;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use portcullis_core::{Error, UniqueField};
use serde::Serialize;
use std::collections::BTreeMap;

/// An error answered as JSON.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// A stable machine-readable code (`invalid_credentials`, ...).
    pub code: &'static str,
    /// What went wrong, for a person.
    pub message: String,
    /// Per-field messages, by field name.
    pub fields: BTreeMap<String, String>,
    /// Seconds to send in `Retry-After` (429 answers).
    pub retry_after: Option<u64>,
    /// A `WWW-Authenticate` challenge to send (token answers, RFC 6750).
    pub challenge: Option<String>,
}

/// The body of every JSON error answer.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Error)]
pub(crate) struct ApiErrorBody {
    error: ApiErrorDetail,
}

/// What went wrong.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct ApiErrorDetail {
    /// A stable machine-readable code (`invalid_credentials`, `csrf_failed`, ...).
    code: &'static str,
    /// What went wrong, for a person.
    message: String,
    /// Per-field messages, by field name.
    fields: BTreeMap<String, String>,
}

/// The answers every operation may give besides its own: a refusal (4xx)
/// with an [`ApiErrorBody`].
#[derive(utoipa::IntoResponses)]
#[expect(
    dead_code,
    reason = "describes answers in the OpenAPI document; never built"
)]
pub(crate) enum Refusals {
    /// The request was refused; `error.code` says why.
    #[response(
        status = "4XX",
        description = "Refused: invalid input (400, 422), not authenticated (401), not allowed \
            (403), not found (404), conflict (409), too large (413), wrong content type (415) \
            or rate-limited (429, with `Retry-After`)."
    )]
    Refused(ApiErrorBody),
}

impl ApiError {
    /// An error without field details.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            fields: BTreeMap::new(),
            retry_after: None,
            challenge: None,
        }
    }

    /// Sends `challenge` as the `WWW-Authenticate` header.
    pub fn with_challenge(mut self, challenge: impl Into<String>) -> Self {
        self.challenge = Some(challenge.into());
        self
    }

    /// 401 for a request that needs a session.
    pub fn unauthenticated() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "Authentication required.",
        )
    }

    /// 404 for a route that is not there (or is switched off).
    pub fn no_such_endpoint() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", "No such endpoint.")
    }

    /// Adds a message for one field.
    pub fn with_field(mut self, field: &str, message: impl Into<String>) -> Self {
        self.fields.insert(field.to_owned(), message.into());
        self
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ApiErrorBody {
            error: ApiErrorDetail {
                code: self.code,
                message: self.message,
                fields: self.fields,
            },
        };
        let mut response = (self.status, Json(body)).into_response();
        set_retry_after(&mut response, self.retry_after);
        if let Some(value) = self
            .challenge
            .as_deref()
            .and_then(|c| axum::http::HeaderValue::from_str(c).ok())
        {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, value);
        }
        response
    }
}

/// Seconds a client is asked to wait when the database is unavailable.
const UNAVAILABLE_RETRY_AFTER: u64 = 5;

impl From<Error> for ApiError {
    fn from(err: Error) -> Self {
        match &err {
            // Logged once, here where the answer is made, with its whole chain.
            Error::Internal(_) => {
                tracing::error!(error = %portcullis_core::error::error_chain_fmt(&err), "internal error");
            }
            Error::Unavailable(_) => {
                tracing::error!(error = %portcullis_core::error::error_chain_fmt(&err), "database unavailable");
            }
            _ => {}
        }
        match err {
            Error::Validation(errors) => {
                let mut api = ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "validation_failed",
                    "Some fields are invalid.",
                );
                for e in errors.iter() {
                    api.fields
                        .entry(e.field.to_owned())
                        .or_insert_with(|| e.message.clone());
                }
                api
            }
            Error::Taken(field) => {
                let (name, message) = taken_message(field);
                ApiError::new(StatusCode::CONFLICT, "conflict", message).with_field(name, message)
            }
            Error::InvalidCredentials => ApiError::new(
                StatusCode::UNAUTHORIZED,
                "invalid_credentials",
                INVALID_CREDENTIALS,
            ),
            Error::Inactive => {
                ApiError::new(StatusCode::FORBIDDEN, "account_inactive", ACCOUNT_INACTIVE)
            }
            Error::RateLimited { retry_after } => {
                let seconds = retry_after.whole_seconds().max(1).unsigned_abs();
                let mut api = ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "rate_limited",
                    too_many(seconds),
                );
                api.retry_after = Some(seconds);
                api
            }
            Error::Locked { remaining } => ApiError::new(
                StatusCode::FORBIDDEN,
                "account_locked",
                format!(
                    "Account locked after too many failed logins. Try again in {} minute(s).",
                    (remaining.whole_seconds().max(1) + 59) / 60
                ),
            ),
            Error::Forbidden(reason) => {
                ApiError::new(StatusCode::FORBIDDEN, "forbidden", capitalise(reason))
            }
            Error::Unconfirmed => ApiError::new(
                StatusCode::FORBIDDEN,
                "email_unconfirmed",
                EMAIL_UNCONFIRMED,
            ),
            Error::InvalidToken => {
                ApiError::new(StatusCode::BAD_REQUEST, "invalid_token", INVALID_TOKEN)
            }
            Error::NotFound => ApiError::new(StatusCode::NOT_FOUND, "not_found", "Not found."),
            Error::SignInFailed(reason) => {
                let status = if reason == "unavailable" {
                    StatusCode::SERVICE_UNAVAILABLE
                } else {
                    StatusCode::BAD_REQUEST
                };
                ApiError::new(status, "sign_in_failed", sign_in_failed(reason))
            }
            Error::PasskeyFailed(reason) => {
                let status = match reason {
                    "invalid" => StatusCode::BAD_REQUEST,
                    "registered" => StatusCode::CONFLICT,
                    _ => StatusCode::UNAUTHORIZED,
                };
                ApiError::new(status, "passkey_failed", passkey_failed(reason))
            }
            Error::PasskeysUnavailable(why) => ApiError::new(
                StatusCode::CONFLICT,
                "passkeys_unavailable",
                passkeys_unavailable(why),
            ),
            Error::ReauthenticationRequired => ApiError::new(
                StatusCode::FORBIDDEN,
                "reauthentication_required",
                "Confirm your password first: POST /api/reauthenticate.",
            ),
            Error::TwoFactorRequired => ApiError::new(
                StatusCode::UNAUTHORIZED,
                "two_factor_required",
                TWO_FACTOR_REQUIRED,
            ),
            Error::SecondFactorAbandoned => ApiError::new(
                StatusCode::UNAUTHORIZED,
                "login_again",
                "Too many wrong codes. Log in again.",
            ),
            Error::InvalidCode => {
                ApiError::new(StatusCode::UNAUTHORIZED, "invalid_code", INVALID_CODE)
            }
            Error::Unavailable(_) => {
                let mut api = ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "The service is briefly unavailable. Try again in a moment.",
                );
                api.retry_after = Some(UNAVAILABLE_RETRY_AFTER);
                api
            }
            Error::Internal(_) => ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal_error",
                INTERNAL,
            ),
        }
    }
}

/// What a person is told when signing in with a provider failed for
/// `reason` (the audit log has the reason itself).
/// What a refused passkey answer tells its user, by reason.
pub(crate) fn passkey_failed(reason: &str) -> &'static str {
    match reason {
        "expired" => "That passkey request has expired or was already answered. Please try again.",
        "invalid" => "The browser's answer is not a passkey response.",
        "unknown" => "That passkey is not registered here. Sign in another way, then add it.",
        "clone_suspected" => {
            "That passkey was refused: its device may have been copied. Use another way to sign in, and tell an administrator."
        }
        "registered" => "That passkey is registered already.",
        _ => "The passkey could not be verified. Please try again.",
    }
}

/// Why passkeys are off, as a sentence for a page.
pub(crate) fn passkeys_unavailable(why: &str) -> String {
    let mut text = String::from("Passkeys are not available on this server: ");
    text.push_str(why);
    text.push('.');
    text
}

pub(crate) fn sign_in_failed(reason: &str) -> &'static str {
    match reason {
        "access_denied" => "Signing in with the provider was cancelled.",
        "unavailable" => {
            "The provider is temporarily unavailable. Try again in a few minutes, or log in with your password."
        }
        "unknown_state" | "missing_state" | "expired" | "other_browser" | "code_refused" => {
            "That sign-in link has expired or was already used. Please start again."
        }
        "linked_elsewhere" => "That account at the provider is linked to another account.",
        "registration_closed" => {
            "No account here uses that address, and new accounts cannot be created."
        }
        "session_changed" => {
            "You are no longer logged in as the account that started this. Please start again."
        }
        "not_fresh" => "The provider did not ask you to sign in again. Please try again.",
        _ => "Signing in with the provider did not work. Please try again.",
    }
}

/// "Too many attempts" with the wait in words.
pub(crate) fn too_many(seconds: u64) -> String {
    if seconds < 120 {
        format!("Too many attempts. Try again in {seconds} seconds.")
    } else {
        format!(
            "Too many attempts. Try again in {} minutes.",
            seconds.div_ceil(60)
        )
    }
}

fn capitalise(reason: &str) -> String {
    let mut chars = reason.chars();
    match chars.next() {
        Some(first) => format!("{}{}.", first.to_uppercase(), chars.as_str()),
        None => String::new(),
    }
}

fn set_retry_after(response: &mut Response, seconds: Option<u64>) {
    if let Some(seconds) = seconds {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, axum::http::HeaderValue::from(seconds));
    }
}

/// The one answer to a wrong, used or malformed second-factor code.
pub(crate) const INVALID_CODE: &str = "Invalid code.";
/// The answer to a request that needs the second step of a login first.
pub(crate) const TWO_FACTOR_REQUIRED: &str =
    "Enter the code from your authenticator app (or a recovery code) to finish logging in.";

/// The one answer to a failed login, whatever the reason.
pub(crate) const INVALID_CREDENTIALS: &str = "Invalid username or password.";
pub(crate) const ACCOUNT_INACTIVE: &str = "Your account has been deactivated.";
pub(crate) const EMAIL_UNCONFIRMED: &str =
    "Please confirm your email address first: follow the link we sent you.";
/// The one answer to an unknown, used, expired or voided link.
pub(crate) const INVALID_TOKEN: &str =
    "This link is invalid or has expired. Please ask for a new one.";
/// The one answer to "send me a reset link", whether or not the account exists.
pub(crate) const RESET_SENT: &str = "If an account exists, a password reset link has been sent.";
/// The one answer to "send me a confirmation link".
pub(crate) const CONFIRMATION_SENT: &str =
    "If an unconfirmed account exists for that address, a new confirmation link has been sent.";
const INTERNAL: &str = "Something went wrong on our side. Please try again later.";

/// What a registration says when taken addresses are not revealed.
pub(crate) fn registered_message(email: &str) -> String {
    format!(
        "Thank you. We have sent an email to {}: follow its link to confirm your address.",
        email.trim()
    )
}

/// The field and message for a uniqueness collision.
pub(crate) fn taken_message(field: UniqueField) -> (&'static str, &'static str) {
    match field {
        UniqueField::Username => ("username", "This username is already taken."),
        UniqueField::Email => ("email", "This email address is already registered."),
        UniqueField::Other => ("", "This value is already in use."),
    }
}

/// An error answered with an HTML page.
#[derive(Debug, Clone)]
pub struct PageError {
    /// The HTTP status.
    pub status: StatusCode,
    /// What went wrong, for a person.
    pub message: String,
    /// Seconds to send in `Retry-After` (429 answers).
    pub retry_after: Option<u64>,
}

impl PageError {
    /// A page error with a message for the visitor.
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            retry_after: None,
        }
    }

    /// 500, logging the detail.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        tracing::error!(error = %detail, "internal error");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, INTERNAL)
    }
}

impl From<Error> for PageError {
    fn from(err: Error) -> Self {
        let api = ApiError::from(err);
        Self {
            retry_after: api.retry_after,
            ..Self::new(api.status, api.message)
        }
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        // Rendered into a page by `headers::security`; this body is only a
        // fallback for routers used without that middleware.
        let mut response = (self.status, self.message.clone()).into_response();
        set_retry_after(&mut response, self.retry_after);
        response.extensions_mut().insert(self);
        response
    }
}

/// True when the client should get JSON rather than HTML.
pub(crate) fn wants_json(uri: &Uri, headers: &HeaderMap) -> bool {
    let path = uri.path();
    if path == "/api" || path.starts_with("/api/") {
        return true;
    }
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    accept.contains("application/json") && !accept.contains("text/html")
}

/// [`wants_json`] for an extractor. Inside a nested router axum strips the
/// prefix from the URI, so the original one decides.
pub(crate) fn wants_json_parts(parts: &axum::http::request::Parts) -> bool {
    let uri = parts
        .extensions
        .get::<axum::extract::OriginalUri>()
        .map_or(&parts.uri, |original| &original.0);
    wants_json(uri, &parts.headers)
}

/// The response for an internal failure while handling `request`.
pub(crate) fn internal<B>(
    err: Error,
    request: &axum::http::Request<B>,
    _state: &crate::state::Portcullis,
) -> Response {
    if wants_json(request.uri(), request.headers()) {
        ApiError::from(err).into_response()
    } else {
        PageError::from(err).into_response()
    }
}

/// Fallback for unknown paths.
pub(crate) async fn not_found(uri: Uri, headers: HeaderMap) -> Response {
    if wants_json(&uri, &headers) {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", "No such endpoint.").into_response()
    } else {
        PageError::new(
            StatusCode::NOT_FOUND,
            "The page you asked for does not exist.",
        )
        .into_response()
    }
}

/// Answer for a handler that panicked: a 500, never a dropped connection.
pub(crate) fn panic_response(_panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    PageError::internal("a request handler panicked").into_response()
}
