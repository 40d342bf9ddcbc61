//! API tokens as JSON. `POST /api/token` trades a password (and a second
//! factor, if the account has one) for a login token; `DELETE /api/token`
//! revokes the token presented. `/api/tokens` lists, makes and revokes the
//! caller's personal access tokens, through a session or a token carrying
//! `me:tokens`.

use crate::caller::{Bearer, Caller, Credential};
use crate::client::ClientInfo;
use crate::error::{ApiError, Refusals};
use crate::extract::{ApiJson, ApiPath};
use crate::state::Portcullis;
use crate::views::TokenView;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use portcullis_core::domain::api_token::{ApiTokenId, ME_TOKENS, Scopes};
use portcullis_core::policy::Expiry;
use portcullis_core::services::tokens::{IssuedToken, TokenRequest};
use portcullis_core::{Error, LoginAttempt};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(super) fn router() -> OpenApiRouter<Portcullis> {
    OpenApiRouter::new()
        .routes(routes!(login, revoke_presented))
        .routes(routes!(create, list, revoke_all))
        .routes(routes!(revoke))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct TokenLoginBody {
    /// Username or email.
    #[serde(alias = "login", alias = "email")]
    username: String,
    password: String,
    /// A TOTP or recovery code, for an account with a second factor.
    otp: Option<String>,
}

/// A login token (RFC 6749's token response, as the tutorials expect).
#[derive(Serialize, utoipa::ToSchema)]
struct TokenLoginAnswer {
    token: String,
    token_type: &'static str,
    /// Seconds until it expires.
    expires_in: i64,
}

/// How long a new token lives: seconds, or `"never"` (if allowed).
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(untagged)]
pub(crate) enum ExpiresIn {
    Seconds(u64),
    Word(Never),
}

#[derive(Deserialize, utoipa::ToSchema)]
pub(crate) enum Never {
    #[serde(rename = "never")]
    Never,
}

impl ExpiresIn {
    pub(crate) fn expiry(given: Option<ExpiresIn>) -> Expiry {
        match given {
            None => Expiry::Default,
            Some(ExpiresIn::Word(Never::Never)) => Expiry::Never,
            // Anything past i64 seconds is past any maximum as well.
            Some(ExpiresIn::Seconds(s)) => Expiry::In(time::Duration::seconds(
                i64::try_from(s).unwrap_or(i64::MAX),
            )),
        }
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
#[schema(as = NewTokenBody)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateBody {
    pub(crate) name: String,
    pub(crate) scopes: Vec<String>,
    pub(crate) expires_in: Option<ExpiresIn>,
}

impl CreateBody {
    pub(crate) fn request(self) -> TokenRequest {
        TokenRequest {
            name: self.name,
            scopes: self.scopes,
            expiry: ExpiresIn::expiry(self.expires_in),
        }
    }
}

/// A token just made: its view and, this once, its secret.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct CreatedToken {
    #[serde(flatten)]
    pub(crate) view: TokenView,
    pub(crate) token: String,
}

