//! `/admin/users`: the table (search, filters, sorting, pages), one user's
//! details and every action on an account.

use super::{is_partial, with_query};
use crate::admin_query::UserListQuery;
use crate::client::ClientInfo;
use crate::error::PageError;
use crate::extract::{HtmlForm, PagePath};
use crate::guard::Admin;
use crate::pages::PageCtx;
use crate::session::Authenticated;
use crate::state::Portcullis;
use crate::views::{SessionView, rfc3339};
use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use portcullis_core::access::{ReadsUsers, SeesRoles, UsersManage, UsersRead};
use portcullis_core::domain::role::USERS_MANAGE;
use portcullis_core::{AccountAction, Error, UserEdit, UserId, UserWithRoles};
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
        .route("/admin/users/{id}/reset-2fa", post(reset_two_factor))
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

async fn with_roles(
    state: &Portcullis,
    by: &impl ReadsUsers,
    id: i64,
) -> Result<UserWithRoles, PageError> {
    let accounts = state.auth().accounts();
    let user = accounts.get(by, UserId(id)).await?;
    Ok(accounts.with_roles(by, user).await?)
}

/// The names of every role, for the filter and the new-account form.
async fn role_names(state: &Portcullis, by: &impl SeesRoles) -> Result<Vec<String>, PageError> {
    Ok(state
        .auth()
        .roles()
        .list(by)
        .await?
        .into_iter()
        .map(|r| r.name)
        .collect())
}

async fn list(
    State(state): State<Portcullis>,
    Admin { granted, .. }: Admin<UsersRead>,
    page: PageCtx,
    query: Result<Query<UserListQuery>, QueryRejection>,
) -> Result<Response, PageError> {
    let Query(raw) = query
        .map_err(|_| PageError::new(StatusCode::BAD_REQUEST, "The search could not be read."))?;
    let query = raw.to_query().map_err(|(field, message)| {
        PageError::new(StatusCode::BAD_REQUEST, format!("{field}: {message}"))
    })?;
    let (users, total) = state.auth().accounts().search(&granted, &query).await?;
    let roles = role_names(&state, &granted).await?;
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
            "roles": roles,
            "page": current_page,
            "pages": pages,
            "prev": (current_page > 1).then(|| with_query(&raw, |q| { q.page = Some(current_page - 1); q.offset = None; })),
            "next": (current_page < pages).then(|| with_query(&raw, |q| { q.page = Some(current_page + 1); q.offset = None; })),
            "sort_links": {
                "username": sort_link("username"), "email": sort_link("email"),
                "created": sort_link("created"), "last_login": sort_link("last_login"),
            },
            "can_manage": granted.actor().may(USERS_MANAGE),
        }),
    ))
}

/// The roles `granted` may give a new account.
async fn assignable(
    state: &Portcullis,
    granted: &portcullis_core::Authorized<UsersManage>,
) -> Result<Vec<String>, PageError> {
    Ok(state
        .auth()
        .roles()
        .assignable(granted)
        .await?
        .into_iter()
        .map(|r| r.name)
        .collect())
}

