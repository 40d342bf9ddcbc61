//! The email flows as JSON: `POST /api/forgot-password`,
//! `/api/reset-password`, `/api/change-password`, `/api/resend-confirmation`,
//! `/api/confirm`, `/api/change-email` and `/api/change-email/confirm`.
//!
//! Tokens travel in the body, not the URL, so they stay out of access logs.

use crate::client::ClientInfo;
use crate::error::{ApiError, CONFIRMATION_SENT, RESET_SENT};
use crate::extract::ApiJson;
use crate::guard::RequireRecentLogin;
use crate::state::Portcullis;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use portcullis_core::{PasswordChange, User};
use serde::{Deserialize, Serialize};

pub(super) fn router() -> Router<Portcullis> {
    Router::new()
        .route("/forgot-password", post(forgot))
        .route("/reset-password", post(reset))
        .route("/change-password", post(change_password))
        .route("/resend-confirmation", post(resend))
        .route("/confirm", post(confirm))
        .route("/change-email", post(change_email))
        .route("/change-email/confirm", post(confirm_change))
}

/// A request accepted for the background: what happens next, in words.
#[derive(Serialize)]
struct Message {
    message: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EmailBody {
    email: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenBody {
    token: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ResetBody {
    token: String,
    password: String,
    /// Optional for scripts; when present it must match.
    password_confirm: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChangePasswordBody {
    current_password: String,
    new_password: String,
    /// Optional for scripts; when present it must match.
    confirm_password: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChangeEmailBody {
    email: String,
    password: String,
}

#[derive(Serialize)]
struct UserBody {
    user: User,
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
