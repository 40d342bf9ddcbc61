//! `/account/sessions`: the user's own sessions, with a button to end each
//! one and one to end all the others.

use super::PageCtx;
use crate::client::ClientInfo;
use crate::error::PageError;
use crate::extract::PagePath;
use crate::flash::Flash;
use crate::session::Authenticated;
use crate::state::Portcullis;
use crate::views::SessionView;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum_extra::extract::CookieJar;
use portcullis_core::SessionId;
use serde_json::json;

pub(super) fn router() -> Router<Portcullis> {
    Router::new()
        .route("/account/sessions", get(list))
        .route("/account/sessions/{id}/revoke", post(revoke))
        .route("/account/sessions/revoke-others", post(revoke_others))
}

async fn list(
    State(state): State<Portcullis>,
    auth: Authenticated,
    page: PageCtx,
) -> Result<Response, PageError> {
    let sessions = state.auth().sessions().list(&auth.user).await?;
    let views: Vec<SessionView> = sessions
        .iter()
        .map(|s| SessionView::new(s, Some(&auth.session)))
        .collect();
    Ok(page.render(
        &state,
        StatusCode::OK,
        "sessions.html",
        json!({"sessions": views}),
    ))
}

async fn revoke(
    State(state): State<Portcullis>,
    auth: Authenticated,
    client: ClientInfo,
    jar: CookieJar,
    PagePath(id): PagePath<i64>,
) -> Result<Response, PageError> {
    state
        .auth()
        .sessions()
        .revoke_session(&auth.user, SessionId(id), &client.context())
        .await?;
    if id == auth.session.id.0 {
        // Ending the session in use is logging out.
        let jar = Flash::LoggedOut.set(&state, jar);
        return Ok((jar, Redirect::to("/")).into_response());
    }
    let jar = Flash::SessionRevoked.set(&state, jar);
    Ok((jar, Redirect::to("/account/sessions")).into_response())
}

async fn revoke_others(
    State(state): State<Portcullis>,
    auth: Authenticated,
    client: ClientInfo,
    jar: CookieJar,
) -> Result<Response, PageError> {
    state
        .auth()
        .sessions()
        .revoke_other_sessions(&auth.user, Some(auth.session.id), &client.context())
        .await?;
    let jar = Flash::OthersRevoked.set(&state, jar);
    Ok((jar, Redirect::to("/account/sessions")).into_response())
}
