//! The administration pages under `/admin`. Every handler takes
//! [`Permissions`](crate::guard::Permissions) and checks what its action
//! needs; the pages work without JavaScript, and row actions sent with an
//! `HX-Request` header answer with just the updated table row.

mod audit;
mod roles;
mod users;

use crate::state::Portcullis;
use axum::Router;
use axum::http::HeaderMap;
use axum::response::Redirect;
use axum::routing::get;

pub(super) fn router() -> Router<Portcullis> {
    Router::new()
        .route("/admin", get(|| async { Redirect::to("/admin/users") }))
        .merge(users::router())
        .merge(roles::router())
        .merge(audit::router())
}

/// Whether the request wants a fragment for in-place update.
pub(super) fn is_partial(headers: &HeaderMap) -> bool {
    headers.get("hx-request").is_some_and(|v| v == "true")
}

/// The query string of a user-list link with one field changed.
pub(super) fn with_query(query: &crate::admin_query::UserListQuery, change: impl FnOnce(&mut crate::admin_query::UserListQuery)) -> String {
    let mut q = query.clone();
    change(&mut q);
    serde_urlencoded::to_string(&q).unwrap_or_default()
}
