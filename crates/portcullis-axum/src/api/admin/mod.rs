//! The administrators' API under `/api/admin`. Every handler takes
//! [`Permissions`](crate::guard::Permissions) and checks the permission its
//! action needs: deny by default.

pub(crate) mod audit;
mod roles;
mod tokens;
mod users;

use crate::error::ApiError;
use crate::state::Portcullis;
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;

pub(super) fn router() -> OpenApiRouter<Portcullis> {
    OpenApiRouter::new()
        .merge(audit::router())
        .merge(users::router())
        .merge(roles::router())
        .merge(tokens::router())
}

/// A 400 naming the query or body field at fault.
pub(super) fn bad(field: &str, message: impl Into<String>) -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "invalid_request",
        "The request is invalid.",
    )
    .with_field(field, message)
}
