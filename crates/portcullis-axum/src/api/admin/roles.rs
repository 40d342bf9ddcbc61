//! `/api/admin/roles`: list, create, read, update, delete.

use crate::caller::Caller;
use crate::client::ClientInfo;
use crate::error::{ApiError, Refusals};
use crate::extract::{ApiJson, ApiPath};
use crate::guard::Admin;
use crate::state::Portcullis;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use portcullis_core::access::{RolesManage, UsersRead};
use portcullis_core::{RoleInfo, RoleSpec};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(super) fn router() -> OpenApiRouter<Portcullis> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(show, update, remove))
}

#[derive(Serialize, utoipa::ToSchema)]
struct RoleList {
    roles: Vec<RoleInfo>,
}

#[derive(Serialize, utoipa::ToSchema)]
struct RoleBody {
    role: RoleInfo,
}

/// Whoever may read users may see what their roles mean; so may whoever
/// manages roles.
#[utoipa::path(
    get,
    path = "/admin/roles",
    operation_id = "admin_list_roles",
    tag = "admin",
    security(("session" = []), ("bearer" = ["users:read"]), ("bearer" = ["roles:manage"])),
    responses(
        (status = 200, description = "Every role", body = RoleList),
        Refusals,
    ),
)]
async fn list(State(state): State<Portcullis>, caller: Caller) -> Result<Json<RoleList>, ApiError> {
    let actor = caller.actor();
    let roles = state.auth().roles();
    let roles = match actor.authorize::<RolesManage>() {
        Ok(granted) => roles.list(&granted).await?,
        Err(_) => roles.list(&actor.authorize::<UsersRead>()?).await?,
    };
    Ok(Json(RoleList { roles }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[schema(as = NewRoleBody)]
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

/// Creates a role; the caller must hold every permission it gets.
#[utoipa::path(
    post,
    path = "/admin/roles",
    operation_id = "admin_create_role",
    tag = "admin",
    security(("session" = [], "csrf" = []), ("bearer" = ["roles:manage"])),
    request_body = CreateBody,
    responses(
        (status = 201, description = "The new role", body = RoleBody),
        Refusals,
    ),
)]
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

/// One role, for holders of `users:read` or `roles:manage`.
#[utoipa::path(
    get,
    path = "/admin/roles/{name}",
    operation_id = "admin_get_role",
    tag = "admin",
    security(("session" = []), ("bearer" = ["users:read"]), ("bearer" = ["roles:manage"])),
    params(("name" = String, Path, description = "The role's name")),
    responses(
        (status = 200, description = "The role", body = RoleBody),
        Refusals,
    ),
)]
async fn show(
    State(state): State<Portcullis>,
    caller: Caller,
    ApiPath(name): ApiPath<String>,
) -> Result<Json<RoleBody>, ApiError> {
    let actor = caller.actor();
    let roles = state.auth().roles();
    let role = match actor.authorize::<RolesManage>() {
        Ok(granted) => roles.get(&granted, &name).await?,
        Err(_) => roles.get(&actor.authorize::<UsersRead>()?, &name).await?,
    };
    Ok(Json(RoleBody { role }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[schema(as = RoleUpdateBody)]
#[serde(deny_unknown_fields)]
struct UpdateBody {
    description: Option<String>,
    permissions: Option<Vec<String>>,
    grantable_by: Option<Vec<String>>,
}

/// Changes a role; the caller must hold every permission it has after the
/// change, and may not edit a role they hold.
#[utoipa::path(
    patch,
    path = "/admin/roles/{name}",
    operation_id = "admin_update_role",
    tag = "admin",
    security(("session" = [], "csrf" = []), ("bearer" = ["roles:manage"])),
    params(("name" = String, Path, description = "The role's name")),
    request_body = UpdateBody,
    responses(
        (status = 200, description = "The role", body = RoleBody),
        Refusals,
    ),
)]
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

/// Deletes a role; the caller must hold every permission it has.
#[utoipa::path(
    delete,
    path = "/admin/roles/{name}",
    operation_id = "admin_delete_role",
    tag = "admin",
    security(("session" = [], "csrf" = []), ("bearer" = ["roles:manage"])),
    params(("name" = String, Path, description = "The role's name")),
    responses(
        (status = 204, description = "The role is deleted"),
        Refusals,
    ),
)]
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
