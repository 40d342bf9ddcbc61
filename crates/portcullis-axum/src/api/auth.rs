//! `POST /api/register`, `POST /api/login`, `POST /api/logout`, `GET /api/me`.

use crate::client::ClientInfo;
use crate::csrf::CsrfToken;
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::session::{self, Authenticated};
use crate::state::Portcullis;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use axum_extra::extract::CookieJar;
use portcullis_core::{LoginAttempt, Registered, User};
use serde::{Deserialize, Serialize};

pub(super) fn router() -> Router<Portcullis> {
    Router::new()
        .route("/register", post(register))
        .route("/login", post(login))
        .route("/logout", post(logout))
        .route("/me", get(me))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RegisterBody {
    username: String,
    email: String,
    password: String,
    /// Optional for scripts; when present it must match.
    password_confirm: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LoginBody {
    /// Username or email.
    #[serde(alias = "login", alias = "email")]
    username: String,
    password: String,
    #[serde(default)]
    remember: bool,
}

#[derive(Serialize)]
struct UserBody {
    user: User,
}

#[derive(Serialize)]
struct SessionBody {
    user: User,
    roles: Vec<String>,
    csrf_token: String,
}

/// What a registration answers when taken addresses are not revealed: the
/// same for a new address and for one that is taken.
#[derive(Serialize)]
struct Accepted {
    message: String,
}

async fn register(
    State(state): State<Portcullis>,
    client: ClientInfo,
    ApiJson(body): ApiJson<RegisterBody>,
) -> Result<Response, ApiError> {
    if !state.auth().registration().is_open() {
        return Err(ApiError::no_such_endpoint());
    }
    let confirm = body.password_confirm.as_deref().unwrap_or(&body.password);
    let registration = state
        .auth()
        .registration()
        .parse(&body.username, &body.email, &body.password, confirm)
        .map_err(portcullis_core::Error::from)?;
    let outcome = state
        .auth()
        .registration()
        .register(registration, &client.context())
        .await?;
    match outcome {
        Registered::Created(user) if state.auth().security().registration.reveal_taken => {
            Ok((StatusCode::CREATED, Json(UserBody { user: *user })).into_response())
        }
        _ => Ok((
            StatusCode::ACCEPTED,
            Json(Accepted {
                message: crate::error::registered_message(&body.email),
            }),
        )
            .into_response()),
    }
}

async fn login(
    State(state): State<Portcullis>,
    jar: CookieJar,
    client: ClientInfo,
    previous: Option<Authenticated>,
    ApiJson(body): ApiJson<LoginBody>,
) -> Result<Response, ApiError> {
    let success = state
        .auth()
        .sessions()
        .login(LoginAttempt {
            login: body.username,
            password: body.password,
            remember: body.remember,
            ip: client.ip,
            user_agent: client.user_agent,
        })
        .await?;
    if let Some(previous) = previous {
        state
            .auth()
            .sessions()
            .replace_session(&previous.session)
            .await?;
    }
    let roles = success.roles;
    let csrf_token = state.inner.csrf.for_session(success.token.hash().as_str());
    let jar = jar.add(session::cookie_for(&state, &success.token, body.remember));
    let body = SessionBody {
        user: success.user,
        roles: roles.into_iter().map(|r| r.name).collect(),
        csrf_token,
    };
    Ok((jar, Json(body)).into_response())
}

async fn logout(
    State(state): State<Portcullis>,
    jar: CookieJar,
    client: ClientInfo,
    auth: Option<Authenticated>,
) -> Result<Response, ApiError> {
    let auth = auth.ok_or_else(ApiError::unauthenticated)?;
    state
        .auth()
        .sessions()
        .logout(&auth.session, &client.context())
        .await?;
    Ok((jar.add(session::removal(&state)), StatusCode::NO_CONTENT).into_response())
}

async fn me(
    auth: Option<Authenticated>,
    Extension(csrf): Extension<CsrfToken>,
) -> Result<Json<SessionBody>, ApiError> {
    let auth = auth.ok_or_else(ApiError::unauthenticated)?;
    Ok(Json(SessionBody {
        user: auth.user,
        roles: auth.roles.into_iter().map(|r| r.name).collect(),
        csrf_token: csrf.0,
    }))
}
