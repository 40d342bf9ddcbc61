//! Statements on `email_tokens` and the user columns the email flows change.

/// `$1` user_id, `$2` purpose, `$3` now: voids the unused tokens.
pub(crate) const VOID_TOKENS: &str = "UPDATE email_tokens SET used_at = $3 \
     WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL";

/// `$1` purpose, `$2` user_id, `$3` token_hash, `$4` new_email,
/// `$5` created_at, `$6` expires_at. For a user that does not exist (a
/// "send me a link" for an unknown address) the same row is written without
/// a user and already spent, so that asking costs the same for unknown
/// addresses as for known ones and the row can never be redeemed.
pub(crate) const INSERT_TOKEN: &str = "INSERT INTO email_tokens \
     (purpose, user_id, token_hash, new_email, created_at, expires_at, used_at) \
     SELECT $1, u.id, $3, $4, $5, $6, CASE WHEN u.id IS NULL THEN $5 END \
     FROM (SELECT 1 AS one) AS o LEFT JOIN users u ON u.id = $2";

/// `$1` token_hash, `$2` purpose, `$3` now.
pub(crate) const PEEK_TOKEN: &str = "SELECT user_id, new_email FROM email_tokens \
     WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3";

/// `$1` user_id, `$2` now: the live address-change link, newest first.
pub(crate) const PENDING_CHANGE: &str = "SELECT new_email, created_at FROM email_tokens \
     WHERE user_id = $1 AND purpose = 'change_email' AND used_at IS NULL AND expires_at > $2 \
     AND new_email IS NOT NULL ORDER BY created_at DESC, id DESC LIMIT 1";

/// `$1` token_hash, `$2` purpose, `$3` now. The check and the use are one
/// statement: the database serialises concurrent redemptions of a token
/// on its row, and the second finds `used_at` already set.
pub(crate) const REDEEM_TOKEN: &str = "UPDATE email_tokens SET used_at = $3 \
     WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3 \
     RETURNING user_id, new_email";

/// `$1` now. An expired token cannot work again, used or not.
pub(crate) const PURGE_TOKENS: &str = "DELETE FROM email_tokens WHERE expires_at <= $1";

/// `$1` id, `$2` at. An address confirmed once stays confirmed at that time.
pub(crate) const MARK_CONFIRMED: &str =
    "UPDATE users SET confirmed_at = COALESCE(confirmed_at, $2), updated_at = $2 WHERE id = $1";

/// `$1` id.
pub(crate) const MARK_UNCONFIRMED: &str = "UPDATE users SET confirmed_at = NULL WHERE id = $1";

/// `$1` id, `$2` email, `$3` email_key, `$4` at. The new address was just
/// proven by its link, so it is confirmed.
pub(crate) const CHANGE_EMAIL: &str = "UPDATE users SET email = $2, email_key = $3, \
     confirmed_at = $4, updated_at = $4 WHERE id = $1";
