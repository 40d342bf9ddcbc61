//! Other accounts' API tokens, for holders of `tokens:manage` who may act
//! on the account (containment): list and revoke anyone's, mint them for
//! service accounts only. And `POST /api/admin/service-accounts`.

use crate::api::tokens::{CreateBody, CreatedToken, RevokedTokens, TokenList};
use crate::client::ClientInfo;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath};
use crate::guard::Admin;
use crate::state::Portcullis;
use crate::views::TokenView;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use portcullis_core::access::{TokensManage, UsersManage};
use portcullis_core::domain::api_token::ApiTokenId;
use portcullis_core::{User, UserId};
use serde::{Deserialize, Serialize};

pub(super) fn router() -> Router<Portcullis> {
    Router::new()
        .route("/admin/service-accounts", post(create_service))
        .route(
            "/admin/users/{id}/tokens",
            get(list).post(create).delete(revoke_all),
        )
        .route("/admin/users/{id}/tokens/{token}", delete(revoke))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ServiceBody {
    username: String,
    #[serde(default)]
    roles: Vec<String>,
}

#[derive(Serialize)]
struct ServiceAnswer {
    user: User,
    roles: Vec<String>,
}

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
