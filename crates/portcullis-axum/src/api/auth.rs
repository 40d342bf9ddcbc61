//! `POST /api/register`, `POST /api/login`, `POST /api/logout`, `GET /api/me`.

use crate::caller::{Caller, Credential};
use crate::client::ClientInfo;
use crate::csrf::CsrfToken;
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::session::{self, AnySession};
use crate::state::Portcullis;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use axum_extra::extract::CookieJar;
use portcullis_core::domain::api_token::ME_READ;
use portcullis_core::domain::session::Assurance;
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

/// The account as its owner sees it through the API.
#[derive(Serialize)]
pub(super) struct MeUser {
    #[serde(flatten)]
    user: User,
    two_factor_enabled: bool,
    recovery_codes_left: i64,
}

impl MeUser {
    /// `user` with its second-factor status (one query, and only when the
    /// account has a second factor).
    pub(super) async fn of(
        state: &Portcullis,
        user: User,
        two_factor: bool,
    ) -> Result<Self, ApiError> {
        let recovery_codes_left = if two_factor {
            state
                .auth()
                .two_factor()
                .status(user.id)
                .await?
                .recovery_codes_left
        } else {
            0
        };
        Ok(Self {
            user,
            two_factor_enabled: two_factor,
            recovery_codes_left,
        })
    }
}

/// A session's account, roles and CSRF token (`null` for a request made
/// with an API token, which needs none).
#[derive(Serialize)]
pub(super) struct SessionBody {
    pub(super) user: MeUser,
    pub(super) roles: Vec<String>,
    pub(super) csrf_token: Option<String>,
}

/// The first half of a login to an account with a second factor.
#[derive(Serialize)]
struct SecondFactorBody {
    two_factor_required: bool,
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
    AnySession(previous): AnySession,
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
        state.auth().sessions().replace_session(&previous).await?;
    }
    let csrf_token = state.inner.csrf.for_session(success.token.hash().as_str());
    if !success.session.assurance.is_complete() {
        let jar = jar.add(session::cookie_for(&state, &success.token, false));
        let body = SecondFactorBody {
            two_factor_required: true,
            csrf_token,
        };
        return Ok((jar, Json(body)).into_response());
    }
    let jar = jar.add(session::cookie_for(&state, &success.token, body.remember));
    Ok((jar, Json(session_body(&state, success, csrf_token).await?)).into_response())
}

/// The answer to a completed login.
pub(super) async fn session_body(
    state: &Portcullis,
    success: portcullis_core::LoginSuccess,
    csrf_token: String,
) -> Result<SessionBody, ApiError> {
    let two_factor = success.session.assurance >= Assurance::TwoFactor;
    Ok(SessionBody {
        user: MeUser::of(state, success.user, two_factor).await?,
        roles: success.roles.into_iter().map(|r| r.name).collect(),
        csrf_token: Some(csrf_token),
    })
}

async fn logout(
    State(state): State<Portcullis>,
    jar: CookieJar,
    client: ClientInfo,
    AnySession(session): AnySession,
) -> Result<Response, ApiError> {
    // A login waiting for its second factor can be abandoned too.
    let session = session.ok_or_else(ApiError::unauthenticated)?;
    state
        .auth()
        .sessions()
        .logout(&session, &client.context())
        .await?;
    Ok((jar.add(session::removal(&state)), StatusCode::NO_CONTENT).into_response())
}

/// A pending login gets 401 `two_factor_required`, as every route does; a
/// token needs `me:read`.
async fn me(
    State(state): State<Portcullis>,
    caller: Caller,
    csrf: Option<Extension<CsrfToken>>,
) -> Result<Json<SessionBody>, ApiError> {
    caller.require_scope(ME_READ)?;
    let csrf_token = match caller.credential {
        Credential::Session(_) => csrf.map(|Extension(c)| c.0),
        Credential::Token(_) => None,
    };
    Ok(Json(SessionBody {
        user: MeUser::of(&state, caller.user, caller.two_factor).await?,
        roles: caller.roles.into_iter().map(|r| r.name).collect(),
        csrf_token,
    }))
}
