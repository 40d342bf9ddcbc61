//! `GET /api/admin/audit`: the audit log, newest first, filtered.

use super::bad;
use crate::error::{ApiError, Refusals};
use crate::extract::ApiQuery;
use crate::guard::Admin;
use crate::state::Portcullis;
use axum::Json;
use axum::extract::State;
use portcullis_core::access::{AuditRead, Authorized};
use portcullis_core::{AuditEvent, AuditFilter, AuditKind};
use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(super) fn router() -> OpenApiRouter<Portcullis> {
    OpenApiRouter::new().routes(routes!(audit))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
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

#[derive(Serialize, utoipa::ToSchema)]
struct AuditPage {
    total: i64,
    offset: i64,
    limit: i64,
    events: Vec<AuditEvent>,
}

/// An RFC 3339 instant the database can hold: in UTC it must fall within
/// the years 1 to 9999 (`9999-12-31T23:59:59-23:59` is past them).
pub(crate) fn storable_instant(value: &str) -> Option<OffsetDateTime> {
    let at = OffsetDateTime::parse(value, &Rfc3339).ok()?;
    let utc = at.checked_to_offset(UtcOffset::UTC)?;
    (1..=9999).contains(&utc.year()).then_some(utc)
}

fn timestamp(field: &str, value: Option<&str>) -> Result<Option<OffsetDateTime>, ApiError> {
    value
        .filter(|v| !v.is_empty())
        .map(|v| {
            storable_instant(v).ok_or_else(|| {
                bad(
                    field,
                    "Use an RFC 3339 timestamp between the years 1 and 9999, e.g. 2026-01-31T00:00:00Z.",
                )
            })
        })
        .transpose()
}

/// Turns the query into a filter, naming the field at fault.
pub(crate) async fn filter(
    state: &Portcullis,
    granted: &Authorized<AuditRead>,
    query: &AuditQuery,
) -> Result<AuditFilter, ApiError> {
    let user = match query.user.as_deref().filter(|u| !u.is_empty()) {
        Some(login) => Some(
            state
                .auth()
                .audit()
                .subject(granted, login)
                .await?
                .ok_or_else(|| bad("user", "No such user."))?,
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

/// The audit log, newest first, filtered.
#[utoipa::path(
    get,
    path = "/admin/audit",
    operation_id = "admin_audit",
    tag = "admin",
    security(("session" = []), ("bearer" = ["audit:read"])),
    params(AuditQuery),
    responses(
        (status = 200, description = "A page of events", body = AuditPage),
        Refusals,
    ),
)]
async fn audit(
    State(state): State<Portcullis>,
    Admin { granted, .. }: Admin<AuditRead>,
    ApiQuery(query): ApiQuery<AuditQuery>,
) -> Result<Json<AuditPage>, ApiError> {
    let filter = filter(&state, &granted, &query).await?;
    let (events, total) = state.auth().audit().list(&granted, &filter).await?;
    Ok(Json(AuditPage {
        total,
        offset: filter.offset,
        limit: filter.limit,
        events,
    }))
}

#[cfg(test)]
mod tests {
    use super::storable_instant;

    #[test]
    fn instants_outside_four_digit_years_in_utc_are_refused() {
        assert!(storable_instant("2026-01-31T00:00:00Z").is_some());
        assert!(storable_instant("9999-12-31T23:59:59-23:59").is_none());
        assert!(storable_instant("0000-01-01T00:00:00+01:00").is_none());
        assert!(storable_instant("yesterday").is_none());
    }
}
