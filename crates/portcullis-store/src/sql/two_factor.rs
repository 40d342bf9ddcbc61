//! Statements on `totp_credentials` and `recovery_codes`.

/// `$1` user id.
pub(crate) const TOTP_OF: &str =
    "SELECT secret, created_at, confirmed_at, last_step FROM totp_credentials WHERE user_id = $1";

/// `$1` user id, `$2` sealed secret, `$3` at. Starts or restarts a pending
/// enrolment; a confirmed credential is left alone (no row comes back).
pub(crate) const PUT_PENDING: &str = "INSERT INTO totp_credentials (user_id, secret, created_at) \
     VALUES ($1, $2, $3) \
     ON CONFLICT (user_id) DO UPDATE SET secret = excluded.secret, created_at = excluded.created_at \
     WHERE totp_credentials.confirmed_at IS NULL \
     RETURNING user_id";

/// `$1` user id, `$2` step, `$3` at.
pub(crate) const CONFIRM: &str = "UPDATE totp_credentials SET confirmed_at = $3, last_step = $2 \
     WHERE user_id = $1 AND confirmed_at IS NULL";

/// `$1` user id, `$2` step. The check and the write are one statement: of
/// two requests with the same code (on any instance) one gets the row.
pub(crate) const ACCEPT_STEP: &str = "UPDATE totp_credentials SET last_step = $2 \
     WHERE user_id = $1 AND confirmed_at IS NOT NULL AND (last_step IS NULL OR last_step < $2)";

/// `$1` user id, `$2` sealed secret.
pub(crate) const RESEAL: &str = "UPDATE totp_credentials SET secret = $2 WHERE user_id = $1";

/// `$1` user id.
pub(crate) const DELETE_TOTP: &str = "DELETE FROM totp_credentials WHERE user_id = $1";

/// `$1` user id.
pub(crate) const DELETE_CODES: &str = "DELETE FROM recovery_codes WHERE user_id = $1";

/// `$1` user id, `$2` hash, `$3` at.
pub(crate) const INSERT_CODE: &str =
    "INSERT INTO recovery_codes (user_id, code_hash, created_at) VALUES ($1, $2, $3)";

/// `$1` user id, `$2` hash, `$3` at: spends the code in one statement.
pub(crate) const USE_CODE: &str = "UPDATE recovery_codes SET used_at = $3 \
     WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL";

/// `$1` user id.
pub(crate) const CODES_LEFT: &str =
    "SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL";
