//! `/admin/users`: the table (search, filters, sorting, pages), one user's
//! details and every action on an account.

use super::{is_partial, with_query};
use crate::admin_query::UserListQuery;
use crate::client::ClientInfo;
use crate::error::PageError;
use crate::extract::HtmlForm;
use crate::guard::Permissions;
use crate::pages::PageCtx;
use crate::state::Portcullis;
use crate::views::{SessionView, rfc3339};
use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use portcullis_core::domain::role::{USERS_MANAGE, USERS_READ};
use portcullis_core::{AccountAction, Error, User, UserEdit, UserId, UserWithRoles};
use serde::Deserialize;
use serde_json::{Value, json};

pub(super) fn router() -> Router<Portcullis> {
    Router::new()
        .route("/admin/users", get(list).post(create))
        .route("/admin/users/new", get(new_form))
        .route("/admin/users/{id}", get(show))
        .route("/admin/users/{id}/edit", post(edit))
        .route("/admin/users/{id}/delete", get(confirm_delete).post(delete))
        .route("/admin/users/{id}/roles", post(grant_role))
        .route("/admin/users/{id}/roles/{role}/revoke", post(revoke_role))
        .route("/admin/users/{id}/{action}", post(action))
}

/// A user as a table row or detail page shows them.
fn view(state: &Portcullis, u: &UserWithRoles) -> Value {
    let now = state.auth().clock().now();
    json!({
        "id": u.user.id,
        "username": u.user.username,
        "email": u.user.email,
        "name": u.user.name,
        "active": u.user.is_active,
        "confirmed": u.user.confirmed_at.is_some(),
        "locked": u.user.locked_until.is_some_and(|t| t > now),
        "locked_until": u.user.locked_until.map(rfc3339),
        "roles": u.roles,
        "created_at": rfc3339(u.user.created_at),
        "last_login_at": u.user.current_login_at.map(rfc3339),
        "last_login_ip": u.user.current_login_ip,
        "previous_login_at": u.user.last_login_at.map(rfc3339),
        "login_count": u.user.login_count,
        "last_seen_at": u.user.last_seen_at.map(rfc3339),
    })
}

async fn with_roles(state: &Portcullis, user: User) -> Result<UserWithRoles, PageError> {
    Ok(state.auth().with_roles(user).await?)
}

async fn target(state: &Portcullis, id: i64) -> Result<User, PageError> {
    Ok(state.auth().user(UserId(id)).await?)
}

async fn list(
    State(state): State<Portcullis>,
    perms: Permissions,
    page: PageCtx,
    query: Result<Query<UserListQuery>, QueryRejection>,
) -> Result<Response, PageError> {
    perms.require_page(USERS_READ)?;
    let Query(raw) = query
        .map_err(|_| PageError::new(StatusCode::BAD_REQUEST, "The search could not be read."))?;
    let query = raw.to_query().map_err(|(field, message)| {
        PageError::new(StatusCode::BAD_REQUEST, format!("{field}: {message}"))
    })?;
    let (users, total) = state.auth().search_users(&query).await?;
    let roles = state.auth().list_roles().await?;
    let current_page = query.offset / query.limit + 1;
    let pages = (total + query.limit - 1) / query.limit;
    let sort_link = |key: &'static str| {
        let desc = raw.sort.as_deref() == Some(key) && raw.order.as_deref() != Some("desc");
        with_query(&raw, |q| {
            q.sort = Some(key.to_owned());
            q.order = Some(if desc { "desc" } else { "asc" }.to_owned());
            q.page = None;
            q.offset = None;
        })
    };
    let rows: Vec<Value> = users.iter().map(|u| view(&state, u)).collect();
    Ok(page.render(
        &state,
        StatusCode::OK,
        "admin/users.html",
        json!({
            "users": rows,
            "total": total,
            "filters": raw,
            "roles": roles.iter().map(|r| &r.name).collect::<Vec<_>>(),
            "page": current_page,
            "pages": pages,
            "prev": (current_page > 1).then(|| with_query(&raw, |q| { q.page = Some(current_page - 1); q.offset = None; })),
            "next": (current_page < pages).then(|| with_query(&raw, |q| { q.page = Some(current_page + 1); q.offset = None; })),
            "sort_links": {
                "username": sort_link("username"), "email": sort_link("email"),
                "created": sort_link("created"), "last_login": sort_link("last_login"),
            },
            "can_manage": perms.has(USERS_MANAGE),
        }),
    ))
}

