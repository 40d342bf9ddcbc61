//! Statements on `roles`, `user_roles` and `role_permissions`.

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

/// `$1` user id, `$2` role name.
pub(crate) const REVOKE_ROLE: &str = "DELETE FROM user_roles \
     WHERE user_id = $1 AND role_id = (SELECT id FROM roles WHERE name = $2)";

/// `$1` user id. A permission two roles share is listed once.
pub(crate) const PERMISSIONS_OF: &str = "SELECT DISTINCT rp.permission \
     FROM user_roles ur JOIN role_permissions rp ON rp.role_id = ur.role_id \
     WHERE ur.user_id = $1 ORDER BY rp.permission";

/// One row per permission of each role (one with a NULL permission for a
/// role that has none), ordered by role name then permission, with the
/// role's member count on every row. One statement, so the permissions and
/// the count are of the same moment; `rows::role_infos` groups the rows.
macro_rules! role_info_select {
    () => {
        "SELECT r.name, r.description, \
         (SELECT COUNT(*) FROM user_roles ur WHERE ur.role_id = r.id) AS members, \
         rp.permission \
         FROM roles r LEFT JOIN role_permissions rp ON rp.role_id = r.id"
    };
}

/// Every role, as `role_info_select!` rows.
pub(crate) const LIST_ROLES: &str = concat!(role_info_select!(), " ORDER BY r.name, rp.permission");

/// `$1` role name, as `role_info_select!` rows.
pub(crate) const ROLE_BY_NAME: &str = concat!(
    role_info_select!(),
    " WHERE r.name = $1 ORDER BY rp.permission"
);

/// `$1` name, `$2` description, `$3` created_at.
pub(crate) const CREATE_ROLE: &str =
    "INSERT INTO roles (name, description, created_at) VALUES ($1, $2, $3)";

/// `$1` name, `$2` description.
pub(crate) const SET_ROLE_DESCRIPTION: &str = "UPDATE roles SET description = $2 WHERE name = $1";

/// `$1` name. A write that changes nothing, run first in the transaction
/// that replaces a role's permissions: it finds the role and takes its row
/// lock (PostgreSQL) or the write lock (SQLite) before anything is read, so
/// concurrent replacements queue one after the other instead of merging.
pub(crate) const LOCK_ROLE: &str =
    "UPDATE roles SET description = description WHERE name = $1 RETURNING id";

/// `$1` role id.
pub(crate) const CLEAR_ROLE_PERMISSIONS: &str = "DELETE FROM role_permissions WHERE role_id = $1";

/// `$1` role id, `$2` permission. A permission listed twice is kept once.
pub(crate) const ADD_ROLE_PERMISSION: &str = "INSERT INTO role_permissions (role_id, permission) \
     VALUES ($1, $2) ON CONFLICT (role_id, permission) DO NOTHING";

/// `$1` name. Memberships and permissions go with it (ON DELETE CASCADE).
pub(crate) const DELETE_ROLE: &str = "DELETE FROM roles WHERE name = $1";

/// `$1` name: a write that changes nothing, for the row lock (see [`LOCK_ROLE`]).
pub(crate) const LOCK_ROLE_ROW: &str = "UPDATE roles SET name = name WHERE name = $1";

/// `$1` role id.
pub(crate) const CLEAR_ROLE_GRANTORS: &str = "DELETE FROM role_grantors WHERE role_id = $1";

/// `$1` role id, `$2` grantor name. Inserts nothing when there is no such
/// role; the caller compares counts.
pub(crate) const ADD_ROLE_GRANTOR: &str = "INSERT INTO role_grantors (role_id, grantor_id) \
     SELECT $1, g.id FROM roles g WHERE g.name = $2 \
     ON CONFLICT (role_id, grantor_id) DO NOTHING";

/// Every role's grantors: `(role, grantor)` names.
pub(crate) const LIST_GRANTORS: &str = "SELECT r.name, g.name FROM role_grantors rg \
     JOIN roles r ON r.id = rg.role_id JOIN roles g ON g.id = rg.grantor_id \
     ORDER BY r.name, g.name";

/// `$1` role name: its grantors as `(role, grantor)` names.
pub(crate) const GRANTORS_OF: &str = "SELECT r.name, g.name FROM role_grantors rg \
     JOIN roles r ON r.id = rg.role_id JOIN roles g ON g.id = rg.grantor_id \
     WHERE r.name = $1 ORDER BY g.name";

/// The head of "the roles of these users"; [`super::with_ids`] appends
/// the id list.
pub(crate) const ROLES_OF_USERS: &str = "SELECT ur.user_id, r.name FROM user_roles ur JOIN roles r ON r.id = ur.role_id \
     WHERE ur.user_id IN ";

/// `$1` role name. Deactivated accounts hold the role but cannot use it.
pub(crate) const COUNT_ACTIVE_MEMBERS: &str = "SELECT COUNT(*) FROM user_roles ur \
     JOIN roles r ON r.id = ur.role_id JOIN users u ON u.id = ur.user_id \
     WHERE r.name = $1 AND u.is_active";
