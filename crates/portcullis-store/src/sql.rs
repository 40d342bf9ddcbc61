//! Every statement the store runs, written once for both backends.
//!
//! The dialect is the common ground of SQLite (3.35+) and PostgreSQL:
//! `$N` placeholders (sqlx-sqlite binds `$N` by number, so a placeholder may
//! repeat), `RETURNING`, `ON CONFLICT ... DO NOTHING` and `DO UPDATE`
//! (upsert). Booleans are compared with `NOT col`, which reads 0/1 integers on
//! SQLite and booleans on PostgreSQL alike. Timestamps are bound as the
//! store's `Timestamp`, so comparisons are numeric on SQLite and
//! `timestamptz` on PostgreSQL.

pub(crate) mod api_tokens;
pub(crate) mod audit;
pub(crate) mod email_tokens;
pub(crate) mod identities;
pub(crate) mod imports;
pub(crate) mod mail;
pub(crate) mod passkeys;
pub(crate) mod rate_limits;
pub(crate) mod roles;
pub(crate) mod sessions;
pub(crate) mod two_factor;
pub(crate) mod user_search;
pub(crate) mod users;

/// The cheapest statement that proves the database answers.
pub(crate) const PING: &str = "SELECT 1";

/// Both backends gather planner statistics for every table with this.
pub(crate) const ANALYZE: &str = "ANALYZE";

/// `head` (ending in `IN `) with the list of `ids` bound one by one. `ids`
/// must not be empty: `IN ()` is not SQL.
pub(crate) fn with_ids<DB>(
    head: &'static str,
    ids: &[portcullis_core::UserId],
) -> sqlx::QueryBuilder<DB>
where
    DB: sqlx::Database,
    DB::Arguments: Default,
    i64: sqlx::Encode<'static, DB> + sqlx::Type<DB>,
{
    let mut sql = sqlx::QueryBuilder::new(head);
    sql.push("(");
    let mut separated = sql.separated(", ");
    for id in ids {
        separated.push_bind(id.0);
    }
    sql.push(")");
    sql
}
