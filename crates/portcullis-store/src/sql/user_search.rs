//! The administrators' user search: a prefix of the username or email,
//! filters, one sort key and a page, over `users`.
//!
//! As for the audit log (see `sql::audit`), the WHERE clause is assembled
//! from fixed fragments, one per filter that is set, so that each backend
//! plans a plain comparison and picks the matching index; a single text with
//! `($1 IS NULL OR col = $1)` would leave SQLite scanning the whole table.
//! Only values are bound: nothing from the query becomes SQL text. sqlx's
//! `QueryBuilder` numbers its binds in order (`?` on SQLite, `$n` on
//! PostgreSQL), so a value used twice is bound twice.
//!
//! A prefix is a range on the case-folded keys, `key >= 'ab' AND key < 'ac'`,
//! which both backends answer from the keys' unique indexes, rather than
//! `LIKE 'ab%'`, which needs its `%` and `_` escaped and an index built for
//! it. The range means "starts with" under byte order: SQLite compares text
//! bytewise, and migration 0004 gives the keys the "C" collation on
//! PostgreSQL. UTF-8 byte order is code point order, so the upper bound is the
//! prefix with its last character moved to the next code point.

use crate::sql::users::{COUNT_SEARCH_USERS, SEARCH_USERS};
use crate::timestamp::Timestamp;
use portcullis_core::domain::query::{UserQuery, UserSort};
use sqlx::{Database, Encode, QueryBuilder, Type};

/// The largest page [`search_users`] returns, whatever the query asks for.
pub(crate) const MAX_PAGE: i64 = 500;

/// Users matching `query`, in its order, one page of at least 1 and at most
/// [`MAX_PAGE`] users; a negative offset reads as 0.
pub(crate) fn search_users<DB>(query: &UserQuery) -> QueryBuilder<DB>
where
    DB: Database,
    DB::Arguments: Default,
    i64: Encode<'static, DB> + Type<DB>,
    String: Encode<'static, DB> + Type<DB>,
    Timestamp: Encode<'static, DB> + Type<DB>,
{
    let mut sql = filtered(SEARCH_USERS, query);
    sql.push(order_by(query.sort, query.descending))
        .push(" LIMIT ")
        .push_bind(query.limit.clamp(1, MAX_PAGE))
        .push(" OFFSET ")
        .push_bind(query.offset.max(0));
    sql
}

/// How many users match `query`, ignoring its sort and page.
pub(crate) fn count_search_users<DB>(query: &UserQuery) -> QueryBuilder<DB>
where
    DB: Database,
    DB::Arguments: Default,
    i64: Encode<'static, DB> + Type<DB>,
    String: Encode<'static, DB> + Type<DB>,
    Timestamp: Encode<'static, DB> + Type<DB>,
{
    filtered(COUNT_SEARCH_USERS, query)
}

/// Ties are broken by id in the same direction, so pages never overlap or
/// skip. Users who never logged in come last both ways; both backends accept
/// `NULLS LAST` (SQLite since 3.30). Username and email keys are unique and
/// need no tie-break.
fn order_by(sort: UserSort, descending: bool) -> &'static str {
    match (sort, descending) {
        (UserSort::Id, false) => " ORDER BY id",
        (UserSort::Id, true) => " ORDER BY id DESC",
        (UserSort::Username, false) => " ORDER BY username_key",
        (UserSort::Username, true) => " ORDER BY username_key DESC",
        (UserSort::Email, false) => " ORDER BY email_key",
        (UserSort::Email, true) => " ORDER BY email_key DESC",
        (UserSort::CreatedAt, false) => " ORDER BY created_at, id",
        (UserSort::CreatedAt, true) => " ORDER BY created_at DESC, id DESC",
        (UserSort::LastLogin, false) => " ORDER BY current_login_at NULLS LAST, id",
        (UserSort::LastLogin, true) => " ORDER BY current_login_at DESC NULLS LAST, id DESC",
    }
}

