//! Every statement the store runs, written once for both backends.
//!
//! The dialect is the common ground of SQLite (3.35+) and PostgreSQL:
//! `$N` placeholders (sqlx-sqlite binds `$N` by number, so a placeholder may
//! repeat), `RETURNING`, `ON CONFLICT ... DO NOTHING`. Booleans are compared
//! with `NOT col`, which reads 0/1 integers on SQLite and booleans on
//! PostgreSQL alike. Timestamps are bound as the store's `Timestamp`, so
//! comparisons are numeric on SQLite and `timestamptz` on PostgreSQL.

/// The `users` columns a `User` is read from, as a literal for `concat!`.
macro_rules! user_columns {
    () => {
        "id, username, email, is_active, confirmed_at, created_at, last_login_at, \
         last_login_ip, current_login_at, current_login_ip, login_count"
    };
}

/// The `sessions` columns a `Session` is read from, as a literal for `concat!`.
macro_rules! session_columns {
    () => {
        "id, user_id, created_at, last_seen_at, expires_at, remember, ip, user_agent"
    };
}

/// `$1` username, `$2` username_key, `$3` email, `$4` email_key,
/// `$5` password_hash, `$6` is_active, `$7` confirmed_at, `$8` created_at.
pub(crate) const INSERT_USER: &str = concat!(
    "INSERT INTO users (username, username_key, email, email_key, password_hash, \
     is_active, confirmed_at, created_at, updated_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING ",
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

/// `$1` id, `$2` at, `$3` ip. Right-hand sides see the row as it was before
/// the UPDATE on both backends, so the shift and the count are one atomic step.
/// A login is not an edit of the account, so `updated_at` stays.
pub(crate) const RECORD_LOGIN: &str = "UPDATE users SET \
     last_login_at = current_login_at, last_login_ip = current_login_ip, \
     current_login_at = $2, current_login_ip = $3, \
     login_count = login_count + 1 \
     WHERE id = $1";

/// `$1` limit, `$2` offset.
pub(crate) const LIST_USERS: &str = concat!(
    "SELECT ",
    user_columns!(),
    " FROM users ORDER BY id LIMIT $1 OFFSET $2"
);

pub(crate) const COUNT_USERS: &str = "SELECT COUNT(*) FROM users";

/// `$1` name, `$2` description.
pub(crate) const ENSURE_ROLE: &str =
    "INSERT INTO roles (name, description) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING";

/// `$1` user id, `$2` role name. Inserts nothing when either is missing or
/// the grant exists; [`GRANT_EXISTS`] tells those apart afterwards.
pub(crate) const GRANT_ROLE: &str = "INSERT INTO user_roles (user_id, role_id) \
     SELECT u.id, r.id FROM users u, roles r WHERE u.id = $1 AND r.name = $2 \
     ON CONFLICT (user_id, role_id) DO NOTHING";

/// `$1` user id, `$2` role name.
pub(crate) const GRANT_EXISTS: &str = "SELECT COUNT(*) FROM user_roles ur \
     JOIN roles r ON r.id = ur.role_id WHERE ur.user_id = $1 AND r.name = $2";

/// `$1` user id.
pub(crate) const ROLES_OF: &str = "SELECT r.name, r.description FROM roles r \
     JOIN user_roles ur ON ur.role_id = r.id WHERE ur.user_id = $1 ORDER BY r.name";

/// `$1` token_hash, `$2` user_id, `$3` created_at (also last_seen_at),
/// `$4` expires_at, `$5` remember, `$6` ip, `$7` user_agent.
pub(crate) const INSERT_SESSION: &str = concat!(
    "INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, expires_at, \
     remember, ip, user_agent) VALUES ($1, $2, $3, $3, $4, $5, $6, $7) RETURNING ",
    session_columns!()
);

/// `$1` token_hash.
pub(crate) const SESSION_BY_TOKEN: &str = concat!(
    "SELECT ",
    session_columns!(),
    " FROM sessions WHERE token_hash = $1"
);

/// `$1` id, `$2` at.
pub(crate) const TOUCH_SESSION: &str = "UPDATE sessions SET last_seen_at = $2 WHERE id = $1";

/// `$1` id.
pub(crate) const DELETE_SESSION: &str = "DELETE FROM sessions WHERE id = $1";

/// `$1` user id.
pub(crate) const DELETE_SESSIONS_OF: &str = "DELETE FROM sessions WHERE user_id = $1";

/// `$1` now, `$2` idle cutoff.
pub(crate) const DELETE_EXPIRED_SESSIONS: &str = "DELETE FROM sessions \
     WHERE expires_at <= $1 OR (NOT remember AND last_seen_at <= $2)";

pub(crate) const PING: &str = "SELECT 1";