impl CreatedToken {
    pub(crate) fn of(issued: &IssuedToken) -> Self {
        Self {
            view: TokenView::new(&issued.token),
            token: issued.secret.expose().to_owned(),
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct TokenList {
    pub(crate) tokens: Vec<TokenView>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct RevokedTokens {
    pub(crate) revoked: u64,
}

/// Trades a password (and the TOTP or a recovery code as `otp`, for an
/// account with a second factor) for a login token carrying everything the
/// account may do. The login's rate limits and lockout apply.
#[utoipa::path(
    post,
    path = "/token",
    operation_id = "token_login",
    tag = "tokens",
    request_body = TokenLoginBody,
    responses(
        (status = 200, description = "A login token", body = TokenLoginAnswer),
        Refusals,
    ),
)]
async fn login(
    State(state): State<Portcullis>,
    client: ClientInfo,
    ApiJson(body): ApiJson<TokenLoginBody>,
) -> Result<Json<TokenLoginAnswer>, ApiError> {
    let attempt = LoginAttempt {
        login: body.username,
        password: body.password,
        remember: false,
        ip: client.ip,
        user_agent: client.user_agent,
    };
    let issued = state
        .auth()
        .tokens()
        .login(&attempt, body.otp.as_deref())
        .await
        .map_err(|err| match err {
            Error::TwoFactorRequired => ApiError::new(
                StatusCode::UNAUTHORIZED,
                "two_factor_required",
                "This account has two-factor authentication: send the code from the \
                 authenticator app (or a recovery code) as \"otp\".",
            ),
            other => other.into(),
        })?;
    let expires_in = issued
        .token
        .expires_at
        .map_or(0, |at| (at - issued.token.created_at).whole_seconds());
    Ok(Json(TokenLoginAnswer {
        token: issued.secret.expose().to_owned(),
        token_type: "Bearer",
        expires_in,
    }))
}

/// Revokes the token this request presents.
#[utoipa::path(
    delete,
    path = "/token",
    operation_id = "revoke_presented_token",
    tag = "tokens",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "The token is revoked"),
        Refusals,
    ),
)]
async fn revoke_presented(
    State(state): State<Portcullis>,
    Bearer(caller): Bearer,
    client: ClientInfo,
) -> Result<StatusCode, ApiError> {
    let Credential::Token(token) = &caller.credential else {
        return Err(ApiError::unauthenticated());
    };
    state
        .auth()
        .tokens()
        .revoke(caller.user.id, token.id, &client.context())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The caller's tokens (never their secrets).
#[utoipa::path(
    get,
    path = "/tokens",
    operation_id = "list_tokens",
    tag = "tokens",
    security(("session" = []), ("bearer" = ["me:tokens"])),
    responses(
        (status = 200, description = "The tokens", body = TokenList),
        Refusals,
    ),
)]
async fn list(
    State(state): State<Portcullis>,
    caller: Caller,
) -> Result<Json<TokenList>, ApiError> {
    caller.require_scope(ME_TOKENS)?;
    let tokens = state.auth().tokens().list(caller.user.id).await?;
    Ok(Json(TokenList {
        tokens: tokens.iter().map(TokenView::new).collect(),
    }))
}

/// Through a session, only soon after the owner proved who they are (a
/// token outlives the session that made it); through a token, with
/// `me:tokens` and no scope the token lacks.
/// Makes a personal access token with the given scopes; its secret is
/// answered this once. Through a session, only soon after a login; through
/// a token, with no scope that token lacks.
#[utoipa::path(
    post,
    path = "/tokens",
    operation_id = "create_token",
    tag = "tokens",
    security(("session" = [], "csrf" = []), ("bearer" = ["me:tokens"])),
    request_body = CreateBody,
    responses(
        (status = 201, description = "The new token, with its secret", body = CreatedToken),
        Refusals,
    ),
)]
async fn create(
    State(state): State<Portcullis>,
    caller: Caller,
    client: ClientInfo,
    ApiJson(body): ApiJson<CreateBody>,
) -> Result<Response, ApiError> {
    caller.require_scope(ME_TOKENS)?;
    let within = match &caller.credential {
        Credential::Session(session) => {
            let recent = state.auth().security().two_factor.recent_login;
            if !session.authenticated_within(recent, state.auth().clock().now()) {
                return Err(Error::ReauthenticationRequired.into());
            }
            Scopes::Owner
        }
        Credential::Token(token) => token.scopes.clone(),
    };
    let issued = state
        .auth()
        .tokens()
        .create_personal(&caller.user, &within, &body.request(), &client.context())
        .await?;
    Ok((StatusCode::CREATED, Json(CreatedToken::of(&issued))).into_response())
}

/// Revokes one of the caller's tokens.
#[utoipa::path(
    delete,
    path = "/tokens/{id}",
    operation_id = "revoke_token",
    tag = "tokens",
    security(("session" = [], "csrf" = []), ("bearer" = ["me:tokens"])),
    params(("id" = i64, Path, description = "The token's id")),
    responses(
        (status = 204, description = "The token is revoked"),
        Refusals,
    ),
)]
async fn revoke(
    State(state): State<Portcullis>,
    caller: Caller,
    client: ClientInfo,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    caller.require_scope(ME_TOKENS)?;
    state
        .auth()
        .tokens()
        .revoke(caller.user.id, ApiTokenId(id), &client.context())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Revokes every token of the caller.
#[utoipa::path(
    delete,
    path = "/tokens",
    operation_id = "revoke_all_tokens",
    tag = "tokens",
    security(("session" = [], "csrf" = []), ("bearer" = ["me:tokens"])),
    responses(
        (status = 200, description = "How many tokens were revoked", body = RevokedTokens),
        Refusals,
    ),
)]
async fn revoke_all(
    State(state): State<Portcullis>,
    caller: Caller,
    client: ClientInfo,
) -> Result<Json<RevokedTokens>, ApiError> {
    caller.require_scope(ME_TOKENS)?;
    let revoked = state
        .auth()
        .tokens()
        .revoke_all(caller.user.id, &client.context())
        .await?;
    Ok(Json(RevokedTokens { revoked }))
}