/// `head` (ending in `WHERE TRUE`) narrowed by each filter that is set.
fn filtered<DB>(head: &'static str, query: &UserQuery) -> QueryBuilder<DB>
where
    DB: Database,
    DB::Arguments: Default,
    i64: Encode<'static, DB> + Type<DB>,
    String: Encode<'static, DB> + Type<DB>,
    Timestamp: Encode<'static, DB> + Type<DB>,
{
    let mut sql = QueryBuilder::new(head);
    if let Some((low, high)) = query.prefix.as_deref().and_then(prefix_range) {
        // Two ranges joined by OR: SQLite's multi-index OR and PostgreSQL's
        // BitmapOr search both unique indexes.
        match high {
            Some(high) => sql
                .push(" AND ((username_key >= ")
                .push_bind(low.clone())
                .push(" AND username_key < ")
                .push_bind(high.clone())
                .push(") OR (email_key >= ")
                .push_bind(low)
                .push(" AND email_key < ")
                .push_bind(high)
                .push("))"),
            None => sql
                .push(" AND (username_key >= ")
                .push_bind(low.clone())
                .push(" OR email_key >= ")
                .push_bind(low)
                .push(")"),
        };
    }
    if let Some(role) = &query.role {
        // Membership as `id IN (members)`, with the role's id looked up on
        // its own, rather than a correlated EXISTS: SQLite would probe the
        // EXISTS once per user in id order, and PostgreSQL, not knowing
        // which role_id the name stands for, merges the whole users index
        // against user_roles. This way both read the role's members from
        // the (role_id, user_id) index, already in id order, and fetch only
        // those users. A role that does not exist matches no one.
        sql.push(
            " AND id IN (SELECT user_id FROM user_roles WHERE role_id = \
             (SELECT id FROM roles WHERE name = ",
        )
        .push_bind(role.clone())
        .push("))");
    }
    match query.active {
        Some(true) => sql.push(" AND is_active"),
        Some(false) => sql.push(" AND NOT is_active"),
        None => &mut sql,
    };
    match query.confirmed {
        Some(true) => sql.push(" AND confirmed_at IS NOT NULL"),
        Some(false) => sql.push(" AND confirmed_at IS NULL"),
        None => &mut sql,
    };
    // A lock that has run out no longer counts. Without an instant to judge
    // by, any lock still recorded does.
    match (query.locked, query.now) {
        (Some(true), Some(now)) => sql
            .push(" AND locked_until > ")
            .push_bind(Timestamp::new(now)),
        (Some(false), Some(now)) => sql
            .push(" AND (locked_until IS NULL OR locked_until <= ")
            .push_bind(Timestamp::new(now))
            .push(")"),
        (Some(true), None) => sql.push(" AND locked_until IS NOT NULL"),
        (Some(false), None) => sql.push(" AND locked_until IS NULL"),
        (None, _) => &mut sql,
    };
    sql
}

/// The range of keys starting with `prefix`: at least `prefix`, and below
/// the first string past all of them (`None` when there is none, for a
/// prefix of only U+10FFFF). An empty prefix matches everything: no range.
fn prefix_range(prefix: &str) -> Option<(String, Option<String>)> {
    if prefix.is_empty() {
        return None;
    }
    let mut head: Vec<char> = prefix.chars().collect();
    // A last character with no successor cannot be incremented; every key
    // starting with the rest and below its successor then qualifies.
    while let Some(last) = head.pop() {
        if let Some(next) = successor(last) {
            head.push(next);
            return Some((prefix.to_owned(), Some(head.into_iter().collect())));
        }
    }
    Some((prefix.to_owned(), None))
}

/// The next Unicode scalar value, stepping over the surrogate gap.
fn successor(c: char) -> Option<char> {
    match c {
        '\u{D7FF}' => Some('\u{E000}'),
        _ => char::from_u32(u32::from(c) + 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(prefix: &str) -> Option<(String, Option<String>)> {
        prefix_range(prefix)
    }

    #[test]
    fn the_upper_bound_increments_the_last_character() {
        assert_eq!(range("ab"), Some(("ab".into(), Some("ac".into()))));
        assert_eq!(range("a%"), Some(("a%".into(), Some("a&".into()))));
        assert_eq!(range("a_"), Some(("a_".into(), Some("a`".into()))));
        assert_eq!(
            range("z\u{e9}"),
            Some(("z\u{e9}".into(), Some("z\u{ea}".into())))
        );
    }

    #[test]
    fn characters_without_a_successor_are_dropped_from_the_bound() {
        assert_eq!(
            range("a\u{10FFFF}"),
            Some(("a\u{10FFFF}".into(), Some("b".into())))
        );
        assert_eq!(range("\u{10FFFF}"), Some(("\u{10FFFF}".into(), None)));
        assert_eq!(successor('\u{D7FF}'), Some('\u{E000}'));
    }

    #[test]
    fn an_empty_prefix_is_no_filter() {
        assert_eq!(range(""), None);
    }
}
