//! The administrators' API. Every route takes [`AdminUser`]: deny by default.

use crate::error::ApiError;
use crate::extract::AdminUser;
use crate::state::Portcullis;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use portcullis_core::{AuditFilter, AuditKind};
use serde::Deserialize;
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

pub(super) fn router() -> Router<Portcullis> {
    Router::new().route("/admin/audit", get(audit))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct AuditQuery {
    /// Username or email of the user the events concern (as actor or target).
    user: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    since: Option<String>,
    until: Option<String>,
    offset: Option<i64>,
    limit: Option<i64>,
}

fn bad(field: &str, message: impl Into<String>) -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "invalid_query",
        "The query is invalid.",
    )
    .with_field(field, message)
}

fn timestamp(field: &str, value: Option<&str>) -> Result<Option<OffsetDateTime>, ApiError> {
    value
        .map(|v| {
            OffsetDateTime::parse(v, &Rfc3339).map_err(|_| {
                bad(
                    field,
                    "Use an RFC 3339 timestamp, e.g. 2026-01-31T00:00:00Z.",
                )
            })
        })
        .transpose()
}

async fn audit(
    State(state): State<Portcullis>,
    _admin: AdminUser,
    query: Result<Query<AuditQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(query) = query
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", e.body_text()))?;
    let user = match &query.user {
        Some(login) => Some(
            state
                .auth()
                .find_user(login)
                .await
                .map_err(|_| bad("user", "No such user."))?
                .id,
        ),
        None => None,
    };
    let kind = match &query.kind {
        Some(name) => {
            Some(AuditKind::parse(name).ok_or_else(|| bad("type", "Unknown event type."))?)
        }
        None => None,
    };
    let filter = AuditFilter {
        user,
        kind,
        since: timestamp("since", query.since.as_deref())?,
        until: timestamp("until", query.until.as_deref())?,
        offset: query.offset.unwrap_or(0).max(0),
        limit: query.limit.unwrap_or(50).clamp(1, 500),
    };
    let (events, total) = state.auth().audit_log(&filter).await?;
    Ok(Json(
        json!({ "total": total, "offset": filter.offset, "limit": filter.limit, "events": events }),
    ))
}
