-- Roles and permissions (PostgreSQL): display names on users, the permissions
-- a role holds, and the indexes the administrators' user search needs.
-- Append-only: never edit once shipped; add a file. (0003 is another change.)

-- Existing accounts have no display name. Adding a nullable column without a
-- default does not rewrite the table.
ALTER TABLE users ADD COLUMN name TEXT;

-- Prefix search is a range on the case-folded keys (key >= 'ab' AND
-- key < 'ac'), which equals "starts with" only under byte order: under a
-- linguistic collation (en_US.UTF-8, say) a key starting with the prefix may
-- sort outside the range. The "C" collation is byte order, as on SQLite, so
-- both backends also sort usernames and emails alike. Equality, and with it
-- uniqueness, is unchanged; the unique indexes are rebuilt, the table is not.
ALTER TABLE users
    ALTER COLUMN username_key TYPE TEXT COLLATE "C",
    ALTER COLUMN email_key TYPE TEXT COLLATE "C";

-- A role's permissions, one row each. A user's permissions are the union of
-- their roles'. Byte order, so they sort as on SQLite.
CREATE TABLE role_permissions (
    role_id    BIGINT NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    permission TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (role_id, permission)
);

-- The built-in role holds what the admin UI and API check (if an operator
-- removed it, there is nothing to seed).
INSERT INTO role_permissions (role_id, permission)
SELECT r.id, p.permission
FROM roles r
CROSS JOIN (VALUES ('users:read'), ('users:manage'), ('roles:manage'), ('audit:read'))
    AS p (permission)
WHERE r.name = 'admin';

-- User search sorts by these, ties broken by id. Username and email keys have
-- their unique indexes, which also serve prefix searches as ranges. Users who
-- never logged in come last in both directions; read backwards, an index
-- would put them first, so each direction of the last login has its own.
CREATE INDEX users_created_at_idx ON users (created_at, id);
CREATE INDEX users_current_login_at_idx ON users (current_login_at, id);
CREATE INDEX users_current_login_at_desc_idx
    ON users (current_login_at DESC NULLS LAST, id DESC);

-- "Members of role R": with user_id in the index, the lookup can be an
-- index-only scan. It supersedes the role_id index of 0001.
CREATE INDEX user_roles_role_id_user_id_idx ON user_roles (role_id, user_id);
DROP INDEX user_roles_role_id_idx;
