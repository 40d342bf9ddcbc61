//! `/api/admin/users`: list/search, create, read, update, delete, activate,
//! deactivate, unlock, revoke sessions, grant and revoke roles.

use super::bad;
use crate::admin_query::UserListQuery;
use crate::client::ClientInfo;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::guard::Admin;
use crate::state::Portcullis;
use crate::views::SessionView;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use portcullis_core::access::{ReadsUsers, UsersManage, UsersRead};
use portcullis_core::{AccountAction, Error, User, UserEdit, UserId, UserWithRoles};
use serde::{Deserialize, Serialize};

pub(super) fn router() -> Router<Portcullis> {
    Router::new()
        .route("/admin/users", get(list).post(create))
        .route("/admin/users/{id}", get(show).patch(update).delete(remove))
        .route("/admin/users/{id}/roles", post(grant_role))
        .route("/admin/users/{id}/reset-2fa", post(reset_two_factor))
        .route("/admin/users/{id}/{action}", post(action))
        .route("/admin/users/{id}/roles/{role}", delete(revoke_role))
}

/// A page of the user list.
#[derive(Serialize)]
struct UserPage {
    total: i64,
    offset: i64,
    limit: i64,
    users: Vec<UserWithRoles>,
}

/// One account with its roles.
#[derive(Serialize)]
struct UserBody {
    user: User,
    roles: Vec<String>,
}

impl From<UserWithRoles> for UserBody {
    fn from(listed: UserWithRoles) -> Self {
        Self {
            user: listed.user,
            roles: listed.roles,
        }
    }
}

/// One account in detail.
#[derive(Serialize)]
struct UserDetailBody {
    user: User,
    roles: Vec<String>,
    /// The permissions its roles hold.
    permissions: Vec<String>,
    /// True for holders of `admin`, who hold every permission.
    all_permissions: bool,
    /// Whether the account has a confirmed second factor.
    two_factor_enabled: bool,
    sessions: Vec<SessionView>,
}

/// Whether a reset removed anything.
#[derive(Serialize)]
struct Reset {
    two_factor_was_enabled: bool,
}

/// How many sessions an action ended.
#[derive(Serialize)]
struct Revoked {
    revoked: u64,
}

async fn with_roles(
    state: &Portcullis,
    by: &impl ReadsUsers,
    id: UserId,
) -> Result<UserBody, ApiError> {
    let accounts = state.auth().accounts();
    let user = accounts.get(by, id).await?;
    Ok(accounts.with_roles(by, user).await?.into())
}

async fn list(
    State(state): State<Portcullis>,
    Admin { granted, .. }: Admin<UsersRead>,
    ApiQuery(query): ApiQuery<UserListQuery>,
) -> Result<Json<UserPage>, ApiError> {
    let query = query
        .to_query()
        .map_err(|(field, message)| bad(field, message))?;
    let (users, total) = state.auth().accounts().search(&granted, &query).await?;
    Ok(Json(UserPage {
        total,
        offset: query.offset,
        limit: query.limit,
        users,
    }))
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
    Admin { granted, .. }: Admin<UsersManage>,
    client: ClientInfo,
    ApiJson(body): ApiJson<CreateBody>,
) -> Result<Response, ApiError> {
    let registration = state
        .auth()
        .registration()
        .parse(&body.username, &body.email, &body.password, &body.password)
        .map_err(Error::from)?;
    let user = state
        .auth()
        .accounts()
        .create(
            &granted,
            registration,
            &body.roles,
            body.confirmed,
            &client.context(),
        )
        .await?;
    let body = with_roles(&state, &granted, user.id).await?;
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

async fn show(
    State(state): State<Portcullis>,
    Admin { caller, granted }: Admin<UsersRead>,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<UserDetailBody>, ApiError> {
    let detail = state.auth().accounts().detail(&granted, UserId(id)).await?;
    let all_permissions = detail.permission_set().is_all();
    Ok(Json(UserDetailBody {
        sessions: detail
            .sessions
            .iter()
            .map(|s| SessionView::new(s, caller.session()))
            .collect(),
        user: detail.user,
        roles: detail.roles,
        permissions: detail.permissions,
        all_permissions,
        two_factor_enabled: detail.two_factor_enabled,
    }))
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
    Admin { granted, .. }: Admin<UsersManage>,
    client: ClientInfo,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<UpdateBody>,
) -> Result<Json<UserBody>, ApiError> {
    let accounts = state.auth().accounts();
    let user = accounts.get(&granted, UserId(id)).await?;
    let edit = UserEdit {
        username: body.username.unwrap_or_else(|| user.username.clone()),
        email: body.email.or_else(|| user.email.clone()),
        name: body.name.unwrap_or_else(|| user.name.clone()),
    };
    accounts
        .update(&granted, user.id, &edit, &client.context())
        .await?;
    Ok(Json(with_roles(&state, &granted, user.id).await?))
}

async fn remove(
    State(state): State<Portcullis>,
    Admin { granted, .. }: Admin<UsersManage>,
    client: ClientInfo,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    state
        .auth()
        .accounts()
        .delete(&granted, UserId(id), &client.context())
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
    Admin { granted, .. }: Admin<UsersManage>,
    client: ClientInfo,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<GrantBody>,
) -> Result<Json<UserBody>, ApiError> {
    state
        .auth()
        .accounts()
        .grant_role(&granted, UserId(id), &body.role, &client.context())
        .await?;
    Ok(Json(with_roles(&state, &granted, UserId(id)).await?))
}

/// `activate`, `deactivate`, `unlock`, `revoke-sessions`.
async fn action(
    State(state): State<Portcullis>,
    Admin { granted, .. }: Admin<UsersManage>,
    client: ClientInfo,
    ApiPath((id, action)): ApiPath<(i64, String)>,
) -> Result<Response, ApiError> {
    let action = AccountAction::parse(&action)
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "not_found", "No such action."))?;
    let ended = state
        .auth()
        .accounts()
        .apply(&granted, action, UserId(id), &client.context())
        .await?;
    if action == AccountAction::RevokeSessions {
        return Ok(Json(Revoked { revoked: ended }).into_response());
    }
    Ok(Json(with_roles(&state, &granted, UserId(id)).await?).into_response())
}

/// Removes the account's second factors and ends its sessions.
async fn reset_two_factor(
    State(state): State<Portcullis>,
    Admin { granted, .. }: Admin<UsersManage>,
    client: ClientInfo,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Reset>, ApiError> {
    let had = state
        .auth()
        .accounts()
        .reset_two_factor(&granted, UserId(id), &client.context())
        .await?;
    Ok(Json(Reset {
        two_factor_was_enabled: had,
    }))
}

async fn revoke_role(
    State(state): State<Portcullis>,
    Admin { granted, .. }: Admin<UsersManage>,
    client: ClientInfo,
    ApiPath((id, role)): ApiPath<(i64, String)>,
) -> Result<StatusCode, ApiError> {
    state
        .auth()
        .accounts()
        .revoke_role(&granted, UserId(id), &role, &client.context())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