async fn new_form(
    State(state): State<Portcullis>,
    Admin { granted, .. }: Admin<UsersManage>,
    page: PageCtx,
) -> Result<Response, PageError> {
    let roles = assignable(&state, &granted).await?;
    Ok(page.render(
        &state,
        StatusCode::OK,
        "admin/user_new.html",
        json!({"form": {}, "errors": {}, "roles": roles}),
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
    Admin { granted, .. }: Admin<UsersManage>,
    page: PageCtx,
    client: ClientInfo,
    HtmlForm(form): HtmlForm<NewUserForm>,
) -> Result<Response, PageError> {
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
    let role_names = assignable(&state, &granted).await?;
    let registration = match state.auth().registration().parse(
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
        .accounts()
        .create(
            &granted,
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
        Err(Error::Forbidden(why)) => Ok(again(
            page,
            json!({ "role": crate::error::ApiError::from(Error::Forbidden(why)).message }),
            role_names,
        )),
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
    Admin { caller, granted }: Admin<UsersRead>,
    page: PageCtx,
    PagePath(id): PagePath<i64>,
) -> Result<Response, PageError> {
    let accounts = state.auth().accounts();
    let detail = accounts.detail(&granted, UserId(id)).await?;
    let sessions: Vec<SessionView> = detail
        .sessions
        .iter()
        .map(|s| SessionView::new(s, caller.session()))
        .collect();
    let actor = granted.actor();
    // Offer only what would succeed: managing this account needs its
    // administrative permissions too.
    let can_manage = actor.may(USERS_MANAGE) && actor.may_act_on(&detail.permission_set());
    let grantable: Vec<String> = state
        .auth()
        .roles()
        .assignable(&granted)
        .await?
        .into_iter()
        .map(|r| r.name)
        .filter(|r| !detail.roles.contains(r))
        .collect();
    let all_permissions = detail.permission_set().is_all();
    let user = UserWithRoles {
        user: detail.user,
        roles: detail.roles,
    };
    let is_self = user.user.id == caller.user.id;
    let two_factor_enabled = detail.two_factor_enabled;
    Ok(page.render(
        &state,
        StatusCode::OK,
        "admin/user.html",
        json!({
            "u": view(&state, &user),
            "sessions": sessions,
            "permissions": if all_permissions { vec!["every permission (admin)".to_owned()] } else { detail.permissions },
            "grantable": grantable,
            "can_manage": can_manage,
            "is_self": is_self,
            "two_factor_enabled": two_factor_enabled,
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
    Admin { granted, .. }: Admin<UsersManage>,
    client: ClientInfo,
    PagePath(id): PagePath<i64>,
    HtmlForm(form): HtmlForm<EditForm>,
) -> Result<Response, PageError> {
    let edit = UserEdit {
        username: form.username,
        email: Some(form.email),
        name: Some(form.name),
    };
    match state
        .auth()
        .accounts()
        .update(&granted, UserId(id), &edit, &client.context())
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
    Admin { granted, .. }: Admin<UsersManage>,
    page: PageCtx,
    PagePath(id): PagePath<i64>,
) -> Result<Response, PageError> {
    let user = with_roles(&state, &granted, id).await?;
    Ok(page.render(
        &state,
        StatusCode::OK,
        "admin/user_delete.html",
        json!({"u": view(&state, &user)}),
    ))
}

async fn delete(
    State(state): State<Portcullis>,
    Admin { granted, .. }: Admin<UsersManage>,
    client: ClientInfo,
    PagePath(id): PagePath<i64>,
) -> Result<Response, PageError> {
    state
        .auth()
        .accounts()
        .delete(&granted, UserId(id), &client.context())
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
    Admin { granted, .. }: Admin<UsersManage>,
    client: ClientInfo,
    PagePath(id): PagePath<i64>,
    HtmlForm(form): HtmlForm<RoleForm>,
) -> Result<Response, PageError> {
    state
        .auth()
        .accounts()
        .grant_role(&granted, UserId(id), &form.role, &client.context())
        .await?;
    Ok(Redirect::to(&format!("/admin/users/{id}")).into_response())
}

async fn revoke_role(
    State(state): State<Portcullis>,
    Admin { granted, .. }: Admin<UsersManage>,
    client: ClientInfo,
    PagePath((id, role)): PagePath<(i64, String)>,
) -> Result<Response, PageError> {
    state
        .auth()
        .accounts()
        .revoke_role(&granted, UserId(id), &role, &client.context())
        .await?;
    Ok(Redirect::to(&format!("/admin/users/{id}")).into_response())
}

/// Removes the account's second factors and ends its sessions.
async fn reset_two_factor(
    State(state): State<Portcullis>,
    Admin { granted, .. }: Admin<UsersManage>,
    client: ClientInfo,
    PagePath(id): PagePath<i64>,
) -> Result<Response, PageError> {
    state
        .auth()
        .accounts()
        .reset_two_factor(&granted, UserId(id), &client.context())
        .await?;
    Ok(Redirect::to(&format!("/admin/users/{id}")).into_response())
}

/// `activate`, `deactivate`, `unlock`, `revoke-sessions`. From the table
/// with `HX-Request`, the answer is the updated row.
async fn action(
    State(state): State<Portcullis>,
    Admin { granted, .. }: Admin<UsersManage>,
    auth: Authenticated,
    client: ClientInfo,
    headers: HeaderMap,
    PagePath((id, action)): PagePath<(i64, String)>,
) -> Result<Response, PageError> {
    let action = AccountAction::parse(&action)
        .ok_or_else(|| PageError::new(StatusCode::NOT_FOUND, "No such action."))?;
    state
        .auth()
        .accounts()
        .apply(&granted, action, UserId(id), &client.context())
        .await?;
    if is_partial(&headers) {
        let user = with_roles(&state, &granted, id).await?;
        let html = state
            .inner
            .templates
            .render("admin/user_row.html", &json!({"u": view(&state, &user), "can_manage": true, "csrf_token": csrf(&auth, &state)}))
            .map_err(PageError::internal)?;
        return Ok(Html(html).into_response());
    }
    Ok(Redirect::to(&format!("/admin/users/{id}")).into_response())
}

/// The CSRF token for forms in a fragment.
fn csrf(auth: &Authenticated, state: &Portcullis) -> String {
    state.inner.csrf.for_session(&auth.token_hash)
}
