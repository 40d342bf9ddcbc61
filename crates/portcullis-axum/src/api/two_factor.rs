//! Two-factor authentication as JSON: the second step of a login
//! (`POST /api/login/2fa`), enrolment (`/api/2fa/setup`, `/api/2fa/enable`),
//! turning it off, new recovery codes, and confirming one's password again
//! (`POST /api/reauthenticate`) for changes that want a recent login.

use super::auth::session_body;
use crate::client::ClientInfo;
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::guard::RequireRecentLogin;
use crate::qr;
use crate::session::{self, Authenticated, PendingLogin};
use crate::state::Portcullis;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use axum_extra::extract::CookieJar;
use serde::{Deserialize, Serialize};

pub(super) fn router() -> Router<Portcullis> {
    Router::new()
        .route("/login/2fa", post(login))
        .route("/2fa/setup", post(setup))
        .route("/2fa/enable", post(enable))
        .route("/2fa/disable", post(disable))
        .route("/2fa/recovery-codes", post(regenerate))
        .route("/reauthenticate", post(reauthenticate))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CodeBody {
    token: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DisableBody {
    password: String,
    token: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PasswordBody {
    password: String,
}

/// A pending enrolment: what an authenticator app needs.
#[derive(Serialize)]
struct SetupBody {
    secret: String,
    otpauth_uri: String,
    qr_svg: String,
}

/// Recovery codes, shown once.
#[derive(Serialize)]
struct CodesBody {
    recovery_codes: Vec<String>,
}

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
