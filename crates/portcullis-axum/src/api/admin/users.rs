//! `/api/admin/users`: list/search, create, read, update, delete, activate,
//! deactivate, unlock, revoke sessions, grant and revoke roles.

use super::bad;
use crate::admin_query::UserListQuery;
use crate::client::ClientInfo;
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::guard::Permissions;
use crate::state::Portcullis;
use crate::views::SessionView;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use portcullis_core::domain::role::{USERS_MANAGE, USERS_READ};
use portcullis_core::{AccountAction, User, UserEdit, UserId};
use serde::Deserialize;
use serde_json::{Value, json};

pub(super) fn router() -> Router<Portcullis> {
    Router::new()
        .route("/admin/users", get(list).post(create))
        .route("/admin/users/{id}", get(show).patch(update).delete(remove))
        .route("/admin/users/{id}/roles", post(grant_role))
        .route("/admin/users/{id}/{action}", post(action))
        .route("/admin/users/{id}/roles/{role}", delete(revoke_role))
}

async fn target(state: &Portcullis, id: i64) -> Result<User, ApiError> {
    Ok(state.auth().user(UserId(id)).await?)
}

async fn list(
    State(state): State<Portcullis>,
    perms: Permissions,
    query: Result<Query<UserListQuery>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    perms.require_api(USERS_READ)?;
    let Query(query) = query
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "invalid_request", e.body_text()))?;
    let query = query
        .to_query()
        .map_err(|(field, message)| bad(field, message))?;
    let (users, total) = state.auth().search_users(&query).await?;
    Ok(Json(
        json!({"total": total, "offset": query.offset, "limit": query.limit, "users": users}),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateBody {
    username: String,
    email: String,
    password: String,
    #[serde(default)]
    roles: Vec<String>,
    #[serde(default)]
    confirmed: bool,
}

async fn create(
    State(state): State<Portcullis>,
    perms: Permissions,
    client: ClientInfo,
    ApiJson(body): ApiJson<CreateBody>,
) -> Result<Response, ApiError> {
    perms.require_api(USERS_MANAGE)?;
    let registration = state
        .auth()
        .parse_registration(&body.username, &body.email, &body.password, &body.password)
        .map_err(portcullis_core::Error::from)?;
    let user = state
        .auth()
        .admin_create_user(
            Some(perms.auth.user.id),
            registration,
            &body.roles,
            body.confirmed,
            &client.context(),
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"user": user, "roles": body.roles})),
    )
        .into_response())
}

async fn show(
    State(state): State<Portcullis>,
    perms: Permissions,
    Path(id): Path<i64>,
) -> Result<Json<Value>, ApiError> {
    perms.require_api(USERS_READ)?;
    let user = target(&state, id).await?;
    let auth = state.auth();
    let permissions = auth.permissions_of(&user).await?;
    let sessions = auth.sessions(&user).await?;
    let sessions: Vec<SessionView> = sessions
        .iter()
        .map(|s| SessionView::new(s, &perms.auth.session))
        .collect();
    let listed = auth.with_roles(user).await?;
    Ok(Json(
        json!({"user": listed.user, "roles": listed.roles, "permissions": permissions, "sessions": sessions}),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateBody {
    username: Option<String>,
    email: Option<String>,
    /// `null` clears the display name; absent keeps it.
    #[serde(default, with = "double_option")]
    name: Option<Option<String>>,
}

/// Tells an absent field (`None`) from an explicit `null` (`Some(None)`).
mod double_option {
    use serde::{Deserialize, Deserializer};

    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Option<String>>, D::Error> {
        Option::<String>::deserialize(d).map(Some)
    }
}

async fn update(
    State(state): State<Portcullis>,
    perms: Permissions,
    client: ClientInfo,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<UpdateBody>,
) -> Result<Json<Value>, ApiError> {
    perms.require_api(USERS_MANAGE)?;
    let user = target(&state, id).await?;
    let edit = UserEdit {
        username: body.username.unwrap_or_else(|| user.username.clone()),
        email: body.email.unwrap_or_else(|| user.email.clone()),
        name: body.name.unwrap_or_else(|| user.name.clone()),
    };
    let user = state
        .auth()
        .update_user(Some(perms.auth.user.id), &user, &edit, &client.context())
        .await?;
    Ok(Json(json!({"user": user})))
}

async fn remove(
    State(state): State<Portcullis>,
    perms: Permissions,
    client: ClientInfo,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    perms.require_api(USERS_MANAGE)?;
    let user = target(&state, id).await?;
    state
        .auth()
        .delete_user(Some(perms.auth.user.id), &user, &client.context())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GrantBody {
    role: String,
}

async fn grant_role(
    State(state): State<Portcullis>,
    perms: Permissions,
    client: ClientInfo,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<GrantBody>,
) -> Result<Json<Value>, ApiError> {
    perms.require_api(USERS_MANAGE)?;
    let user = target(&state, id).await?;
    let auth = state.auth();
    auth.grant_role(
        Some(perms.auth.user.id),
        &user,
        &body.role,
        &client.context(),
    )
    .await?;
    let listed = auth.with_roles(user).await?;
    Ok(Json(json!({"user": listed.user, "roles": listed.roles})))
}

/// `activate`, `deactivate`, `unlock`, `revoke-sessions`.
async fn action(
    State(state): State<Portcullis>,
    perms: Permissions,
    client: ClientInfo,
    Path((id, action)): Path<(i64, String)>,
) -> Result<Json<Value>, ApiError> {
    perms.require_api(USERS_MANAGE)?;
    let user = target(&state, id).await?;
    let action = AccountAction::parse(&action)
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "not_found", "No such action."))?;
    let auth = state.auth();
    let ended = auth
        .apply(action, &user, Some(perms.auth.user.id), &client.context())
        .await?;
    if action == AccountAction::RevokeSessions {
        return Ok(Json(json!({"revoked": ended})));
    }
    let user = auth.user(user.id).await?;
    let listed = auth.with_roles(user).await?;
    Ok(Json(json!({"user": listed.user, "roles": listed.roles})))
}

async fn revoke_role(
    State(state): State<Portcullis>,
    perms: Permissions,
    client: ClientInfo,
    Path((id, role)): Path<(i64, String)>,
) -> Result<StatusCode, ApiError> {
    perms.require_api(USERS_MANAGE)?;
    let user = target(&state, id).await?;
    state
        .auth()
        .revoke_role(Some(perms.auth.user.id), &user, &role, &client.context())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
