//! Statements on `mail_queue`, the durable mail queue.

/// The columns a [`QueuedMail`](portcullis_core::store::QueuedMail) is read from.
macro_rules! mail_columns {
    () => {
        "id, kind, recipient, payload, state, attempts, created_at, next_attempt_at, \
         expires_at, last_error"
    };
}

/// `$1` kind, `$2` recipient, `$3` payload, `$4` created_at (also the first
/// attempt), `$5` expires_at.
pub(crate) const ENQUEUE: &str = "INSERT INTO mail_queue \
     (kind, recipient, payload, created_at, next_attempt_at, expires_at) \
     VALUES ($1, $2, $3, $4, $4, $5)";

/// Which messages are due at `$1`: queued, not expired, not leased.
macro_rules! due {
    () => {
        "state = 'queued' AND next_attempt_at <= $1 AND expires_at > $1 \
         AND (claimed_until IS NULL OR claimed_until <= $1)"
    };
}

/// `$1` now, `$2` lease end (SQLite: one writer at a time, so the
/// statement is the claim).
pub(crate) const CLAIM_SQLITE: &str = concat!(
    "UPDATE mail_queue SET claimed_until = $2, attempts = attempts + 1 \
     WHERE id = (SELECT id FROM mail_queue WHERE ",
    due!(),
    " ORDER BY next_attempt_at, id LIMIT 1) RETURNING ",
    mail_columns!()
);

/// `$1` now, `$2` lease end. Rows another instance is claiming are skipped,
/// not waited for; the outer condition is checked again on the locked row,
/// so a row claimed meanwhile is not claimed twice.
pub(crate) const CLAIM_POSTGRES: &str = concat!(
    "UPDATE mail_queue SET claimed_until = $2, attempts = attempts + 1 \
     WHERE id = (SELECT id FROM mail_queue WHERE ",
    due!(),
    " ORDER BY next_attempt_at, id LIMIT 1 FOR UPDATE SKIP LOCKED) AND ",
    due!(),
    " RETURNING ",
    mail_columns!()
);

/// `$1` id.
pub(crate) const DELIVERED: &str = "DELETE FROM mail_queue WHERE id = $1";

/// `$1` id, `$2` next attempt, `$3` error.
pub(crate) const DEFERRED: &str = "UPDATE mail_queue \
     SET next_attempt_at = $2, last_error = $3, claimed_until = NULL WHERE id = $1";

/// `$1` id, `$2` error.
pub(crate) const FAILED: &str = "UPDATE mail_queue \
     SET state = 'failed', last_error = $2, claimed_until = NULL WHERE id = $1";

/// `$1` now. A message being delivered (leased) is left to its worker.
pub(crate) const EXPIRE: &str = "UPDATE mail_queue SET state = 'expired' \
     WHERE state = 'queued' AND expires_at <= $1 \
     AND (claimed_until IS NULL OR claimed_until <= $1)";

/// `$1` state or NULL for all, `$2` limit.
pub(crate) const LIST: &str = concat!(
    "SELECT ",
    mail_columns!(),
    " FROM mail_queue WHERE ($1 IS NULL OR state = $1) ORDER BY id LIMIT $2"
);

/// `$1` id or NULL for all, `$2` now.
pub(crate) const RETRY: &str = "UPDATE mail_queue \
     SET state = 'queued', attempts = 0, next_attempt_at = $2, claimed_until = NULL \
     WHERE state = 'failed' AND ($1 IS NULL OR id = $1) AND expires_at > $2";

/// `$1` state.
pub(crate) const PURGE: &str = "DELETE FROM mail_queue WHERE state = $1";

/// Messages per state.
pub(crate) const COUNT: &str = "SELECT state, COUNT(*) FROM mail_queue GROUP BY state";
