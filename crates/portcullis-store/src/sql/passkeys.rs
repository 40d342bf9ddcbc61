//! Statements on `passkeys`, `webauthn_handles` and `webauthn_ceremonies`.

/// The `passkeys` columns a `StoredPasskey` is read from, for `concat!`.
macro_rules! passkey_columns {
    () => {
        "id, user_id, credential_id, name, credential, sign_count, backup_eligible, backed_up, \
         created_at, last_used_at"
    };
}

/// `$1` user id, `$2` candidate handle: keeps the first handle stored.
pub(crate) const PUT_HANDLE: &str = "INSERT INTO webauthn_handles (user_id, handle) \
     VALUES ($1, $2) ON CONFLICT (user_id) DO NOTHING";

/// `$1` user id.
pub(crate) const HANDLE_OF: &str = "SELECT handle FROM webauthn_handles WHERE user_id = $1";

/// `$1` handle.
pub(crate) const USER_OF_HANDLE: &str = "SELECT user_id FROM webauthn_handles WHERE handle = $1";

/// `$1` user id, `$2` credential id, `$3` name, `$4` credential, `$5` sign
/// count, `$6` backup eligible, `$7` backed up, `$8` created at.
pub(crate) const INSERT: &str = concat!(
    "INSERT INTO passkeys (user_id, credential_id, name, credential, sign_count, \
     backup_eligible, backed_up, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ",
    passkey_columns!()
);

/// `$1` user id.
pub(crate) const OF_USER: &str = concat!(
    "SELECT ",
    passkey_columns!(),
    " FROM passkeys WHERE user_id = $1 ORDER BY id"
);

/// `$1` credential id.
pub(crate) const BY_CREDENTIAL: &str = concat!(
    "SELECT ",
    passkey_columns!(),
    " FROM passkeys WHERE credential_id = $1"
);

/// `$1` user id, `$2` id, `$3` name.
pub(crate) const RENAME: &str = "UPDATE passkeys SET name = $3 WHERE user_id = $1 AND id = $2";

/// `$1` user id, `$2` id.
pub(crate) const DELETE: &str = concat!(
    "DELETE FROM passkeys WHERE user_id = $1 AND id = $2 RETURNING ",
    passkey_columns!()
);

/// `$1` user id.
pub(crate) const DELETE_OF_USER: &str = "DELETE FROM passkeys WHERE user_id = $1";

/// `$1` id, `$2` sign count, `$3` credential, `$4` backed up, `$5` at. The
/// counter moves forward only (0 stays 0 for authenticators without one):
/// of two requests carrying one assertion, one gets the row.
pub(crate) const RECORD_USE: &str = "UPDATE passkeys \
     SET sign_count = $2, credential = $3, backed_up = $4, last_used_at = $5 \
     WHERE id = $1 AND (sign_count < $2 OR (sign_count = 0 AND $2 = 0))";

/// `$1` key hash, `$2` purpose, `$3` user id, `$4` session id, `$5` state,
/// `$6` created at, `$7` expires at, `$8` cap: stored only while fewer
/// than the cap are live.
pub(crate) const INSERT_CEREMONY: &str = "INSERT INTO webauthn_ceremonies \
     (key_hash, purpose, user_id, session_id, state, created_at, expires_at) \
     SELECT $1, $2, $3, $4, $5, $6, $7 \
     WHERE (SELECT COUNT(*) FROM webauthn_ceremonies WHERE expires_at > $6) < $8";

/// `$1` key hash.
pub(crate) const TAKE_CEREMONY: &str = "DELETE FROM webauthn_ceremonies WHERE key_hash = $1 \
     RETURNING purpose, user_id, session_id, state, created_at, expires_at";

/// `$1` before.
pub(crate) const PURGE_CEREMONIES: &str = "DELETE FROM webauthn_ceremonies WHERE expires_at < $1";
