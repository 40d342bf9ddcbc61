//! `/admin/users`: the table (search, filters, sorting, pages) and creating
//! accounts; one account's page and actions are in `user`.

use super::with_query;
use crate::admin_query::UserListQuery;
use crate::client::ClientInfo;
use crate::error::PageError;
use crate::extract::HtmlForm;
use crate::flash::Flash;
use crate::guard::Admin;
use crate::pages::PageCtx;
use crate::session::Authenticated;
use crate::state::Portcullis;
use crate::views::rfc3339;
use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum_extra::extract::CookieJar;
use portcullis_core::access::{ReadsUsers, SeesRoles, UsersManage, UsersRead};
use portcullis_core::domain::role::USERS_MANAGE;
use portcullis_core::{Error, UserId, UserWithRoles};
use serde::Deserialize;
use serde_json::{Value, json};

pub(super) fn router() -> Router<Portcullis> {
    Router::new()
        .route("/admin/users", get(list).post(create))
        .route("/admin/users/new", get(new_form))
        .merge(super::user::router())
}

/// A user as a table row or detail page shows them.
pub(super) fn view(state: &Portcullis, u: &UserWithRoles) -> Value {
    let now = state.auth().clock().now();
    json!({
        "id": u.user.id,
        "username": u.user.username,
        "email": u.user.email,
        "service": u.user.is_service(),
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

pub(super) async fn with_roles(
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
pub(super) async fn assignable(
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
    jar: CookieJar,
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
        Ok(user) => Ok(super::done(
            &state,
            jar,
            Flash::AccountCreated,
            &format!("/admin/users/{}", user.id),
        )),
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

/// The CSRF token for forms in a fragment.
pub(super) fn csrf(auth: &Authenticated, state: &Portcullis) -> String {
    state.inner.csrf.for_session(&auth.token_hash)
}
