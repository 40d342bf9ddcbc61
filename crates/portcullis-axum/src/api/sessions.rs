//! `GET /api/sessions`, `DELETE /api/sessions/{id}`, `POST /api/sessions/revoke-others`.

use crate::client::ClientInfo;
use crate::error::ApiError;
use crate::extract::ApiPath;
use crate::session::Authenticated;
use crate::state::Portcullis;
use crate::views::SessionView;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use portcullis_core::SessionId;
use serde::Serialize;

/// The caller's live sessions.
#[derive(Serialize)]
struct SessionList {
    sessions: Vec<SessionView>,
}

/// How many sessions were ended.
#[derive(Serialize)]
struct Revoked {
    revoked: u64,
}

pub(super) fn router() -> Router<Portcullis> {
    Router::new()
        .route("/sessions", get(list))
        .route("/sessions/{id}", delete(revoke))
        .route("/sessions/revoke-others", post(revoke_others))
}

async fn list(
    State(state): State<Portcullis>,
    auth: Authenticated,
) -> Result<Json<SessionList>, ApiError> {
    let sessions = state.auth().sessions().list(&auth.user).await?;
    let views: Vec<SessionView> = sessions
        .iter()
        .map(|s| SessionView::new(s, &auth.session))
        .collect();
    Ok(Json(SessionList { sessions: views }))
}

async fn revoke(
    State(state): State<Portcullis>,
    auth: Authenticated,
    client: ClientInfo,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    state
        .auth()
        .sessions()
        .revoke_session(&auth.user, SessionId(id), &client.context())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn revoke_others(
    State(state): State<Portcullis>,
    auth: Authenticated,
    client: ClientInfo,
) -> Result<Json<Revoked>, ApiError> {
    let revoked = state
        .auth()
        .sessions()
        .revoke_other_sessions(&auth.user, auth.session.id, &client.context())
        .await?;
    Ok(Json(Revoked { revoked }))
}