async fn new_form(
    State(state): State<Portcullis>,
    perms: Permissions,
    page: PageCtx,
) -> Result<Response, PageError> {
    perms.require_page(USERS_MANAGE)?;
    let roles = state.auth().list_roles().await?;
    Ok(page.render(
        &state,
        StatusCode::OK,
        "admin/user_new.html",
        json!({"form": {}, "errors": {}, "roles": roles.iter().map(|r| &r.name).collect::<Vec<_>>()}),
    ))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct NewUserForm {
    username: String,
    email: String,
    password: String,
    role: String,
    confirmed: Option<String>,
}

async fn create(
    State(state): State<Portcullis>,
    perms: Permissions,
    page: PageCtx,
    client: ClientInfo,
    HtmlForm(form): HtmlForm<NewUserForm>,
) -> Result<Response, PageError> {
    perms.require_page(USERS_MANAGE)?;
    let roles: Vec<String> = Some(form.role.clone())
        .filter(|r| !r.is_empty())
        .into_iter()
        .collect();
    let again = |page: PageCtx, errors: Value, role_names: Vec<String>| {
        page.render(
            &state,
            StatusCode::UNPROCESSABLE_ENTITY,
            "admin/user_new.html",
            json!({"form": {"username": form.username, "email": form.email, "role": form.role}, "errors": errors, "roles": role_names}),
        )
    };
    let role_names: Vec<String> = state
        .auth()
        .list_roles()
        .await?
        .into_iter()
        .map(|r| r.name)
        .collect();
    let registration = match state.auth().parse_registration(
        &form.username,
        &form.email,
        &form.password,
        &form.password,
    ) {
        Ok(r) => r,
        Err(errors) => return Ok(again(page, field_map(&errors), role_names)),
    };
    let result = state
        .auth()
        .admin_create_user(
            Some(perms.auth.user.id),
            registration,
            &roles,
            form.confirmed.is_some(),
            &client.context(),
        )
        .await;
    match result {
        Ok(user) => Ok(Redirect::to(&format!("/admin/users/{}", user.id)).into_response()),
        Err(Error::Validation(errors)) => Ok(again(page, field_map(&errors), role_names)),
        Err(Error::Taken(field)) => {
            let (name, message) = crate::error::taken_message(field);
            Ok(again(page, json!({ name: message }), role_names))
        }
        Err(err) => Err(err.into()),
    }
}

fn field_map(errors: &portcullis_core::FieldErrors) -> Value {
    Value::Object(
        errors
            .iter()
            .map(|e| (e.field.to_owned(), json!(e.message)))
            .collect(),
    )
}

async fn show(
    State(state): State<Portcullis>,
    perms: Permissions,
    page: PageCtx,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    perms.require_page(USERS_READ)?;
    let user = target(&state, id).await?;
    let sessions = state.auth().sessions(&user).await?;
    let sessions: Vec<SessionView> = sessions
        .iter()
        .map(|s| SessionView::new(s, &perms.auth.session))
        .collect();
    let permissions = state.auth().permissions_of(&user).await?;
    let all_roles: Vec<String> = state
        .auth()
        .list_roles()
        .await?
        .into_iter()
        .map(|r| r.name)
        .collect();
    let user = with_roles(&state, user).await?;
    Ok(page.render(
        &state,
        StatusCode::OK,
        "admin/user.html",
        json!({
            "u": view(&state, &user),
            "sessions": sessions,
            "permissions": permissions,
            "grantable": all_roles.into_iter().filter(|r| !user.roles.contains(r)).collect::<Vec<_>>(),
            "can_manage": perms.has(USERS_MANAGE),
            "is_self": user.user.id == perms.auth.user.id,
            "errors": {},
        }),
    ))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct EditForm {
    username: String,
    email: String,
    name: String,
}

async fn edit(
    State(state): State<Portcullis>,
    perms: Permissions,
    client: ClientInfo,
    Path(id): Path<i64>,
    HtmlForm(form): HtmlForm<EditForm>,
) -> Result<Response, PageError> {
    perms.require_page(USERS_MANAGE)?;
    let user = target(&state, id).await?;
    let edit = UserEdit {
        username: form.username,
        email: form.email,
        name: Some(form.name),
    };
    match state
        .auth()
        .update_user(Some(perms.auth.user.id), &user, &edit, &client.context())
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/admin/users/{id}")).into_response()),
        Err(Error::Validation(errors)) => Err(PageError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            errors
                .iter()
                .map(|e| e.message.clone())
                .collect::<Vec<_>>()
                .join(" "),
        )),
        Err(err) => Err(err.into()),
    }
}

