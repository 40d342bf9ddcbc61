//! `GET /api/admin/audit`: the audit log, newest first, filtered.

use super::bad;
use crate::error::ApiError;
use crate::guard::Permissions;
use crate::state::Portcullis;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use portcullis_core::domain::role::AUDIT_READ;
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
pub(crate) struct AuditQuery {
    /// Username or email of the user the events concern (as actor or target).
    pub user: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub since: Option<String>,
    pub until: Option<String>,
    pub offset: Option<i64>,
    pub limit: Option<i64>,
}

fn timestamp(field: &str, value: Option<&str>) -> Result<Option<OffsetDateTime>, ApiError> {
    value
        .filter(|v| !v.is_empty())
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

/// Turns the query into a filter, naming the field at fault.
pub(crate) async fn filter(
    state: &Portcullis,
    query: &AuditQuery,
) -> Result<AuditFilter, ApiError> {
    let user = match query.user.as_deref().filter(|u| !u.is_empty()) {
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
    let kind = match query.kind.as_deref().filter(|k| !k.is_empty()) {
        Some(name) => {
            Some(AuditKind::parse(name).ok_or_else(|| bad("type", "Unknown event type."))?)
        }
        None => None,
    };
    Ok(AuditFilter {
        user,
        kind,
        since: timestamp("since", query.since.as_deref())?,
        until: timestamp("until", query.until.as_deref())?,
        offset: query.offset.unwrap_or(0).max(0),
        limit: query.limit.unwrap_or(50).clamp(1, 500),
    })
}

async fn audit(
    State(state): State<Portcullis>,
    perms: Permissions,
    query: Result<Query<AuditQuery>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    perms.require_api(AUDIT_READ)?;
    let Query(query) = query
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "invalid_request", e.body_text()))?;
    let filter = filter(&state, &query).await?;
    let (events, total) = state.auth().audit_log(&filter).await?;
    Ok(Json(json!({
        "total": total, "offset": filter.offset, "limit": filter.limit, "events": events
    })))
}
