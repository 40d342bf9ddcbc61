//! `/admin/audit`: the audit log, newest first, filtered by user, event type
//! and date range, a page at a time.

use crate::api::admin_audit::{AuditQuery, filter};
use crate::error::PageError;
use crate::guard::Admin;
use crate::pages::PageCtx;
use crate::state::Portcullis;
use crate::views::rfc3339;
use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use portcullis_core::AuditKind;
use portcullis_core::access::AuditRead;
use serde_json::json;

pub(super) fn router() -> Router<Portcullis> {
    Router::new().route("/admin/audit", get(list))
}

const PAGE: i64 = 50;

async fn list(
    State(state): State<Portcullis>,
    Admin { granted, .. }: Admin<AuditRead>,
    page: PageCtx,
    query: Result<Query<AuditQuery>, QueryRejection>,
) -> Result<Response, PageError> {
    let Query(mut raw) = query
        .map_err(|_| PageError::new(StatusCode::BAD_REQUEST, "The filter could not be read."))?;
    // The date inputs send plain dates; the filter takes timestamps.
    for value in [&mut raw.since, &mut raw.until] {
        if let Some(v) = value.as_mut().filter(|v| v.len() == 10) {
            v.push_str("T00:00:00Z");
        }
    }
    raw.limit = Some(PAGE);
    let filter = filter(&state, &granted, &raw).await.map_err(|e| {
        PageError::new(
            StatusCode::BAD_REQUEST,
            e.fields.values().cloned().collect::<Vec<_>>().join(" "),
        )
    })?;
    let (events, total) = state.auth().audit().list(&granted, &filter).await?;
    let rows: Vec<_> = events
        .iter()
        .map(|e| {
            json!({
                "at": rfc3339(e.at), "kind": e.kind, "actor": e.actor, "target": e.target,
                "ip": e.ip, "user_agent": e.user_agent, "detail": e.detail.to_string(),
            })
        })
        .collect();
    let offset = filter.offset;
    let link = |offset: i64| {
        let mut q = vec![("offset", offset.to_string())];
        for (k, v) in [
            ("user", &raw.user),
            ("type", &raw.kind),
            ("since", &raw.since),
            ("until", &raw.until),
        ] {
            if let Some(v) = v.as_ref().filter(|v| !v.is_empty()) {
                q.push((k, v.clone()));
            }
        }
        serde_urlencoded::to_string(q).unwrap_or_default()
    };
    Ok(page.render(
        &state,
        StatusCode::OK,
        "admin/audit.html",
        json!({
            "events": rows,
            "total": total,
            "filters": {"user": raw.user, "type": raw.kind,
                        "since": raw.since.as_deref().map(|s| s.chars().take(10).collect::<String>()),
                        "until": raw.until.as_deref().map(|s| s.chars().take(10).collect::<String>())},
            "kinds": AuditKind::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>(),
            "prev": (offset > 0).then(|| link((offset - PAGE).max(0))),
            "next": (offset + PAGE < total).then(|| link(offset + PAGE)),
            "from": if total == 0 { 0 } else { offset + 1 },
            "to": (offset + PAGE).min(total),
        }),
    ))
}
