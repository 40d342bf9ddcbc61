//! The administration pages under `/admin`. Every handler takes
//! [`Permissions`](crate::guard::Permissions) and checks what its action
//! needs; the pages work without JavaScript, and row actions sent with an
//! `HX-Request` header answer with just the updated table row.

mod audit;
mod roles;
mod tokens;
mod user;
mod users;

use crate::error::PageError;
use crate::flash::Flash;
use crate::session::Authenticated;
use crate::state::Portcullis;
use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum_extra::extract::CookieJar;
use portcullis_core::domain::role::{AUDIT_READ, ROLES_MANAGE, USERS_READ};

pub(super) fn router() -> Router<Portcullis> {
    Router::new()
        .route("/admin", get(home))
        .merge(users::router())
        .merge(roles::router())
        .merge(tokens::router())
        .merge(audit::router())
}

/// `/admin` leads to the first section the user may see.
async fn home(auth: Authenticated) -> Result<Redirect, PageError> {
    for (permission, path) in [
        (USERS_READ, "/admin/users"),
        (ROLES_MANAGE, "/admin/roles"),
        (AUDIT_READ, "/admin/audit"),
    ] {
        if auth.permissions.holds(permission) {
            return Ok(Redirect::to(path));
        }
    }
    Err(PageError::new(
        StatusCode::FORBIDDEN,
        "You do not have permission to access this page.",
    ))
}

/// After an action: back to `to`, with `flash` saying what was done.
pub(super) fn done(state: &Portcullis, jar: CookieJar, flash: Flash, to: &str) -> Response {
    (flash.set(state, jar), Redirect::to(to)).into_response()
}

/// Whether the request wants a fragment for in-place update.
pub(super) fn is_partial(headers: &HeaderMap) -> bool {
    headers.get("hx-request").is_some_and(|v| v == "true")
}

/// The query string of a user-list link with one field changed.
pub(super) fn with_query(
    query: &crate::admin_query::UserListQuery,
    change: impl FnOnce(&mut crate::admin_query::UserListQuery),
) -> String {
    let mut q = query.clone();
    change(&mut q);
    serde_urlencoded::to_string(&q).unwrap_or_default()
}
