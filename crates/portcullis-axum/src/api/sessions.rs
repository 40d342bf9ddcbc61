//! `GET /api/sessions`, `DELETE /api/sessions/{id}`, `POST /api/sessions/revoke-others`:
//! the caller's own sessions, by session or by a token with `me:sessions`.

use crate::caller::Caller;
use crate::client::ClientInfo;
use crate::error::{ApiError, Refusals};
use crate::extract::ApiPath;
use crate::state::Portcullis;
use crate::views::SessionView;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use portcullis_core::SessionId;
use portcullis_core::domain::api_token::ME_SESSIONS;
use serde::Serialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The caller's live sessions.
#[derive(Serialize, utoipa::ToSchema)]
struct SessionList {
    sessions: Vec<SessionView>,
}

/// How many sessions were ended.
#[derive(Serialize, utoipa::ToSchema)]
struct Revoked {
    revoked: u64,
}

pub(super) fn router() -> OpenApiRouter<Portcullis> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(revoke))
        .routes(routes!(revoke_others))
}

/// The caller's live sessions, newest first.
#[utoipa::path(
    get,
    path = "/sessions",
    operation_id = "list_sessions",
    tag = "sessions",
    security(("session" = []), ("bearer" = ["me:sessions"])),
    responses(
        (status = 200, description = "The sessions", body = SessionList),
        Refusals,
    ),
)]
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

/// Ends one of the caller's sessions (another account's session is 404).
#[utoipa::path(
    delete,
    path = "/sessions/{id}",
    operation_id = "revoke_session",
    tag = "sessions",
    security(("session" = [], "csrf" = []), ("bearer" = ["me:sessions"])),
    params(("id" = i64, Path, description = "The session's id")),
    responses(
        (status = 204, description = "The session is ended"),
        Refusals,
    ),
)]
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

/// Ends every session of the caller but the current one.
#[utoipa::path(
    post,
    path = "/sessions/revoke-others",
    operation_id = "revoke_other_sessions",
    tag = "sessions",
    security(("session" = [], "csrf" = []), ("bearer" = ["me:sessions"])),
    responses(
        (status = 200, description = "How many sessions ended", body = Revoked),
        Refusals,
    ),
)]
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
