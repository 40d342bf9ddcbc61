//! Statements on `roles` and `user_roles`.

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
