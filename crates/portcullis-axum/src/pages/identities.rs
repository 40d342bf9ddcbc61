//! `/account/identities`: the providers linked to the account, linking
//! another, and unlinking (never the last way in).

use super::PageCtx;
use crate::client::ClientInfo;
use crate::error::PageError;
use crate::extract::PagePath;
use crate::flash::Flash;
use crate::session::Authenticated;
use crate::state::Portcullis;
use crate::views::IdentityView;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum_extra::extract::CookieJar;
use portcullis_core::domain::identity::IdentityId;
use serde_json::json;

pub(super) fn router() -> Router<Portcullis> {
    Router::new()
        .route("/account/identities", get(list))
        .route("/account/identities/link/{provider}", post(link))
        .route("/account/identities/{id}/unlink", post(unlink))
}

async fn list(
    State(state): State<Portcullis>,
    auth: Authenticated,
    page: PageCtx,
) -> Result<Response, PageError> {
    let identities = state.auth().identities();
    let linked = identities.list(auth.user.id).await?;
    let has_password = identities.has_password(&auth.user).await?;
    let views: Vec<IdentityView> = linked
        .iter()
        .map(|i| IdentityView::new(i, &state))
        .collect();
    let unlinked: Vec<_> = identities
        .providers()
        .iter()
        .filter(|p| !linked.iter().any(|i| i.provider == p.id()))
        .map(|p| json!({"id": p.id(), "name": p.name()}))
        .collect();
    // Unlinking the last way in is refused; the page says so up front.
    let may_unlink = has_password || linked.len() > 1;
    Ok(page.render(
        &state,
        StatusCode::OK,
        "identities.html",
        json!({"identities": views, "unlinked": unlinked, "has_password": has_password,
               "may_unlink": may_unlink, "error": null}),
    ))
}

async fn link(
    State(state): State<Portcullis>,
    _auth: Authenticated,
    page: PageCtx,
    jar: CookieJar,
    client: ClientInfo,
    PagePath(provider): PagePath<String>,
) -> Response {
    super::oidc::start_link(&state, page, jar, &client, &provider).await
}

async fn unlink(
    State(state): State<Portcullis>,
    auth: Authenticated,
    client: ClientInfo,
    jar: CookieJar,
    PagePath(id): PagePath<i64>,
) -> Result<Response, PageError> {
    state
        .auth()
        .identities()
        .unlink(&auth.user, IdentityId(id), &client.context())
        .await?;
    Ok((
        Flash::IdentityUnlinked.set(&state, jar),
        Redirect::to("/account/identities"),
    )
        .into_response())
}
