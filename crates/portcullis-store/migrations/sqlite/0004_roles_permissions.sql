-- Roles and permissions (SQLite): display names on users, the permissions a
-- role holds, and the indexes the administrators' user search needs.
-- Append-only: never edit once shipped; add a file. (0003 is another change.)

-- Existing accounts have no display name.
ALTER TABLE users ADD COLUMN name TEXT;

-- A role's permissions, one row each. A user's permissions are the union of
-- their roles'. WITHOUT ROWID: the primary key is the only way in.
CREATE TABLE role_permissions (
    role_id    INTEGER NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    permission TEXT    NOT NULL,
    PRIMARY KEY (role_id, permission)
) STRICT, WITHOUT ROWID;

-- The built-in role holds what the admin UI and API check (if an operator
-- removed it, there is nothing to seed).
INSERT INTO role_permissions (role_id, permission)
SELECT id, 'users:read' FROM roles WHERE name = 'admin';
INSERT INTO role_permissions (role_id, permission)
SELECT id, 'users:manage' FROM roles WHERE name = 'admin';
INSERT INTO role_permissions (role_id, permission)
SELECT id, 'roles:manage' FROM roles WHERE name = 'admin';
INSERT INTO role_permissions (role_id, permission)
SELECT id, 'audit:read' FROM roles WHERE name = 'admin';

-- User search sorts by these, ties broken by id (the rowid, which every
-- SQLite index carries already). Username and email keys have their unique
-- indexes, which also serve prefix searches as ranges. One index serves the
-- last login both ways with users who never logged in last: SQLite reads
-- the NULLs of an ascending index apart when asked for NULLS LAST.
CREATE INDEX users_created_at_idx ON users (created_at);
CREATE INDEX users_current_login_at_idx ON users (current_login_at);

-- "Members of role R": with user_id in the index, the lookup never visits
-- the table. It supersedes the role_id index of 0001.
CREATE INDEX user_roles_role_id_user_id_idx ON user_roles (role_id, user_id);
DROP INDEX user_roles_role_id_idx;
