//! Passkeys as JSON, in the standard WebAuthn JSON encodings (the options
//! are `PublicKeyCredentialCreationOptions` / `...RequestOptions` under
//! `publicKey`; answers are what `PublicKeyCredential.toJSON()` gives):
//! registering and managing the caller's passkeys, signing in with one
//! without a username, and the second step of a login with one.
//!
//! Each `begin` sets a short cookie that binds the ceremony to this
//! browser; its `finish` uses the ceremony up, right or wrong.

use super::auth::{SessionBody, session_body};
use crate::client::ClientInfo;
use crate::error::{ApiError, Refusals};
use crate::extract::{ApiJson, ApiPath};
use crate::guard::RequireRecentLogin;
use crate::passkey_cookie;
use crate::session::{self, AnySession, Authenticated, PendingLogin};
use crate::state::Portcullis;
use crate::views::PasskeyView;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;
use portcullis_core::LoginSuccess;
use portcullis_core::domain::passkey::PasskeyId;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(super) fn router() -> OpenApiRouter<Portcullis> {
    OpenApiRouter::new()
        .routes(routes!(register_begin))
        .routes(routes!(register_finish))
        .routes(routes!(list))
        .routes(routes!(rename, remove))
        .routes(routes!(login_begin))
        .routes(routes!(login_finish))
        .routes(routes!(second_factor_begin))
        .routes(routes!(second_factor_finish))
}

/// Options for `navigator.credentials.create()` or `.get()`.
#[derive(Serialize, utoipa::ToSchema)]
struct Options {
    #[serde(rename = "publicKey")]
    #[schema(value_type = Object)]
    public_key: Value,
}

impl Options {
    fn of(mut options: Value) -> Self {
        Self {
            public_key: options
                .get_mut("publicKey")
                .map(Value::take)
                .unwrap_or(Value::Null),
        }
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct RegisterBody {
    /// What to call the passkey ("Laptop", "YubiKey").
    name: String,
    /// The `RegistrationResponseJSON` the browser gave.
    #[schema(value_type = Object)]
    credential: Value,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct AssertionBody {
    /// The `AuthenticationResponseJSON` the browser gave.
    #[schema(value_type = Object)]
    credential: Value,
    /// "Remember me" (sign-in without a username only).
    #[serde(default)]
    remember: bool,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct NameBody {
    name: String,
}

/// The caller's passkeys.
#[derive(Serialize, utoipa::ToSchema)]
struct PasskeyList {
    passkeys: Vec<PasskeyView>,
    /// Why passkeys cannot be used on this server, when they cannot.
    unavailable: Option<String>,
}

/// Starts registering a passkey (within a few minutes of logging in).
#[utoipa::path(
    post,
    path = "/passkeys/register/begin",
    operation_id = "passkey_register_begin",
    tag = "passkeys",
    security(("session" = [], "csrf" = [])),
    responses(
        (status = 200, description = "Options for navigator.credentials.create()", body = Options),
        Refusals,
    ),
)]
async fn register_begin(
    State(state): State<Portcullis>,
    RequireRecentLogin(auth): RequireRecentLogin,
    jar: CookieJar,
) -> Result<Response, ApiError> {
    let start = state
        .auth()
        .passkeys()
        .begin_registration(&auth.user, &auth.session)
        .await?;
    let (jar, options) = passkey_cookie::begin(&state, jar, start);
    Ok((jar, Json(Options::of(options))).into_response())
}

/// Finishes registering a passkey with the browser's answer; the owner is
/// told by email.
#[utoipa::path(
    post,
    path = "/passkeys/register/finish",
    operation_id = "passkey_register_finish",
    tag = "passkeys",
    security(("session" = [], "csrf" = [])),
    request_body = RegisterBody,
    responses(
        (status = 201, description = "The new passkey", body = PasskeyView),
        Refusals,
    ),
)]
async fn register_finish(
    State(state): State<Portcullis>,
    RequireRecentLogin(auth): RequireRecentLogin,
    jar: CookieJar,
    client: ClientInfo,
    ApiJson(body): ApiJson<RegisterBody>,
) -> Result<Response, ApiError> {
    let ceremony = passkey_cookie::ceremony(&state, &jar);
    let jar = passkey_cookie::end(&state, jar);
    let added = state
        .auth()
        .passkeys()
        .finish_registration(
            &auth.user,
            &auth.session,
            ceremony.as_ref(),
            &body.name,
            &body.credential,
            &client.context(),
        )
        .await;
    match added {
        Ok(added) => Ok((StatusCode::CREATED, jar, Json(PasskeyView::new(&added))).into_response()),
        Err(err) => Ok((jar, ApiError::from(err)).into_response()),
    }
}

