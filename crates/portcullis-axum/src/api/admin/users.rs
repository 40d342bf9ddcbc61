//! `/api/admin/users`: list/search, create, read, update, delete, activate,
//! deactivate, unlock, revoke sessions, grant and revoke roles.

use super::bad;
use crate::admin_query::UserListQuery;
use crate::client::ClientInfo;
use crate::error::{ApiError, Refusals};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::guard::Admin;
use crate::state::Portcullis;
use crate::views::SessionView;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use portcullis_core::access::{ReadsUsers, UsersManage, UsersRead};
use portcullis_core::{AccountAction, Error, User, UserEdit, UserId, UserWithRoles};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(super) fn router() -> OpenApiRouter<Portcullis> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(show, update, remove))
        .routes(routes!(grant_role))
        .routes(routes!(reset_two_factor))
        .routes(routes!(remove_passkey))
        .routes(routes!(action))
        .routes(routes!(revoke_role))
}

/// A page of the user list.
#[derive(Serialize, utoipa::ToSchema)]
struct UserPage {
    total: i64,
    offset: i64,
    limit: i64,
    users: Vec<UserWithRoles>,
}

/// One account with its roles.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = AdminUserBody)]
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
#[derive(Serialize, utoipa::ToSchema)]
struct UserDetailBody {
    user: User,
    roles: Vec<String>,
    /// The permissions its roles hold.
    permissions: Vec<String>,
    /// True for holders of `admin`, who hold every permission.
    all_permissions: bool,
    /// Whether the account has a second factor (TOTP or a passkey).
    two_factor_enabled: bool,
    sessions: Vec<SessionView>,
    /// Its passkeys, oldest first.
    passkeys: Vec<crate::views::PasskeyView>,
}

/// Whether a reset removed anything.
#[derive(Serialize, utoipa::ToSchema)]
struct Reset {
    two_factor_was_enabled: bool,
}

/// How many sessions an action ended.
#[derive(Serialize, utoipa::ToSchema)]
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

/// Lists and searches accounts, with their roles.
#[utoipa::path(
    get,
    path = "/admin/users",
    operation_id = "admin_list_users",
    tag = "admin",
    security(("session" = []), ("bearer" = ["users:read"])),
    params(UserListQuery),
    responses(
        (status = 200, description = "A page of accounts", body = UserPage),
        Refusals,
    ),
)]
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

#[derive(Deserialize, utoipa::ToSchema)]
#[schema(as = NewUserBody)]
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

/// Creates an account. Granting roles needs every permission they hold
/// (or a role named in their `grantable_by`).
#[utoipa::path(
    post,
    path = "/admin/users",
    operation_id = "admin_create_user",
    tag = "admin",
    security(("session" = [], "csrf" = []), ("bearer" = ["users:manage"])),
    request_body = CreateBody,
    responses(
        (status = 201, description = "The new account", body = UserBody),
        Refusals,
    ),
)]
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

/// One account with its roles, permissions, second factor and sessions.
#[utoipa::path(
    get,
    path = "/admin/users/{id}",
    operation_id = "admin_get_user",
    tag = "admin",
    security(("session" = []), ("bearer" = ["users:read"])),
    params(("id" = i64, Path, description = "The account's id")),
    responses(
        (status = 200, description = "The account", body = UserDetailBody),
        Refusals,
    ),
)]
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
        passkeys: detail
            .passkeys
            .iter()
            .map(crate::views::PasskeyView::new)
            .collect(),
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[schema(as = UserUpdateBody)]
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

/// Changes an account's username, email (unconfirmed again; outstanding
/// links are voided) or display name.
#[utoipa::path(
    patch,
    path = "/admin/users/{id}",
    operation_id = "admin_update_user",
    tag = "admin",
    security(("session" = [], "csrf" = []), ("bearer" = ["users:manage"])),
    params(("id" = i64, Path, description = "The account's id")),
    request_body = UpdateBody,
    responses(
        (status = 200, description = "The account", body = UserBody),
        Refusals,
    ),
)]
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

/// Deletes an account.
#[utoipa::path(
    delete,
    path = "/admin/users/{id}",
    operation_id = "admin_delete_user",
    tag = "admin",
    security(("session" = [], "csrf" = []), ("bearer" = ["users:manage"])),
    params(("id" = i64, Path, description = "The account's id")),
    responses(
        (status = 204, description = "The account is deleted"),
        Refusals,
    ),
)]
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

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct GrantBody {
    role: String,
}

