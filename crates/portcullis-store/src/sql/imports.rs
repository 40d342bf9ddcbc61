//! Statements on `imported_accounts` and the login history an import carries.

/// `$1` source.
pub(crate) const IMPORTED_ACCOUNTS: &str =
    "SELECT source_id, user_id FROM imported_accounts WHERE source = $1";

pub(crate) const LOGIN_KEYS: &str = "SELECT username_key, email_key FROM users";

/// `$1` source, `$2` source id, `$3` user id, `$4` at.
pub(crate) const RECORD_IMPORT: &str = "INSERT INTO imported_accounts \
     (source, source_id, user_id, imported_at) VALUES ($1, $2, $3, $4)";

/// `$1` id, `$2` current login at, `$3` its address, `$4` previous login at,
/// `$5` its address, `$6` count.
pub(crate) const SET_LOGIN_HISTORY: &str = "UPDATE users SET \
     current_login_at = $2, current_login_ip = $3, last_login_at = $4, last_login_ip = $5, \
     login_count = $6 WHERE id = $1";
