//! `/api/admin/roles`: list, create, read, update, delete.

use crate::client::ClientInfo;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath};
use crate::guard::Admin;
use crate::session::Authenticated;
use crate::state::Portcullis;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use portcullis_core::access::{RolesManage, UsersRead};
use portcullis_core::{RoleInfo, RoleSpec};
use serde::{Deserialize, Serialize};

pub(super) fn router() -> Router<Portcullis> {
    Router::new()
        .route("/admin/roles", get(list).post(create))
        .route(
            "/admin/roles/{name}",
            get(show).patch(update).delete(remove),
        )
}

#[derive(Serialize)]
struct RoleList {
    roles: Vec<RoleInfo>,
}

#[derive(Serialize)]
struct RoleBody {
    role: RoleInfo,
}

/// Whoever may read users may see what their roles mean; so may whoever
/// manages roles.
async fn list(
    State(state): State<Portcullis>,
    auth: Authenticated,
) -> Result<Json<RoleList>, ApiError> {
    let actor = auth.actor();
    let roles = state.auth().roles();
    let roles = match actor.authorize::<RolesManage>() {
        Ok(granted) => roles.list(&granted).await?,
        Err(_) => roles.list(&actor.authorize::<UsersRead>()?).await?,
    };
    Ok(Json(RoleList { roles }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateBody {
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    permissions: Vec<String>,
    #[serde(default)]
    grantable_by: Vec<String>,
}

async fn create(
    State(state): State<Portcullis>,
    Admin { granted, .. }: Admin<RolesManage>,
    client: ClientInfo,
    ApiJson(body): ApiJson<CreateBody>,
) -> Result<Response, ApiError> {
    let spec = RoleSpec {
        name: body.name,
        description: body.description,
        permissions: body.permissions,
        grantable_by: body.grantable_by,
    };
    let role = state
        .auth()
        .roles()
        .create(&granted, &spec, &client.context())
        .await?;
    Ok((StatusCode::CREATED, Json(RoleBody { role })).into_response())
}

async fn show(
    State(state): State<Portcullis>,
    auth: Authenticated,
    ApiPath(name): ApiPath<String>,
) -> Result<Json<RoleBody>, ApiError> {
    let actor = auth.actor();
    let roles = state.auth().roles();
    let role = match actor.authorize::<RolesManage>() {
        Ok(granted) => roles.get(&granted, &name).await?,
        Err(_) => roles.get(&actor.authorize::<UsersRead>()?, &name).await?,
    };
    Ok(Json(RoleBody { role }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateBody {
    description: Option<String>,
    permissions: Option<Vec<String>>,
    grantable_by: Option<Vec<String>>,
}

async fn update(
    State(state): State<Portcullis>,
    Admin { granted, .. }: Admin<RolesManage>,
    client: ClientInfo,
    ApiPath(name): ApiPath<String>,
    ApiJson(body): ApiJson<UpdateBody>,
) -> Result<Json<RoleBody>, ApiError> {
    let roles = state.auth().roles();
    let current = roles.get(&granted, &name).await?;
    let spec = RoleSpec {
        name: current.name,
        description: body.description.unwrap_or(current.description),
        permissions: body.permissions.unwrap_or(current.permissions),
        grantable_by: body.grantable_by.unwrap_or(current.grantable_by),
    };
    let role = roles.update(&granted, &spec, &client.context()).await?;
    Ok(Json(RoleBody { role }))
}

async fn remove(
    State(state): State<Portcullis>,
    Admin { granted, .. }: Admin<RolesManage>,
    client: ClientInfo,
    ApiPath(name): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    state
        .auth()
        .roles()
        .delete(&granted, &name, &client.context())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
