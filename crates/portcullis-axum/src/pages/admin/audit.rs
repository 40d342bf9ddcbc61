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
use portcullis_core::access::AuditRead;
use portcullis_core::{AuditKind, UserId};
use serde_json::json;

pub(super) fn router() -> Router<Portcullis> {
    Router::new().route("/admin/audit", get(list))
}

const PAGE: i64 = 50;

/// A plain `YYYY-MM-DD` (what the date inputs send) as the RFC 3339 start
/// of that day in UTC, or of the day after it for the inclusive "to" date;
/// anything else is left for the filter to judge.
fn day_bound(value: &mut Option<String>, day_after: bool) {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let Some(date) = value
        .as_deref()
        .and_then(|v| time::Date::parse(v, &format).ok())
    else {
        return;
    };
    let date = if day_after {
        date.next_day()
    } else {
        Some(date)
    };
    *value = Some(match date {
        Some(d) => format!("{d}T00:00:00Z"),
        // The day after 9999-12-31 is past what the log can hold: no bound.
        None => String::new(),
    });
}

/// The date a bound shows in its input again.
fn shown_day(value: Option<&str>) -> Option<String> {
    value.map(|s| s.chars().take(10).collect())
}

async fn list(
    State(state): State<Portcullis>,
    Admin { granted, .. }: Admin<AuditRead>,
    page: PageCtx,
    query: Result<Query<AuditQuery>, QueryRejection>,
) -> Result<Response, PageError> {
    let Query(mut raw) = query
        .map_err(|_| PageError::new(StatusCode::BAD_REQUEST, "The filter could not be read."))?;
    // The form shows the dates as typed; the filter gets day bounds, "from"
    // and "to" both inclusive.
    let filters = json!({
        "user": raw.user, "type": raw.kind,
        "since": shown_day(raw.since.as_deref()), "until": shown_day(raw.until.as_deref()),
    });
    let kinds: Vec<&str> = AuditKind::ALL.iter().map(|k| k.as_str()).collect();
    day_bound(&mut raw.since, false);
    day_bound(&mut raw.until, true);
    raw.limit = Some(PAGE);
    let filter = match filter(&state, &granted, &raw).await {
        Ok(filter) => filter,
        Err(e) => {
            // A filter that cannot be applied is said on the page, beside
            // the form to correct it: an unknown user matches nothing (200),
            // a malformed value is the request's fault (422).
            let unknown_user = e.fields.len() == 1 && e.fields.contains_key("user");
            let (status, message) = if unknown_user {
                let name = raw.user.as_deref().unwrap_or_default().trim();
                (
                    StatusCode::OK,
                    format!("No account has the username or email \u{201c}{name}\u{201d}."),
                )
            } else {
                let what = e.fields.values().cloned().collect::<Vec<_>>().join(" ");
                (StatusCode::UNPROCESSABLE_ENTITY, what)
            };
            return Ok(page.render(
                &state,
                status,
                "admin/audit.html",
                json!({"events": [], "total": 0, "filters": filters, "kinds": kinds,
                       "error": message, "from": 0, "to": 0}),
            ));
        }
    };
    let (events, total) = state.auth().audit().list(&granted, &filter).await?;
    let names = state.auth().audit().names(&granted, &events).await?;
    // An account named by id, with its username while it exists.
    let who = |id: Option<UserId>| id.map(|id| json!({"id": id, "name": names.get(&id)}));
    let rows: Vec<_> = events
        .iter()
        .map(|e| {
            json!({
                "at": rfc3339(e.at), "kind": e.kind, "actor": who(e.actor), "target": who(e.target),
                "ip": e.ip, "user_agent": e.user_agent, "detail": e.detail.to_string(),
            })
        })
        .collect();
    let offset = filter.offset;
    let link = |offset: i64| {
        let mut q = vec![("offset", offset.to_string())];
        for (k, v) in [
            ("user", filters["user"].as_str()),
            ("type", filters["type"].as_str()),
            ("since", filters["since"].as_str()),
            ("until", filters["until"].as_str()),
        ] {
            if let Some(v) = v.filter(|v| !v.is_empty()) {
                q.push((k, v.to_owned()));
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
            "filters": filters,
            "kinds": kinds,
            "error": null,
            "prev": (offset > 0).then(|| link((offset - PAGE).max(0))),
            "next": (offset + PAGE < total).then(|| link(offset + PAGE)),
            "from": if total == 0 { 0 } else { offset + 1 },
            "to": (offset + PAGE).min(total),
        }),
    ))
}

#[cfg(test)]
mod tests {
    use super::day_bound;

    fn bound(value: &str, day_after: bool) -> Option<String> {
        let mut v = Some(value.to_owned());
        day_bound(&mut v, day_after);
        v
    }

    #[test]
    fn a_to_date_includes_its_whole_day() {
        assert_eq!(
            bound("2026-02-28", false).as_deref(),
            Some("2026-02-28T00:00:00Z")
        );
        assert_eq!(
            bound("2026-02-28", true).as_deref(),
            Some("2026-03-01T00:00:00Z")
        );
        assert_eq!(
            bound("2026-12-31", true).as_deref(),
            Some("2027-01-01T00:00:00Z")
        );
        assert_eq!(bound("9999-12-31", true).as_deref(), Some(""));
        // Timestamps and nonsense pass through for the filter to judge.
        assert_eq!(
            bound("2026-02-28T10:00:00Z", true).as_deref(),
            Some("2026-02-28T10:00:00Z")
        );
        assert_eq!(bound("2026-13-01", true).as_deref(), Some("2026-13-01"));
    }
}
