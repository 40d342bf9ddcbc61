//! `/account/passkeys`: the account's passkeys, adding one (the page's
//! script speaks to `/api/passkeys/register/*`), renaming and removing.
//! Everything here wants a recent login.

use super::{FormFailure, PageCtx};
use crate::client::ClientInfo;
use crate::error::PageError;
use crate::extract::{HtmlForm, PagePath};
use crate::flash::Flash;
use crate::guard::RequireRecentLogin;
use crate::state::Portcullis;
use crate::views::PasskeyView;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum_extra::extract::CookieJar;
use portcullis_core::domain::passkey::PasskeyId;
use portcullis_core::{Error, User};
use serde::Deserialize;
use serde_json::json;

pub(super) fn router() -> Router<Portcullis> {
    Router::new()
        .route("/account/passkeys", get(list))
        .route("/account/passkeys/{id}/rename", post(rename))
        .route("/account/passkeys/{id}/remove", post(remove))
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct AddedQuery {
    /// The page's script came back from adding one.
    added: Option<String>,
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct NameForm {
    name: String,
}

/// The page, with `failure` shown when a form was refused.
async fn page_of(
    state: &Portcullis,
    page: PageCtx,
    user: &User,
    failure: Option<FormFailure>,
    added: bool,
) -> Result<Response, PageError> {
    let passkeys = state.auth().passkeys();
    let listed = passkeys.list(user.id).await?;
    let views: Vec<PasskeyView> = listed.iter().map(PasskeyView::new).collect();
    let has_password = state.auth().identities().has_password(user).await?;
    let linked = !state.auth().identities().list(user.id).await?.is_empty();
    // Removing the last way in is refused; the page says so up front.
    let may_remove_last = has_password || linked;
    let context = json!({
        "passkeys": views,
        "unavailable": passkeys.unavailable().map(crate::error::passkeys_unavailable),
        "may_remove_last": may_remove_last,
        "default_name": "Passkey",
        "added": added,
    });
    Ok(match failure {
        Some(failure) => failure.render(page, state, "passkeys.html", context),
        None => page.render(state, StatusCode::OK, "passkeys.html", context),
    })
}

async fn list(
    State(state): State<Portcullis>,
    RequireRecentLogin(auth): RequireRecentLogin,
    Query(query): Query<AddedQuery>,
    page: PageCtx,
) -> Result<Response, PageError> {
    page_of(&state, page, &auth.user, None, query.added.is_some()).await
}

async fn rename(
    State(state): State<Portcullis>,
    RequireRecentLogin(auth): RequireRecentLogin,
    page: PageCtx,
    jar: CookieJar,
    PagePath(id): PagePath<i64>,
    HtmlForm(form): HtmlForm<NameForm>,
) -> Result<Response, PageError> {
    match state
        .auth()
        .passkeys()
        .rename(auth.user.id, PasskeyId(id), &form.name)
        .await
    {
        Ok(()) => Ok((
            Flash::PasskeyRenamed.set(&state, jar),
            Redirect::to("/account/passkeys"),
        )
            .into_response()),
        Err(err @ Error::Validation(_)) => {
            let failure = FormFailure::from_error(err)?;
            page_of(&state, page, &auth.user, Some(failure), false).await
        }
        Err(err) => Err(err.into()),
    }
}

async fn remove(
    State(state): State<Portcullis>,
    RequireRecentLogin(auth): RequireRecentLogin,
    client: ClientInfo,
    jar: CookieJar,
    PagePath(id): PagePath<i64>,
) -> Result<Response, PageError> {
    state
        .auth()
        .passkeys()
        .remove(&auth.user, &auth.session, PasskeyId(id), &client.context())
        .await?;
    Ok((
        Flash::PasskeyRemoved.set(&state, jar),
        Redirect::to("/account/passkeys"),
    )
        .into_response())
}
