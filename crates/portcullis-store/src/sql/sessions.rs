//! Statements on `sessions`.

/// The `sessions` columns a `Session` is read from, as a literal for `concat!`.
macro_rules! session_columns {
    () => {
        "id, user_id, created_at, last_seen_at, expires_at, remember, ip, user_agent, assurance, \
         COALESCE(authenticated_at, created_at) AS authenticated_at"
    };
}

/// `$1` token_hash, `$2` user_id, `$3` created_at (also last_seen_at),
/// `$4` expires_at, `$5` remember, `$6` ip, `$7` user_agent, `$8` assurance,
/// `$9` authenticated_at.
pub(crate) const INSERT_SESSION: &str = concat!(
    "INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, expires_at, \
     remember, ip, user_agent, assurance, authenticated_at) \
     VALUES ($1, $2, $3, $3, $4, $5, $6, $7, $8, $9) RETURNING ",
    session_columns!()
);

/// `$1` id, `$2` at, `$3` assurance.
pub(crate) const REAUTHENTICATE: &str =
    "UPDATE sessions SET authenticated_at = $2, assurance = $3 WHERE id = $1";

/// `$1` id.
pub(crate) const COUNT_SECOND_FACTOR_FAILURE: &str = "UPDATE sessions \
     SET second_factor_failures = second_factor_failures + 1 WHERE id = $1 \
     RETURNING second_factor_failures";

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

/// `$1` user id. Ties on last activity (sessions created together and never
/// used since) go to the newer session.
pub(crate) const SESSIONS_OF: &str = concat!(
    "SELECT ",
    session_columns!(),
    " FROM sessions WHERE user_id = $1 ORDER BY last_seen_at DESC, id DESC"
);

/// `$1` user id, `$2` session id. Both must match: a user revoking "their"
/// session by id can never end someone else's.
pub(crate) const DELETE_SESSION_OF: &str = "DELETE FROM sessions WHERE id = $2 AND user_id = $1";

/// `$1` user id, `$2` the session to keep.
pub(crate) const DELETE_OTHER_SESSIONS: &str =
    "DELETE FROM sessions WHERE user_id = $1 AND id <> $2";

/// `$1` now, `$2` idle cutoff.
pub(crate) const DELETE_EXPIRED_SESSIONS: &str = "DELETE FROM sessions \
     WHERE expires_at <= $1 OR (NOT remember AND last_seen_at <= $2)";

/// `$1` now, `$2` idle cutoff: what [`DELETE_EXPIRED_SESSIONS`] would keep.
pub(crate) const COUNT_LIVE_SESSIONS: &str = "SELECT COUNT(*) FROM sessions \
     WHERE expires_at > $1 AND (remember OR last_seen_at > $2)";

/// `$1` token_hash. One row per role and permission of the session's account
/// (NULL role or permission columns where it has none), in no particular
/// order: sorting would cost SQLite a temporary b-tree on every request, and
/// the store sorts the few roles itself. With the permissions here, guards
/// decide without a second statement. Session columns that share a name with a user column
/// carry a `session_` prefix. The inner join on `users` means a session
/// without an account is not found (deletions cascade, so there is none).
pub(crate) const RESOLVE_SESSION: &str = "SELECT s.id AS session_id, s.user_id, \
     s.created_at AS session_created_at, s.last_seen_at AS session_last_seen_at, \
     s.expires_at, s.remember, s.ip, s.user_agent, s.assurance, \
     COALESCE(s.authenticated_at, s.created_at) AS session_authenticated_at, \
     (t.user_id IS NOT NULL \
      OR EXISTS (SELECT 1 FROM passkeys p WHERE p.user_id = u.id)) AS two_factor, \
     u.id, u.username, u.email, u.name, u.is_active, u.confirmed_at, u.created_at, \
     u.last_login_at, u.last_login_ip, u.current_login_at, u.current_login_ip, u.login_count, \
     u.locked_until, u.last_seen_at, u.kind, \
     r.name AS role_name, r.description AS role_description, rp.permission \
     FROM sessions s JOIN users u ON u.id = s.user_id \
     LEFT JOIN user_roles ur ON ur.user_id = u.id \
     LEFT JOIN roles r ON r.id = ur.role_id \
     LEFT JOIN role_permissions rp ON rp.role_id = r.id \
     LEFT JOIN totp_credentials t ON t.user_id = u.id AND t.confirmed_at IS NOT NULL \
     WHERE s.token_hash = $1";
