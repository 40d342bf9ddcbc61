//! Statements on `api_tokens`.

/// The `api_tokens` columns an `ApiToken` is read from, as a literal for
/// `concat!`; in the join with `users`, the token's own `id`, `created_at`
/// and `kind` are read under the `token_` names.
macro_rules! token_columns {
    () => {
        "id AS token_id, user_id, kind AS token_kind, name AS token_name, scopes, \
         created_at AS token_created_at, expires_at AS token_expires_at, last_used_at, \
         last_used_ip, revoked_at, created_by"
    };
}

/// `$1` token_hash, `$2` user_id, `$3` kind, `$4` name, `$5` scopes,
/// `$6` created_at, `$7` expires_at, `$8` created_by.
pub(crate) const INSERT_TOKEN: &str = concat!(
    "INSERT INTO api_tokens (token_hash, user_id, kind, name, scopes, created_at, expires_at, \
     created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ",
    token_columns!()
);

/// `$1` token_hash. One row per role and permission of the token's account
/// (NULL role or permission columns where it has none), as for sessions:
/// everything a request needs, in one statement.
pub(crate) const RESOLVE_TOKEN: &str = "SELECT k.id AS token_id, k.user_id, \
     k.kind AS token_kind, k.name AS token_name, k.scopes, \
     k.created_at AS token_created_at, k.expires_at AS token_expires_at, k.last_used_at, \
     k.last_used_ip, k.revoked_at, k.created_by, \
     (t.user_id IS NOT NULL \
      OR EXISTS (SELECT 1 FROM passkeys p WHERE p.user_id = u.id)) AS two_factor, \
     u.id, u.username, u.email, u.name, u.is_active, u.confirmed_at, u.created_at, \
     u.last_login_at, u.last_login_ip, u.current_login_at, u.current_login_ip, u.login_count, \
     u.locked_until, u.last_seen_at, u.kind, \
     r.name AS role_name, r.description AS role_description, rp.permission \
     FROM api_tokens k JOIN users u ON u.id = k.user_id \
     LEFT JOIN user_roles ur ON ur.user_id = u.id \
     LEFT JOIN roles r ON r.id = ur.role_id \
     LEFT JOIN role_permissions rp ON rp.role_id = r.id \
     LEFT JOIN totp_credentials t ON t.user_id = u.id AND t.confirmed_at IS NOT NULL \
     WHERE k.token_hash = $1";

/// `$1` id, `$2` at, `$3` ip, `$4` stale_before. Writes only if no use was
/// recorded after `$4`, so instances racing on one token write once.
pub(crate) const TOUCH_TOKEN: &str = "UPDATE api_tokens SET last_used_at = $2, last_used_ip = $3 \
     WHERE id = $1 AND (last_used_at IS NULL OR last_used_at <= $4)";

/// `$1` user_id, `$2` now.
pub(crate) const TOKENS_OF: &str = concat!(
    "SELECT ",
    token_columns!(),
    " FROM api_tokens WHERE user_id = $1 AND revoked_at IS NULL \
     AND (expires_at IS NULL OR expires_at > $2) ORDER BY id DESC"
);

/// `$1` user_id, `$2` id, `$3` at.
pub(crate) const REVOKE_TOKEN: &str = concat!(
    "UPDATE api_tokens SET revoked_at = $3 \
     WHERE user_id = $1 AND id = $2 AND revoked_at IS NULL RETURNING ",
    token_columns!()
);

/// `$1` user_id, `$2` at, `$3`-`$5` kinds (there are three kinds; fewer
/// are bound by repeating one).
pub(crate) const REVOKE_TOKENS_OF: &str = "UPDATE api_tokens SET revoked_at = $2 \
     WHERE user_id = $1 AND revoked_at IS NULL AND kind IN ($3, $4, $5)";

/// `$1` before.
pub(crate) const PURGE_TOKENS: &str =
    "DELETE FROM api_tokens WHERE revoked_at < $1 OR expires_at < $1";
