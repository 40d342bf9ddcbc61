//! `/api/admin/roles`: list, create, read, update, delete.

use crate::client::ClientInfo;
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::guard::Permissions;
use crate::state::Portcullis;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use portcullis_core::RoleSpec;
use portcullis_core::domain::role::{ROLES_MANAGE, USERS_READ};
use serde::Deserialize;
use serde_json::{Value, json};

pub(super) fn router() -> Router<Portcullis> {
    Router::new()
        .route("/admin/roles", get(list).post(create))
        .route(
            "/admin/roles/{name}",
            get(show).patch(update).delete(remove),
        )
}

async fn list(
    State(state): State<Portcullis>,
    perms: Permissions,
) -> Result<Json<Value>, ApiError> {
    // Whoever may read users may see what their roles mean.
    if !perms.has(ROLES_MANAGE) {
        perms.require_api(USERS_READ)?;
    }
    Ok(Json(json!({"roles": state.auth().list_roles().await?})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RoleBody {
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    permissions: Vec<String>,
}

async fn create(
    State(state): State<Portcullis>,
    perms: Permissions,
    client: ClientInfo,
    ApiJson(body): ApiJson<RoleBody>,
) -> Result<Response, ApiError> {
    perms.require_api(ROLES_MANAGE)?;
    let spec = RoleSpec {
        name: body.name,
        description: body.description,
        permissions: body.permissions,
    };
    let role = state
        .auth()
        .create_role(Some(perms.auth.user.id), &spec, &client.context())
        .await?;
    Ok((StatusCode::CREATED, Json(json!({"role": role}))).into_response())
}

async fn show(
    State(state): State<Portcullis>,
    perms: Permissions,
    Path(name): Path<String>,
) -> Result<Json<Value>, ApiError> {
    if !perms.has(ROLES_MANAGE) {
        perms.require_api(USERS_READ)?;
    }
    Ok(Json(json!({"role": state.auth().role(&name).await?})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RoleUpdate {
    description: Option<String>,
    permissions: Option<Vec<String>>,
}

async fn update(
    State(state): State<Portcullis>,
    perms: Permissions,
    client: ClientInfo,
    Path(name): Path<String>,
    ApiJson(body): ApiJson<RoleUpdate>,
) -> Result<Json<Value>, ApiError> {
    perms.require_api(ROLES_MANAGE)?;
    let current = state.auth().role(&name).await?;
    let spec = RoleSpec {
        name: current.name,
        description: body.description.unwrap_or(current.description),
        permissions: body.permissions.unwrap_or(current.permissions),
    };
    let role = state
        .auth()
        .update_role(Some(perms.auth.user.id), &spec, &client.context())
        .await?;
    Ok(Json(json!({"role": role})))
}

async fn remove(
    State(state): State<Portcullis>,
    perms: Permissions,
    client: ClientInfo,
    Path(name): Path<String>,
) -> Result<StatusCode, ApiError> {
    perms.require_api(ROLES_MANAGE)?;
    state
        .auth()
        .delete_role(Some(perms.auth.user.id), &name, &client.context())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
