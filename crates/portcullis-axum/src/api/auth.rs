//! `POST /api/register`, `POST /api/login`, `POST /api/logout`, `GET /api/me`.

use crate::caller::{Caller, Credential};
use crate::client::ClientInfo;
use crate::csrf::CsrfToken;
use crate::error::{ApiError, Refusals};
use crate::extract::ApiJson;
use crate::session::{self, AnySession};
use crate::state::Portcullis;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use axum_extra::extract::CookieJar;
use portcullis_core::domain::api_token::ME_READ;
use portcullis_core::domain::session::Assurance;
use portcullis_core::{LoginAttempt, Registered, User};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(super) fn router() -> OpenApiRouter<Portcullis> {
    OpenApiRouter::new()
        .routes(routes!(register))
        .routes(routes!(login))
        .routes(routes!(logout))
        .routes(routes!(me))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct RegisterBody {
    username: String,
    email: String,
    password: String,
    /// Optional for scripts; when present it must match.
    password_confirm: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct LoginBody {
    /// Username or email.
    #[serde(alias = "login", alias = "email")]
    username: String,
    password: String,
    #[serde(default)]
    remember: bool,
}

/// An account.
#[derive(Serialize, ToSchema)]
pub(super) struct UserBody {
    pub(super) user: User,
}

/// The account as its owner sees it through the API.
#[derive(Serialize, ToSchema)]
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
#[derive(Serialize, ToSchema)]
pub(super) struct SessionBody {
    pub(super) user: MeUser,
    pub(super) roles: Vec<String>,
    pub(super) csrf_token: Option<String>,
}

/// The first half of a login to an account with a second factor.
#[derive(Serialize, ToSchema)]
struct SecondFactorBody {
    two_factor_required: bool,
    csrf_token: String,
}

/// A completed login, or the first half of one waiting for a second factor.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
enum LoginAnswer {
    Done(Box<SessionBody>),
    SecondFactor(SecondFactorBody),
}

/// What a registration answers when taken addresses are not revealed: the
/// same for a new address and for one that is taken.
#[derive(Serialize, ToSchema)]
struct Accepted {
    message: String,
}

/// Registers an account. With `registration.reveal_taken` the new account
/// is answered (201); otherwise a new and a taken address both get the same
/// 202, and the address's owner is told by email.
#[utoipa::path(
    post,
    path = "/register",
    operation_id = "register",
    tag = "account",
    request_body = RegisterBody,
    responses(
        (status = 201, description = "The new account", body = UserBody),
        (status = 202, description = "Accepted; a confirmation email follows", body = Accepted),
        Refusals,
    ),
)]
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

/// Logs in: sets the session cookie and answers the session's CSRF token.
/// An account with a second factor gets `two_factor_required` and finishes
/// at `POST /api/login/2fa`.
#[utoipa::path(
    post,
    path = "/login",
    operation_id = "login",
    tag = "account",
    request_body = LoginBody,
    responses(
        (status = 200, description = "Logged in, or waiting for the second factor", body = LoginAnswer),
        Refusals,
    ),
)]
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
        let body = LoginAnswer::SecondFactor(SecondFactorBody {
            two_factor_required: true,
            csrf_token,
        });
        return Ok((jar, Json(body)).into_response());
    }
    let jar = jar.add(session::cookie_for(&state, &success.token, body.remember));
    let body = LoginAnswer::Done(Box::new(session_body(&state, success, csrf_token).await?));
    Ok((jar, Json(body)).into_response())
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

/// Ends the session (also one waiting for its second factor) and clears
/// the cookie.
#[utoipa::path(
    post,
    path = "/logout",
    operation_id = "logout",
    tag = "account",
    security(("session" = [], "csrf" = [])),
    responses((status = 204, description = "Logged out"), Refusals),
)]
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

/// The caller's account and roles, and (for a session) its CSRF token. A
/// login waiting for its second factor gets 401 `two_factor_required`, as
/// every route does.
#[utoipa::path(
    get,
    path = "/me",
    operation_id = "me",
    tag = "account",
    security(("session" = []), ("bearer" = ["me:read"])),
    responses((status = 200, description = "The caller", body = SessionBody), Refusals),
)]
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
