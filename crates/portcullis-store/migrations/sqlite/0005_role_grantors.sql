-- Delegated role administration (SQLite): the roles whose holders may grant
-- and revoke a role without holding its permissions (`grantable_by`).
-- Append-only: never edit once shipped; add a file.
--
-- Deleting either role removes the pairing. WITHOUT ROWID: the primary key
-- is the only way in.
CREATE TABLE role_grantors (
    role_id    INTEGER NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    grantor_id INTEGER NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    PRIMARY KEY (role_id, grantor_id)
) STRICT, WITHOUT ROWID;

CREATE INDEX role_grantors_grantor_id_idx ON role_grantors (grantor_id);