/// The caller's passkeys, oldest first.
#[utoipa::path(
    get,
    path = "/passkeys",
    operation_id = "list_passkeys",
    tag = "passkeys",
    security(("session" = [])),
    responses(
        (status = 200, description = "The passkeys", body = PasskeyList),
        Refusals,
    ),
)]
async fn list(
    State(state): State<Portcullis>,
    auth: Authenticated,
) -> Result<Json<PasskeyList>, ApiError> {
    let passkeys = state.auth().passkeys().list(auth.user.id).await?;
    Ok(Json(PasskeyList {
        passkeys: passkeys.iter().map(PasskeyView::new).collect(),
        unavailable: state
            .auth()
            .passkeys()
            .unavailable()
            .map(crate::error::passkeys_unavailable),
    }))
}

/// Renames one of the caller's passkeys.
#[utoipa::path(
    patch,
    path = "/passkeys/{id}",
    operation_id = "rename_passkey",
    tag = "passkeys",
    security(("session" = [], "csrf" = [])),
    params(("id" = i64, Path, description = "The passkey's id")),
    request_body = NameBody,
    responses(
        (status = 204, description = "Renamed"),
        Refusals,
    ),
)]
async fn rename(
    State(state): State<Portcullis>,
    auth: Authenticated,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<NameBody>,
) -> Result<StatusCode, ApiError> {
    state
        .auth()
        .passkeys()
        .rename(auth.user.id, PasskeyId(id), &body.name)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Removes one of the caller's passkeys (within a few minutes of logging
/// in). The last way to sign in to an account cannot be removed.
#[utoipa::path(
    delete,
    path = "/passkeys/{id}",
    operation_id = "remove_passkey",
    tag = "passkeys",
    security(("session" = [], "csrf" = [])),
    params(("id" = i64, Path, description = "The passkey's id")),
    responses(
        (status = 204, description = "Removed"),
        Refusals,
    ),
)]
async fn remove(
    State(state): State<Portcullis>,
    RequireRecentLogin(auth): RequireRecentLogin,
    client: ClientInfo,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    state
        .auth()
        .passkeys()
        .remove(&auth.user, &auth.session, PasskeyId(id), &client.context())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Starts a sign-in with a passkey, without a username.
#[utoipa::path(
    post,
    path = "/login/passkey/begin",
    operation_id = "passkey_login_begin",
    tag = "passkeys",
    responses(
        (status = 200, description = "Options for navigator.credentials.get()", body = Options),
        Refusals,
    ),
)]
async fn login_begin(
    State(state): State<Portcullis>,
    jar: CookieJar,
    client: ClientInfo,
) -> Result<Response, ApiError> {
    let start = state
        .auth()
        .sessions()
        .begin_passkey_login(&client.context())
        .await?;
    let (jar, options) = passkey_cookie::begin(&state, jar, start);
    Ok((jar, Json(Options::of(options))).into_response())
}

