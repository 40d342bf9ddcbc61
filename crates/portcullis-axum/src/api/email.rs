//! The email flows as JSON: `POST /api/forgot-password`,
//! `/api/reset-password`, `/api/change-password`, `/api/resend-confirmation`,
//! `/api/confirm`, `/api/change-email` and `/api/change-email/confirm`.
//!
//! Tokens travel in the body, not the URL, so they stay out of access logs.

use super::auth::UserBody;
use crate::client::ClientInfo;
use crate::error::{ApiError, CONFIRMATION_SENT, RESET_SENT, Refusals};
use crate::extract::ApiJson;
use crate::guard::RequireRecentLogin;
use crate::state::Portcullis;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use portcullis_core::PasswordChange;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(super) fn router() -> OpenApiRouter<Portcullis> {
    OpenApiRouter::new()
        .routes(routes!(forgot))
        .routes(routes!(reset))
        .routes(routes!(change_password))
        .routes(routes!(resend))
        .routes(routes!(confirm))
        .routes(routes!(change_email))
        .routes(routes!(confirm_change))
}

/// A request accepted for the background: what happens next, in words.
#[derive(Serialize, utoipa::ToSchema)]
struct Message {
    message: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct EmailBody {
    email: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct TokenBody {
    token: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct ResetBody {
    token: String,
    password: String,
    /// Optional for scripts; when present it must match.
    password_confirm: Option<String>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct ChangePasswordBody {
    current_password: String,
    new_password: String,
    /// Optional for scripts; when present it must match.
    confirm_password: Option<String>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct ChangeEmailBody {
    email: String,
    password: String,
}

fn accepted(message: &str) -> Response {
    (
        StatusCode::ACCEPTED,
        Json(Message {
            message: message.to_owned(),
        }),
    )
        .into_response()
}

/// Sends a password-reset link, if the address has an account (the answer
/// is the same either way).
#[utoipa::path(
    post,
    path = "/forgot-password",
    operation_id = "forgot_password",
    tag = "email",
    request_body = EmailBody,
    responses(
        (status = 202, description = "Accepted; an email follows if the address has an account", body = Message),
        Refusals,
    ),
)]
async fn forgot(
    State(state): State<Portcullis>,
    client: ClientInfo,
    ApiJson(body): ApiJson<EmailBody>,
) -> Result<Response, ApiError> {
    state
        .auth()
        .email()
        .request_password_reset(&body.email, &client.context())
        .await?;
    Ok(accepted(RESET_SENT))
}

/// Sets a new password with the token from a reset link; the token works
/// once, and every session and API token of the account ends.
#[utoipa::path(
    post,
    path = "/reset-password",
    operation_id = "reset_password",
    tag = "email",
    request_body = ResetBody,
    responses(
        (status = 204, description = "The password is set"),
        Refusals,
    ),
)]
async fn reset(
    State(state): State<Portcullis>,
    client: ClientInfo,
    ApiJson(body): ApiJson<ResetBody>,
) -> Result<Response, ApiError> {
    let confirm = body.password_confirm.as_deref().unwrap_or(&body.password);
    state
        .auth()
        .email()
        .reset_password(&body.token, &body.password, confirm, &client.context())
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Changes the caller's password (within a few minutes of logging in);
/// the other sessions and the login tokens end.
#[utoipa::path(
    post,
    path = "/change-password",
    operation_id = "change_password",
    tag = "email",
    security(("session" = [], "csrf" = [])),
    request_body = ChangePasswordBody,
    responses(
        (status = 204, description = "The password is changed"),
        Refusals,
    ),
)]
async fn change_password(
    State(state): State<Portcullis>,
    client: ClientInfo,
    RequireRecentLogin(auth): RequireRecentLogin,
    ApiJson(body): ApiJson<ChangePasswordBody>,
) -> Result<Response, ApiError> {
    let change = PasswordChange {
        current_password: &body.current_password,
        new_password: &body.new_password,
        confirm_password: body
            .confirm_password
            .as_deref()
            .unwrap_or(&body.new_password),
    };
    state
        .auth()
        .email()
        .change_password(&auth.user, &auth.session, change, &client.context())
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Sends the confirmation link again, if the address has an unconfirmed
/// account (the answer is the same either way).
#[utoipa::path(
    post,
    path = "/resend-confirmation",
    operation_id = "resend_confirmation",
    tag = "email",
    request_body = EmailBody,
    responses(
        (status = 202, description = "Accepted; an email follows if the address has an account", body = Message),
        Refusals,
    ),
)]
async fn resend(
    State(state): State<Portcullis>,
    client: ClientInfo,
    ApiJson(body): ApiJson<EmailBody>,
) -> Result<Response, ApiError> {
    state
        .auth()
        .email()
        .resend_confirmation(&body.email, &client.context())
        .await?;
    Ok(accepted(CONFIRMATION_SENT))
}

/// Confirms an address with the token from its link.
#[utoipa::path(
    post,
    path = "/confirm",
    operation_id = "confirm_email",
    tag = "email",
    request_body = TokenBody,
    responses(
        (status = 200, description = "The confirmed account", body = UserBody),
        Refusals,
    ),
)]
async fn confirm(
    State(state): State<Portcullis>,
    client: ClientInfo,
    ApiJson(body): ApiJson<TokenBody>,
) -> Result<Json<UserBody>, ApiError> {
    let user = state
        .auth()
        .email()
        .confirm_email(&body.token, &client.context())
        .await?;
    Ok(Json(UserBody { user }))
}

/// Asks to change the caller's address (within a few minutes of logging
/// in); it changes when the link sent to the new address is followed.
#[utoipa::path(
    post,
    path = "/change-email",
    operation_id = "change_email",
    tag = "email",
    security(("session" = [], "csrf" = [])),
    request_body = ChangeEmailBody,
    responses(
        (status = 202, description = "A confirmation link was sent to the new address", body = Message),
        Refusals,
    ),
)]
async fn change_email(
    State(state): State<Portcullis>,
    client: ClientInfo,
    RequireRecentLogin(auth): RequireRecentLogin,
    ApiJson(body): ApiJson<ChangeEmailBody>,
) -> Result<Response, ApiError> {
    state
        .auth()
        .email()
        .request_email_change(&auth.user, &body.password, &body.email, &client.context())
        .await?;
    Ok(accepted(
        "We sent a confirmation link to the new address. Your address changes when you follow it.",
    ))
}

/// Completes an address change with the token from its link.
#[utoipa::path(
    post,
    path = "/change-email/confirm",
    operation_id = "confirm_email_change",
    tag = "email",
    request_body = TokenBody,
    responses(
        (status = 200, description = "The account with its new address", body = UserBody),
        Refusals,
    ),
)]
async fn confirm_change(
    State(state): State<Portcullis>,
    client: ClientInfo,
    ApiJson(body): ApiJson<TokenBody>,
) -> Result<Json<UserBody>, ApiError> {
    let user = state
        .auth()
        .email()
        .confirm_email_change(&body.token, &client.context())
        .await?;
    Ok(Json(UserBody { user }))
}
