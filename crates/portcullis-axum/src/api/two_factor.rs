//! Two-factor authentication as JSON: the second step of a login
//! (`POST /api/login/2fa`), enrolment (`/api/2fa/setup`, `/api/2fa/enable`),
//! turning it off, new recovery codes, and confirming one's password again
//! (`POST /api/reauthenticate`) for changes that want a recent login.

use super::auth::{SessionBody, session_body};
use crate::client::ClientInfo;
use crate::error::{ApiError, Refusals};
use crate::extract::ApiJson;
use crate::guard::RequireRecentLogin;
use crate::qr;
use crate::session::{self, Authenticated, PendingLogin};
use crate::state::Portcullis;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(super) fn router() -> OpenApiRouter<Portcullis> {
    OpenApiRouter::new()
        .routes(routes!(login))
        .routes(routes!(setup))
        .routes(routes!(enable))
        .routes(routes!(disable))
        .routes(routes!(regenerate))
        .routes(routes!(reauthenticate))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct CodeBody {
    token: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct DisableBody {
    password: String,
    token: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct PasswordBody {
    password: String,
}

/// A pending enrolment: what an authenticator app needs.
#[derive(Serialize, utoipa::ToSchema)]
struct SetupBody {
    secret: String,
    otpauth_uri: String,
    qr_svg: String,
}

/// Recovery codes, shown once.
#[derive(Serialize, utoipa::ToSchema)]
struct CodesBody {
    recovery_codes: Vec<String>,
}

/// Completes a login waiting for its second factor with a TOTP or a
/// recovery code as `token`. Too many wrong codes abandon the login.
#[utoipa::path(
    post,
    path = "/login/2fa",
    operation_id = "login_second_factor",
    tag = "two-factor",
    security(("session" = [], "csrf" = [])),
    request_body = CodeBody,
    responses(
        (status = 200, description = "Logged in", body = SessionBody),
        Refusals,
    ),
)]
async fn login(
    State(state): State<Portcullis>,
    jar: CookieJar,
    client: ClientInfo,
    pending: Option<PendingLogin>,
    ApiJson(body): ApiJson<CodeBody>,
) -> Result<Response, ApiError> {
    let pending = pending.ok_or_else(|| {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "Log in with the password first: POST /api/login.",
        )
    })?;
    match state
        .auth()
        .sessions()
        .complete_second_factor(&pending.resolved, &body.token, &client.context())
        .await
    {
        Ok(success) => {
            let csrf_token = state.inner.csrf.for_session(success.token.hash().as_str());
            let jar = jar.add(session::cookie_for(
                &state,
                &success.token,
                success.session.remember,
            ));
            Ok((jar, Json(session_body(&state, success, csrf_token).await?)).into_response())
        }
        Err(err @ portcullis_core::Error::SecondFactorAbandoned) => {
            Ok((jar.add(session::removal(&state)), ApiError::from(err)).into_response())
        }
        Err(err) => Err(err.into()),
    }
}

/// Starts enrolment (within a few minutes of logging in): a new secret, its
/// `otpauth://` URI and a QR code as SVG.
#[utoipa::path(
    post,
    path = "/2fa/setup",
    operation_id = "two_factor_setup",
    tag = "two-factor",
    security(("session" = [], "csrf" = [])),
    responses(
        (status = 200, description = "What an authenticator app needs", body = SetupBody),
        Refusals,
    ),
)]
async fn setup(
    State(state): State<Portcullis>,
    RequireRecentLogin(auth): RequireRecentLogin,
) -> Result<Json<SetupBody>, ApiError> {
    let enrolment = state
        .auth()
        .two_factor()
        .begin_enrolment(&auth.user, &auth.session)
        .await?;
    let qr_svg = qr::svg(&enrolment.otpauth_uri)
        .map_err(|e| ApiError::from(portcullis_core::Error::internal(e.to_string())))?;
    Ok(Json(SetupBody {
        secret: enrolment.secret,
        otpauth_uri: enrolment.otpauth_uri,
        qr_svg,
    }))
}

/// Finishes enrolment with a current code; answers the recovery codes,
/// this once.
#[utoipa::path(
    post,
    path = "/2fa/enable",
    operation_id = "two_factor_enable",
    tag = "two-factor",
    security(("session" = [], "csrf" = [])),
    request_body = CodeBody,
    responses(
        (status = 200, description = "Enrolled; the recovery codes", body = CodesBody),
        Refusals,
    ),
)]
async fn enable(
    State(state): State<Portcullis>,
    RequireRecentLogin(auth): RequireRecentLogin,
    client: ClientInfo,
    ApiJson(body): ApiJson<CodeBody>,
) -> Result<Json<CodesBody>, ApiError> {
    let codes = state
        .auth()
        .two_factor()
        .confirm_enrolment(&auth.user, &auth.session, &body.token, &client.context())
        .await?;
    Ok(Json(CodesBody {
        recovery_codes: codes.0,
    }))
}

/// Turns the second factor off, with the password and a current code.
#[utoipa::path(
    post,
    path = "/2fa/disable",
    operation_id = "two_factor_disable",
    tag = "two-factor",
    security(("session" = [], "csrf" = [])),
    request_body = DisableBody,
    responses(
        (status = 204, description = "The second factor is off"),
        Refusals,
    ),
)]
async fn disable(
    State(state): State<Portcullis>,
    RequireRecentLogin(auth): RequireRecentLogin,
    client: ClientInfo,
    ApiJson(body): ApiJson<DisableBody>,
) -> Result<StatusCode, ApiError> {
    state
        .auth()
        .two_factor()
        .disable(
            &auth.user,
            &auth.session,
            &body.password,
            &body.token,
            &client.context(),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Replaces the recovery codes, with the password.
#[utoipa::path(
    post,
    path = "/2fa/recovery-codes",
    operation_id = "regenerate_recovery_codes",
    tag = "two-factor",
    security(("session" = [], "csrf" = [])),
    request_body = PasswordBody,
    responses(
        (status = 200, description = "The new recovery codes", body = CodesBody),
        Refusals,
    ),
)]
async fn regenerate(
    State(state): State<Portcullis>,
    RequireRecentLogin(auth): RequireRecentLogin,
    client: ClientInfo,
    ApiJson(body): ApiJson<PasswordBody>,
) -> Result<Json<CodesBody>, ApiError> {
    let codes = state
        .auth()
        .two_factor()
        .regenerate_recovery_codes(&auth.user, &auth.session, &body.password, &client.context())
        .await?;
    Ok(Json(CodesBody {
        recovery_codes: codes.0,
    }))
}

/// Confirms the password again, for changes that want a recent login.
#[utoipa::path(
    post,
    path = "/reauthenticate",
    operation_id = "reauthenticate",
    tag = "two-factor",
    security(("session" = [], "csrf" = [])),
    request_body = PasswordBody,
    responses(
        (status = 204, description = "Confirmed"),
        Refusals,
    ),
)]
async fn reauthenticate(
    State(state): State<Portcullis>,
    auth: Authenticated,
    client: ClientInfo,
    ApiJson(body): ApiJson<PasswordBody>,
) -> Result<StatusCode, ApiError> {
    state
        .auth()
        .sessions()
        .reauthenticate(&auth.user, &auth.session, &body.password, &client.context())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
