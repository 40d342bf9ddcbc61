//! Statements on `audit_events`: appending, and listing under a filter.
//!
//! Every filter is optional. Written once as `($1 IS NULL OR col = $1)`, one
//! text would serve them all, but SQLite plans such a statement before it
//! knows which binds are NULL, so it can use none of the indexes and scans
//! the whole log, newest first, for every filtered page. Instead the WHERE
//! clause is assembled from the fixed fragments below, one per filter that is
//! set: each backend sees a plain `col = $n` and picks the matching index.
//! There are at most sixteen shapes, each prepared once per connection, and
//! only values are ever bound: nothing from the filter becomes SQL text.

use crate::timestamp::Timestamp;
use portcullis_core::AuditFilter;
use sqlx::{Database, Encode, QueryBuilder, Type};

/// `$1` at, `$2` kind, `$3` actor_id, `$4` target_id, `$5` ip,
/// `$6` user_agent, `$7` detail (JSON text).
pub(crate) const INSERT_AUDIT: &str = "INSERT INTO audit_events \
     (at, kind, actor_id, target_id, ip, user_agent, detail) \
     VALUES ($1, $2, $3, $4, $5, $6, $7)";

/// The columns an `AuditEvent` is read from; the filters follow `WHERE TRUE`.
const LIST_AUDIT: &str = "SELECT id, at, kind, actor_id, target_id, ip, user_agent, detail \
     FROM audit_events WHERE TRUE";

const COUNT_AUDIT: &str = "SELECT COUNT(*) FROM audit_events WHERE TRUE";

/// The largest page [`list_audit`] returns, whatever the filter asks for.
pub(crate) const MAX_PAGE: i64 = 1000;

/// Events matching `filter`, newest first (by id: ids only grow, while two
/// events may share an instant), one page of at least 1 and at most
/// [`MAX_PAGE`] events; a negative offset reads as 0.
pub(crate) fn list_audit<DB>(filter: &AuditFilter) -> QueryBuilder<DB>
where
    DB: Database,
    DB::Arguments: Default,
    i64: Encode<'static, DB> + Type<DB>,
    &'static str: Encode<'static, DB> + Type<DB>,
    Timestamp: Encode<'static, DB> + Type<DB>,
{
    let mut query = filtered(LIST_AUDIT, filter);
    query
        .push(" ORDER BY id DESC LIMIT ")
        .push_bind(filter.limit.clamp(1, MAX_PAGE))
        .push(" OFFSET ")
        .push_bind(filter.offset.max(0));
    query
}

/// How many events match `filter`, ignoring its offset and limit.
pub(crate) fn count_audit<DB>(filter: &AuditFilter) -> QueryBuilder<DB>
where
    DB: Database,
    DB::Arguments: Default,
    i64: Encode<'static, DB> + Type<DB>,
    &'static str: Encode<'static, DB> + Type<DB>,
    Timestamp: Encode<'static, DB> + Type<DB>,
{
    filtered(COUNT_AUDIT, filter)
}

/// `head` (ending in `WHERE TRUE`) narrowed by each filter that is set.
fn filtered<DB>(head: &'static str, filter: &AuditFilter) -> QueryBuilder<DB>
where
    DB: Database,
    DB::Arguments: Default,
    i64: Encode<'static, DB> + Type<DB>,
    &'static str: Encode<'static, DB> + Type<DB>,
    Timestamp: Encode<'static, DB> + Type<DB>,
{
    let mut query = QueryBuilder::new(head);
    if let Some(user) = filter.user {
        // Both columns are indexed with id, so this is two index searches
        // (SQLite's multi-index OR, PostgreSQL's BitmapOr), not a scan.
        query
            .push(" AND (actor_id = ")
            .push_bind(user.0)
            .push(" OR target_id = ")
            .push_bind(user.0)
            .push(")");
    }
    if let Some(kind) = filter.kind {
        query.push(" AND kind = ").push_bind(kind.as_str());
    }
    if let Some(since) = filter.since {
        query.push(" AND at >= ").push_bind(Timestamp::new(since));
    }
    if let Some(until) = filter.until {
        query.push(" AND at < ").push_bind(Timestamp::new(until));
    }
    query
}