/// Signs in with the browser's answer: sets the session cookie and answers
/// as `POST /api/login` does. The session counts as two factors.
#[utoipa::path(
    post,
    path = "/login/passkey/finish",
    operation_id = "passkey_login_finish",
    tag = "passkeys",
    request_body = AssertionBody,
    responses(
        (status = 200, description = "Logged in", body = SessionBody),
        Refusals,
    ),
)]
async fn login_finish(
    State(state): State<Portcullis>,
    jar: CookieJar,
    client: ClientInfo,
    AnySession(previous): AnySession,
    ApiJson(body): ApiJson<AssertionBody>,
) -> Result<Response, ApiError> {
    let ceremony = passkey_cookie::ceremony(&state, &jar);
    let jar = passkey_cookie::end(&state, jar);
    let outcome = state
        .auth()
        .sessions()
        .finish_passkey_login(
            ceremony.as_ref(),
            &body.credential,
            body.remember,
            &client.context(),
        )
        .await;
    let success = match outcome {
        Ok(success) => success,
        Err(err) => return Ok((jar, ApiError::from(err)).into_response()),
    };
    if let Some(previous) = previous {
        state.auth().sessions().replace_session(&previous).await?;
    }
    signed_in(&state, jar, success).await
}

/// Starts the second step of a login with one of the account's passkeys.
#[utoipa::path(
    post,
    path = "/login/2fa/passkey/begin",
    operation_id = "passkey_second_factor_begin",
    tag = "passkeys",
    security(("session" = [], "csrf" = [])),
    responses(
        (status = 200, description = "Options for navigator.credentials.get()", body = Options),
        Refusals,
    ),
)]
async fn second_factor_begin(
    State(state): State<Portcullis>,
    jar: CookieJar,
    pending: Option<PendingLogin>,
) -> Result<Response, ApiError> {
    let pending = pending.ok_or_else(password_first)?;
    let start = state
        .auth()
        .sessions()
        .begin_passkey_second_factor(&pending.resolved)
        .await?;
    let (jar, options) = passkey_cookie::begin(&state, jar, start);
    Ok((jar, Json(Options::of(options))).into_response())
}

/// Completes a login waiting for its second factor with a passkey's
/// answer. Too many refused answers abandon the login.
#[utoipa::path(
    post,
    path = "/login/2fa/passkey/finish",
    operation_id = "passkey_second_factor_finish",
    tag = "passkeys",
    security(("session" = [], "csrf" = [])),
    request_body = AssertionBody,
    responses(
        (status = 200, description = "Logged in", body = SessionBody),
        Refusals,
    ),
)]
async fn second_factor_finish(
    State(state): State<Portcullis>,
    jar: CookieJar,
    client: ClientInfo,
    pending: Option<PendingLogin>,
    ApiJson(body): ApiJson<AssertionBody>,
) -> Result<Response, ApiError> {
    let pending = pending.ok_or_else(password_first)?;
    let ceremony = passkey_cookie::ceremony(&state, &jar);
    let jar = passkey_cookie::end(&state, jar);
    match state
        .auth()
        .sessions()
        .finish_passkey_second_factor(
            &pending.resolved,
            ceremony.as_ref(),
            &body.credential,
            &client.context(),
        )
        .await
    {
        Ok(success) => signed_in(&state, jar, success).await,
        Err(err @ portcullis_core::Error::SecondFactorAbandoned) => {
            Ok((jar.add(session::removal(&state)), ApiError::from(err)).into_response())
        }
        Err(err) => Ok((jar, ApiError::from(err)).into_response()),
    }
}

fn password_first() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
        "Log in with the password first: POST /api/login.",
    )
}

/// The session cookie and the answer of a completed login.
async fn signed_in(
    state: &Portcullis,
    jar: CookieJar,
    success: LoginSuccess,
) -> Result<Response, ApiError> {
    let csrf_token = state.inner.csrf.for_session(success.token.hash().as_str());
    let jar = jar.add(session::cookie_for(
        state,
        &success.token,
        success.session.remember,
    ));
    let body: SessionBody = session_body(state, success, csrf_token).await?;
    Ok((jar, Json(body)).into_response())
}
