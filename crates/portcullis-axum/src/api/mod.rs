//! The JSON API under `/api`, for single-page apps and scripts. Errors are
//! always `{"error": {"code", "message", "fields"}}`.

mod admin;
pub(crate) use admin::audit as admin_audit;
mod auth;
mod email;
mod identities;
mod passkeys;
mod sessions;
pub(crate) mod tokens;
mod two_factor;

use crate::error::ApiError;
use crate::state::Portcullis;
use utoipa_axum::router::OpenApiRouter;

/// The API's routes, each mounted with its description (see
/// [`crate::openapi`]). Nested under `/api`.
pub(crate) fn router() -> OpenApiRouter<Portcullis> {
    OpenApiRouter::new()
        .merge(auth::router())
        .merge(email::router())
        .merge(sessions::router())
        .merge(two_factor::router())
        .merge(passkeys::router())
        .merge(tokens::router())
        .merge(identities::router())
        .merge(admin::router())
        .fallback(|| async {
            ApiError::new(
                axum::http::StatusCode::NOT_FOUND,
                "not_found",
                "No such endpoint.",
            )
        })
}
