//! `GET /api/sessions`, `DELETE /api/sessions/{id}`, `POST /api/sessions/revoke-others`:
//! the caller's own sessions, by session or by a token with `me:sessions`.

use crate::caller::Caller;
use crate::client::ClientInfo;
use crate::error::ApiError;
use crate::extract::ApiPath;
use crate::state::Portcullis;
use crate::views::SessionView;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use portcullis_core::SessionId;
use portcullis_core::domain::api_token::ME_SESSIONS;
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
    caller: Caller,
) -> Result<Json<SessionList>, ApiError> {
    caller.require_scope(ME_SESSIONS)?;
    let sessions = state.auth().sessions().list(&caller.user).await?;
    let views: Vec<SessionView> = sessions
        .iter()
        .map(|s| SessionView::new(s, caller.session()))
        .collect();
    Ok(Json(SessionList { sessions: views }))
}

async fn revoke(
    State(state): State<Portcullis>,
    caller: Caller,
    client: ClientInfo,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    caller.require_scope(ME_SESSIONS)?;
    state
        .auth()
        .sessions()
        .revoke_session(&caller.user, SessionId(id), &client.context())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn revoke_others(
    State(state): State<Portcullis>,
    caller: Caller,
    client: ClientInfo,
) -> Result<Json<Revoked>, ApiError> {
    caller.require_scope(ME_SESSIONS)?;
    let keep = caller.session().map(|s| s.id);
    let revoked = state
        .auth()
        .sessions()
        .revoke_other_sessions(&caller.user, keep, &client.context())
        .await?;
    Ok(Json(Revoked { revoked }))
}