/// Grants a role.
#[utoipa::path(
    post,
    path = "/admin/users/{id}/roles",
    operation_id = "admin_grant_role",
    tag = "admin",
    security(("session" = [], "csrf" = []), ("bearer" = ["users:manage"])),
    params(("id" = i64, Path, description = "The account's id")),
    request_body = GrantBody,
    responses(
        (status = 200, description = "The account", body = UserBody),
        Refusals,
    ),
)]
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

/// What `POST /api/admin/users/{id}/{action}` does.
#[derive(Clone, Copy, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
enum UserAction {
    /// Lets the account log in again.
    Activate,
    /// Stops the account logging in and ends its sessions and tokens.
    Deactivate,
    /// Lifts a lockout.
    Unlock,
    /// Ends every session of the account.
    RevokeSessions,
}

impl From<UserAction> for AccountAction {
    fn from(action: UserAction) -> Self {
        match action {
            UserAction::Activate => AccountAction::Activate,
            UserAction::Deactivate => AccountAction::Deactivate,
            UserAction::Unlock => AccountAction::Unlock,
            UserAction::RevokeSessions => AccountAction::RevokeSessions,
        }
    }
}

/// The account after an action, or how many sessions `revoke-sessions` ended.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(untagged)]
enum ActionAnswer {
    Account(Box<UserBody>),
    Revoked(Revoked),
}

/// Activates, deactivates or unlocks an account, or ends its sessions.
#[utoipa::path(
    post,
    path = "/admin/users/{id}/{action}",
    operation_id = "admin_user_action",
    tag = "admin",
    security(("session" = [], "csrf" = []), ("bearer" = ["users:manage"])),
    params(("id" = i64, Path, description = "The account's id"), ("action" = inline(UserAction), Path, description = "What to do")),
    responses(
        (status = 200, description = "The account, or how many sessions ended", body = ActionAnswer),
        Refusals,
    ),
)]
async fn action(
    State(state): State<Portcullis>,
    Admin { granted, .. }: Admin<UsersManage>,
    client: ClientInfo,
    ApiPath((id, action)): ApiPath<(i64, UserAction)>,
) -> Result<Json<ActionAnswer>, ApiError> {
    let action = AccountAction::from(action);
    let ended = state
        .auth()
        .accounts()
        .apply(&granted, action, UserId(id), &client.context())
        .await?;
    if action == AccountAction::RevokeSessions {
        return Ok(Json(ActionAnswer::Revoked(Revoked { revoked: ended })));
    }
    Ok(Json(ActionAnswer::Account(Box::new(
        with_roles(&state, &granted, UserId(id)).await?,
    ))))
}

/// Removes the account's second factors and ends its sessions.
#[utoipa::path(
    post,
    path = "/admin/users/{id}/reset-2fa",
    operation_id = "admin_reset_two_factor",
    tag = "admin",
    security(("session" = [], "csrf" = []), ("bearer" = ["users:manage"])),
    params(("id" = i64, Path, description = "The account's id")),
    responses(
        (status = 200, description = "Whether there was a second factor", body = Reset),
        Refusals,
    ),
)]
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

/// Removes one passkey of the account; its owner is told by email.
#[utoipa::path(
    delete,
    path = "/admin/users/{id}/passkeys/{passkey}",
    operation_id = "admin_remove_passkey",
    tag = "admin",
    security(("session" = [], "csrf" = []), ("bearer" = ["users:manage"])),
    params(
        ("id" = i64, Path, description = "The account's id"),
        ("passkey" = i64, Path, description = "The passkey's id"),
    ),
    responses(
        (status = 204, description = "Removed"),
        Refusals,
    ),
)]
async fn remove_passkey(
    State(state): State<Portcullis>,
    Admin { granted, .. }: Admin<UsersManage>,
    client: ClientInfo,
    ApiPath((id, passkey)): ApiPath<(i64, i64)>,
) -> Result<StatusCode, ApiError> {
    state
        .auth()
        .accounts()
        .remove_passkey(
            &granted,
            UserId(id),
            portcullis_core::domain::passkey::PasskeyId(passkey),
            &client.context(),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Revokes a role.
#[utoipa::path(
    delete,
    path = "/admin/users/{id}/roles/{role}",
    operation_id = "admin_revoke_role",
    tag = "admin",
    security(("session" = [], "csrf" = []), ("bearer" = ["users:manage"])),
    params(("id" = i64, Path, description = "The account's id"), ("role" = String, Path, description = "The role's name")),
    responses(
        (status = 204, description = "The role is revoked"),
        Refusals,
    ),
)]
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
