//! Statements on `identities`, `oidc_flows` and `pending_identities`.

/// The `identities` columns an `Identity` is read from, for `concat!`.
macro_rules! identity_columns {
    () => {
        "id, user_id, provider, issuer, subject, email, created_at, last_login_at"
    };
}

/// The `pending_identities` columns a `PendingIdentity` is read from.
macro_rules! pending_columns {
    () => {
        "token_hash, browser_hash, provider, issuer, subject, email, preferred_username, name, \
         next_path, created_at, expires_at"
    };
}

/// `$1` user_id, `$2` provider, `$3` issuer, `$4` subject, `$5` email,
/// `$6` created_at.
pub(crate) const INSERT_IDENTITY: &str = concat!(
    "INSERT INTO identities (user_id, provider, issuer, subject, email, created_at) \
     VALUES ($1, $2, $3, $4, $5, $6) RETURNING ",
    identity_columns!()
);

/// `$1` issuer, `$2` subject.
pub(crate) const FIND_IDENTITY: &str = concat!(
    "SELECT ",
    identity_columns!(),
    " FROM identities WHERE issuer = $1 AND subject = $2"
);

/// `$1` user_id.
pub(crate) const IDENTITIES_OF: &str = concat!(
    "SELECT ",
    identity_columns!(),
    " FROM identities WHERE user_id = $1 ORDER BY id"
);

/// `$1` user_id, `$2` id.
pub(crate) const UNLINK_IDENTITY: &str = concat!(
    "DELETE FROM identities WHERE user_id = $1 AND id = $2 RETURNING ",
    identity_columns!()
);

/// `$1` id, `$2` at.
pub(crate) const TOUCH_IDENTITY: &str = "UPDATE identities SET last_login_at = $2 WHERE id = $1";

/// `$1` state_hash, `$2` browser_hash, `$3` provider, `$4` verifier,
/// `$5` nonce, `$6` next_path, `$7` remember, `$8` purpose, `$9` user_id,
/// `$10` ip, `$11` created_at, `$12` expires_at, `$13` cap. Inserts only
/// while fewer than `$13` flows are live at `$11`: one statement, so
/// concurrent starts cannot overshoot the cap by more than they race.
pub(crate) const INSERT_FLOW: &str = "INSERT INTO oidc_flows \
     (state_hash, browser_hash, provider, verifier, nonce, next_path, remember, purpose, \
      user_id, ip, created_at, expires_at) \
     SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12 \
     WHERE (SELECT COUNT(*) FROM oidc_flows WHERE expires_at > $11) < $13";

/// `$1` state_hash.
pub(crate) const TAKE_FLOW: &str = "DELETE FROM oidc_flows WHERE state_hash = $1 \
     RETURNING browser_hash, provider, verifier, nonce, next_path, remember, purpose, user_id, \
     ip, created_at, expires_at";

/// `$1` token_hash, `$2` browser_hash, `$3` provider, `$4` issuer,
/// `$5` subject, `$6` email, `$7` preferred_username, `$8` name,
/// `$9` next_path, `$10` created_at, `$11` expires_at.
pub(crate) const INSERT_PENDING: &str = "INSERT INTO pending_identities \
     (token_hash, browser_hash, provider, issuer, subject, email, preferred_username, name, \
      next_path, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";

/// `$1` token_hash.
pub(crate) const TAKE_PENDING: &str = concat!(
    "DELETE FROM pending_identities WHERE token_hash = $1 RETURNING ",
    pending_columns!()
);

/// `$1` browser_hash, `$2` now.
pub(crate) const PENDING_OF_BROWSER: &str = concat!(
    "SELECT ",
    pending_columns!(),
    " FROM pending_identities WHERE browser_hash = $1 AND expires_at > $2 \
     ORDER BY id DESC LIMIT 1"
);

/// `$1` before.
pub(crate) const PURGE_FLOWS: &str = "DELETE FROM oidc_flows WHERE expires_at < $1";
/// `$1` before.
pub(crate) const PURGE_PENDING: &str = "DELETE FROM pending_identities WHERE expires_at < $1";