async fn confirm_delete(
    State(state): State<Portcullis>,
    perms: Permissions,
    page: PageCtx,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    perms.require_page(USERS_MANAGE)?;
    let user = with_roles(&state, target(&state, id).await?).await?;
    Ok(page.render(
        &state,
        StatusCode::OK,
        "admin/user_delete.html",
        json!({"u": view(&state, &user)}),
    ))
}

async fn delete(
    State(state): State<Portcullis>,
    perms: Permissions,
    client: ClientInfo,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    perms.require_page(USERS_MANAGE)?;
    let user = target(&state, id).await?;
    state
        .auth()
        .delete_user(Some(perms.auth.user.id), &user, &client.context())
        .await?;
    Ok(Redirect::to("/admin/users").into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RoleForm {
    role: String,
}

async fn grant_role(
    State(state): State<Portcullis>,
    perms: Permissions,
    client: ClientInfo,
    Path(id): Path<i64>,
    HtmlForm(form): HtmlForm<RoleForm>,
) -> Result<Response, PageError> {
    perms.require_page(USERS_MANAGE)?;
    let user = target(&state, id).await?;
    state
        .auth()
        .grant_role(
            Some(perms.auth.user.id),
            &user,
            &form.role,
            &client.context(),
        )
        .await?;
    Ok(Redirect::to(&format!("/admin/users/{id}")).into_response())
}

async fn revoke_role(
    State(state): State<Portcullis>,
    perms: Permissions,
    client: ClientInfo,
    Path((id, role)): Path<(i64, String)>,
) -> Result<Response, PageError> {
    perms.require_page(USERS_MANAGE)?;
    let user = target(&state, id).await?;
    state
        .auth()
        .revoke_role(Some(perms.auth.user.id), &user, &role, &client.context())
        .await?;
    Ok(Redirect::to(&format!("/admin/users/{id}")).into_response())
}

/// `activate`, `deactivate`, `unlock`, `revoke-sessions`. From the table
/// with `HX-Request`, the answer is the updated row.
async fn action(
    State(state): State<Portcullis>,
    perms: Permissions,
    client: ClientInfo,
    headers: HeaderMap,
    Path((id, action)): Path<(i64, String)>,
) -> Result<Response, PageError> {
    perms.require_page(USERS_MANAGE)?;
    let user = target(&state, id).await?;
    let action = AccountAction::parse(&action)
        .ok_or_else(|| PageError::new(StatusCode::NOT_FOUND, "No such action."))?;
    let auth = state.auth();
    auth.apply(action, &user, Some(perms.auth.user.id), &client.context())
        .await?;
    if is_partial(&headers) {
        let user = with_roles(&state, auth.user(user.id).await?).await?;
        let html = state
            .inner
            .templates
            .render("admin/user_row.html", &json!({"u": view(&state, &user), "can_manage": true, "csrf_token": csrf(&perms, &state)}))
            .map_err(PageError::internal)?;
        return Ok(Html(html).into_response());
    }
    Ok(Redirect::to(&format!("/admin/users/{id}")).into_response())
}

/// The CSRF token for forms in a fragment.
fn csrf(perms: &Permissions, state: &Portcullis) -> String {
    state.inner.csrf.for_session(&perms.auth.token_hash)
}
