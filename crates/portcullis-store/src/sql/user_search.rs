//! The administrators' user search: a substring of the username or email,
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
//! A substring is `key LIKE '%text%' ESCAPE '\'` on the case-folded keys,
//! with `%`, `_` and the escape character in the text escaped so that they
//! match themselves. No index serves a match in the middle of a key, so
//! this reads every row of `users`: an administrator's search is rare and
//! the keys are short, and finding `smith` inside `j.smith@example.com` is
//! what a person searching expects.
//! Both keys are stored folded to lowercase, and the text is folded the same
//! way, so the match ignores case on both backends (PostgreSQL's LIKE itself
//! is case-sensitive).

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
    if let Some(pattern) = query.contains.as_deref().and_then(like_pattern) {
        sql.push(" AND (username_key LIKE ")
            .push_bind(pattern.clone())
            .push(" ESCAPE '\\' OR email_key LIKE ")
            .push_bind(pattern)
            .push(" ESCAPE '\\')");
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

/// The LIKE pattern matching keys that contain `text` as it is, case
/// folded as the keys are (SQLite's LIKE ignores ASCII case and
/// PostgreSQL's does not, so the fold makes both agree), or `None` for an
/// empty text (no filter).
fn like_pattern(text: &str) -> Option<String> {
    if text.is_empty() {
        return None;
    }
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    Some(pattern)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_and_the_escape_character_are_escaped() {
        assert_eq!(like_pattern("aB").as_deref(), Some("%ab%"));
        assert_eq!(like_pattern("a%b_c").as_deref(), Some("%a\\%b\\_c%"));
        assert_eq!(like_pattern("a\\b").as_deref(), Some("%a\\\\b%"));
        assert_eq!(like_pattern("z\u{e9}").as_deref(), Some("%z\u{e9}%"));
    }

    #[test]
    fn an_empty_text_is_no_filter() {
        assert_eq!(like_pattern(""), None);
    }
}
