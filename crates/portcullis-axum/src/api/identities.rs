//! `GET /api/oidc/providers`, `GET /api/identities`,
//! `DELETE /api/identities/{id}`: the providers one may sign in with (a
//! single-page app sends the browser to a provider's `login_url` with
//! `next`), and the caller's linked provider accounts.

use crate::caller::Caller;
use crate::client::ClientInfo;
use crate::error::{ApiError, Refusals};
use crate::extract::ApiPath;
use crate::session::Authenticated;
use crate::state::Portcullis;
use crate::views::IdentityView;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use portcullis_core::domain::api_token::ME_READ;
use portcullis_core::domain::identity::IdentityId;
use serde::Serialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// One provider one may sign in with.
#[derive(Serialize, utoipa::ToSchema)]
struct ProviderView {
    /// The configured id (`google`).
    id: String,
    /// The button text (`Google`).
    name: String,
    /// Where to send the browser to sign in; add `?next=/path` to come
    /// back there, and `&remember=1` for a remembered session.
    login_url: String,
}

/// The providers one may sign in with.
#[derive(Serialize, utoipa::ToSchema)]
struct ProviderList {
    providers: Vec<ProviderView>,
}

/// The caller's linked provider accounts.
#[derive(Serialize, utoipa::ToSchema)]
struct IdentityList {
    identities: Vec<IdentityView>,
    /// Whether the account has a password (without one, the last identity
    /// cannot be unlinked).
    has_password: bool,
}

pub(super) fn router() -> OpenApiRouter<Portcullis> {
    OpenApiRouter::new()
        .routes(routes!(providers))
        .routes(routes!(list))
        .routes(routes!(unlink))
}

/// The OpenID providers configured for signing in. Needs no
/// authentication.
#[utoipa::path(
    get,
    path = "/oidc/providers",
    operation_id = "list_oidc_providers",
    tag = "account",
    security(()),
    responses(
        (status = 200, description = "The providers", body = ProviderList),
        Refusals,
    ),
)]
async fn providers(State(state): State<Portcullis>) -> Json<ProviderList> {
    let providers = state
        .auth()
        .identities()
        .providers()
        .iter()
        .map(|p| ProviderView {
            id: p.id().to_owned(),
            name: p.name().to_owned(),
            login_url: format!("/auth/oidc/{}/login", p.id()),
        })
        .collect();
    Json(ProviderList { providers })
}

/// The provider accounts linked to the caller's account.
#[utoipa::path(
    get,
    path = "/identities",
    operation_id = "list_identities",
    tag = "account",
    security(("session" = []), ("bearer" = ["me:read"])),
    responses(
        (status = 200, description = "The linked identities", body = IdentityList),
        Refusals,
    ),
)]
async fn list(
    State(state): State<Portcullis>,
    caller: Caller,
) -> Result<Json<IdentityList>, ApiError> {
    caller.require_scope(ME_READ)?;
    let identities = state.auth().identities();
    let linked = identities.list(caller.user.id).await?;
    let has_password = identities.has_password(&caller.user).await?;
    Ok(Json(IdentityList {
        identities: linked
            .iter()
            .map(|i| IdentityView::new(i, &state))
            .collect(),
        has_password,
    }))
}

/// Unlinks one of the caller's provider accounts. Refused (403) when it is
/// the account's only way to sign in; another account's identity is 404.
/// Needs a session: an API token cannot change how its account signs in.
#[utoipa::path(
    delete,
    path = "/identities/{id}",
    operation_id = "unlink_identity",
    tag = "account",
    security(("session" = [], "csrf" = [])),
    params(("id" = i64, Path, description = "The identity's id")),
    responses(
        (status = 204, description = "The identity is unlinked"),
        Refusals,
    ),
)]
async fn unlink(
    State(state): State<Portcullis>,
    auth: Authenticated,
    client: ClientInfo,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    state
        .auth()
        .identities()
        .unlink(&auth.user, IdentityId(id), &client.context())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
