//! Statements on `users`: accounts, credentials and login tracking.

/// The `users` columns a `User` is read from, as a literal for `concat!`.
macro_rules! user_columns {
    () => {
        "id, username, email, name, is_active, confirmed_at, created_at, last_login_at, \
         last_login_ip, current_login_at, current_login_ip, login_count, locked_until, \
         last_seen_at, kind"
    };
}

/// `$1` username, `$2` username_key, `$3` email, `$4` email_key,
/// `$5` password_hash, `$6` is_active, `$7` confirmed_at, `$8` created_at,
/// `$9` kind.
pub(crate) const INSERT_USER: &str = concat!(
    "INSERT INTO users (username, username_key, email, email_key, password_hash, \
     is_active, confirmed_at, created_at, updated_at, kind) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9) RETURNING ",
    user_columns!()
);

/// `$1` id.
pub(crate) const USER_BY_ID: &str =
    concat!("SELECT ", user_columns!(), " FROM users WHERE id = $1");

/// `$1` login key. When one account's username key is another's email key,
/// the username match wins: usernames are what people are told to log in with.
pub(crate) const CREDENTIAL_BY_LOGIN: &str = concat!(
    "SELECT ",
    user_columns!(),
    ", password_hash FROM users WHERE username_key = $1 OR email_key = $1 \
     ORDER BY CASE WHEN username_key = $1 THEN 0 ELSE 1 END LIMIT 1"
);

/// `$1` id, `$2` hash, `$3` the time of the change (from core's clock).
pub(crate) const SET_PASSWORD_HASH: &str =
    "UPDATE users SET password_hash = $2, updated_at = $3 WHERE id = $1";

/// `$1` id, `$2` at.
pub(crate) const CLEAR_PASSWORD: &str =
    "UPDATE users SET password_hash = NULL, updated_at = $2 WHERE id = $1";

/// `$1` id, `$2` at, `$3` ip. Right-hand sides see the row as it was before
/// the UPDATE on both backends, so the shift and the count are one atomic step.
/// A successful login ends the run of failures, but a lock that is in force
/// at `$2` (set while this login was being checked) stays, with its count.
/// A login is not an edit of the account, so `updated_at` stays.
pub(crate) const RECORD_LOGIN: &str = "UPDATE users SET \
     last_login_at = current_login_at, last_login_ip = current_login_ip, \
     current_login_at = $2, current_login_ip = $3, \
     login_count = login_count + 1, \
     failed_logins = CASE WHEN locked_until > $2 THEN failed_logins ELSE 0 END, \
     locked_until = CASE WHEN locked_until > $2 THEN locked_until ELSE NULL END \
     WHERE id = $1";

/// `$1` id, `$2` now. Counts an attempt before its password is checked: the
/// increment and the read are one statement, so parallel attempts (from
/// several instances, say) each get their own number and none is lost. On a
/// locked account nothing is counted; once a lock has expired the run
/// starts again at 1. No row back means no such user.
pub(crate) const RESERVE_LOGIN_ATTEMPT: &str = "UPDATE users SET \
     failed_logins = CASE WHEN locked_until > $2 THEN failed_logins \
                          WHEN locked_until IS NOT NULL THEN 1 \
                          ELSE failed_logins + 1 END, \
     locked_until = CASE WHEN locked_until > $2 THEN locked_until ELSE NULL END \
     WHERE id = $1 RETURNING failed_logins, locked_until";

/// `$1` id, `$2` now: gives back one reserved attempt, unless locked.
pub(crate) const RELEASE_LOGIN_ATTEMPT: &str = "UPDATE users SET \
     failed_logins = failed_logins - 1 \
     WHERE id = $1 AND failed_logins > 0 AND (locked_until IS NULL OR locked_until <= $2)";

/// `$1` id, `$2` until, `$3` now. The failures that led to the lock are
/// spent: once it expires the account starts counting afresh. A lock in
/// force at `$3` is left as it is, never extended.
pub(crate) const LOCK_USER: &str = "UPDATE users SET locked_until = $2, failed_logins = 0 \
     WHERE id = $1 AND (locked_until IS NULL OR locked_until <= $3)";

/// `$1` id: a write that changes nothing, for the row lock.
/// (`id` is an identity column on PostgreSQL, which refuses `SET id = id`.)
pub(crate) const LOCK_ACCOUNT: &str = "UPDATE users SET updated_at = updated_at WHERE id = $1";

/// `$1` id.
pub(crate) const UNLOCK_USER: &str =
    "UPDATE users SET locked_until = NULL, failed_logins = 0 WHERE id = $1";

/// `$1` id, `$2` is_active, `$3` the time of the change.
pub(crate) const SET_ACTIVE: &str =
    "UPDATE users SET is_active = $2, updated_at = $3 WHERE id = $1";

/// `$1` id, `$2` at. Activity is not an edit of the account: `updated_at` stays.
pub(crate) const TOUCH_USER: &str = "UPDATE users SET last_seen_at = $2 WHERE id = $1";

/// `$1` limit, `$2` offset.
pub(crate) const LIST_USERS: &str = concat!(
    "SELECT ",
    user_columns!(),
    " FROM users ORDER BY id LIMIT $1 OFFSET $2"
);

/// Every account, whatever its state.
pub(crate) const COUNT_USERS: &str = "SELECT COUNT(*) FROM users";

/// The head of "the usernames of these users"; [`super::with_ids`] appends
/// the id list.
pub(crate) const USERNAMES_OF: &str = "SELECT id, username FROM users WHERE id IN ";

/// `$1` id, `$2` username, `$3` username_key, `$4` email, `$5` email_key,
/// `$6` name, `$7` the time of the change. A key taken by another account is
/// refused by its unique constraint, which names the field.
pub(crate) const UPDATE_PROFILE: &str = "UPDATE users SET \
     username = $2, username_key = $3, email = $4, email_key = $5, name = $6, \
     updated_at = $7 WHERE id = $1";

/// `$1` id. Sessions and role memberships go with the account (ON DELETE
/// CASCADE); audit events keep naming it.
pub(crate) const DELETE_USER: &str = "DELETE FROM users WHERE id = $1";

/// The head of a user search; `sql::user_search` appends the filters.
pub(crate) const SEARCH_USERS: &str = concat!("SELECT ", user_columns!(), " FROM users WHERE TRUE");

/// The head of a user search count.
pub(crate) const COUNT_SEARCH_USERS: &str = "SELECT COUNT(*) FROM users WHERE TRUE";
