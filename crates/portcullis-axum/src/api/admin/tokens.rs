//! Other accounts' API tokens, for holders of `tokens:manage` who may act
//! on the account (containment): list and revoke anyone's, mint them for
//! service accounts only. And `POST /api/admin/service-accounts`.

use crate::api::tokens::{CreateBody, CreatedToken, RevokedTokens, TokenList};
use crate::client::ClientInfo;
use crate::error::{ApiError, Refusals};
use crate::extract::{ApiJson, ApiPath};
use crate::guard::Admin;
use crate::state::Portcullis;
use crate::views::TokenView;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use portcullis_core::access::{TokensManage, UsersManage};
use portcullis_core::domain::api_token::ApiTokenId;
use portcullis_core::{User, UserId};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(super) fn router() -> OpenApiRouter<Portcullis> {
    OpenApiRouter::new()
        .routes(routes!(create_service))
        .routes(routes!(list, create, revoke_all))
        .routes(routes!(revoke))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct ServiceBody {
    username: String,
    #[serde(default)]
    roles: Vec<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
struct ServiceAnswer {
    user: User,
    roles: Vec<String>,
}

/// Creates a service account: no address, no password, no interactive
/// login; it acts through tokens minted for it.
#[utoipa::path(
    post,
    path = "/admin/service-accounts",
    operation_id = "admin_create_service_account",
    tag = "admin",
    security(("session" = [], "csrf" = []), ("bearer" = ["users:manage"])),
    request_body = ServiceBody,
    responses(
        (status = 201, description = "The service account", body = ServiceAnswer),
        Refusals,
    ),
)]
async fn create_service(
    State(state): State<Portcullis>,
    Admin { granted, .. }: Admin<UsersManage>,
    client: ClientInfo,
    ApiJson(body): ApiJson<ServiceBody>,
) -> Result<Response, ApiError> {
    let user = state
        .auth()
        .accounts()
        .create_service(&granted, &body.username, &body.roles, &client.context())
        .await?;
    let mut roles = body.roles;
    roles.sort();
    roles.dedup();
    Ok((StatusCode::CREATED, Json(ServiceAnswer { user, roles })).into_response())
}

/// An account's tokens (never their secrets).
#[utoipa::path(
    get,
    path = "/admin/users/{id}/tokens",
    operation_id = "admin_list_tokens",
    tag = "admin",
    security(("session" = []), ("bearer" = ["tokens:manage"])),
    params(("id" = i64, Path, description = "The account's id")),
    responses(
        (status = 200, description = "The tokens", body = TokenList),
        Refusals,
    ),
)]
async fn list(
    State(state): State<Portcullis>,
    Admin { granted, .. }: Admin<TokensManage>,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<TokenList>, ApiError> {
    let tokens = state.auth().tokens().list_of(&granted, UserId(id)).await?;
    Ok(Json(TokenList {
        tokens: tokens.iter().map(TokenView::new).collect(),
    }))
}

/// Mints a token for a service account; its secret is answered this once.
#[utoipa::path(
    post,
    path = "/admin/users/{id}/tokens",
    operation_id = "admin_create_token",
    tag = "admin",
    security(("session" = [], "csrf" = []), ("bearer" = ["tokens:manage"])),
    params(("id" = i64, Path, description = "The account's id")),
    request_body = CreateBody,
    responses(
        (status = 201, description = "The new token, with its secret", body = CreatedToken),
        Refusals,
    ),
)]
async fn create(
    State(state): State<Portcullis>,
    Admin { granted, .. }: Admin<TokensManage>,
    client: ClientInfo,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<CreateBody>,
) -> Result<Response, ApiError> {
    let issued = state
        .auth()
        .tokens()
        .create_service(&granted, UserId(id), &body.request(), &client.context())
        .await?;
    Ok((StatusCode::CREATED, Json(CreatedToken::of(&issued))).into_response())
}

/// Revokes one of an account's tokens.
#[utoipa::path(
    delete,
    path = "/admin/users/{id}/tokens/{token}",
    operation_id = "admin_revoke_token",
    tag = "admin",
    security(("session" = [], "csrf" = []), ("bearer" = ["tokens:manage"])),
    params(("id" = i64, Path, description = "The account's id"), ("token" = i64, Path, description = "The token's id")),
    responses(
        (status = 204, description = "The token is revoked"),
        Refusals,
    ),
)]
async fn revoke(
    State(state): State<Portcullis>,
    Admin { granted, .. }: Admin<TokensManage>,
    client: ClientInfo,
    ApiPath((id, token)): ApiPath<(i64, i64)>,
) -> Result<StatusCode, ApiError> {
    state
        .auth()
        .tokens()
        .revoke_of(&granted, UserId(id), ApiTokenId(token), &client.context())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Revokes every token of an account.
#[utoipa::path(
    delete,
    path = "/admin/users/{id}/tokens",
    operation_id = "admin_revoke_all_tokens",
    tag = "admin",
    security(("session" = [], "csrf" = []), ("bearer" = ["tokens:manage"])),
    params(("id" = i64, Path, description = "The account's id")),
    responses(
        (status = 200, description = "How many tokens were revoked", body = RevokedTokens),
        Refusals,
    ),
)]
async fn revoke_all(
    State(state): State<Portcullis>,
    Admin { granted, .. }: Admin<TokensManage>,
    client: ClientInfo,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<RevokedTokens>, ApiError> {
    let revoked = state
        .auth()
        .tokens()
        .revoke_all_of(&granted, UserId(id), &client.context())
        .await?;
    Ok(Json(RevokedTokens { revoked }))
}
