-- Delegated role administration (PostgreSQL): the roles whose holders may
-- grant and revoke a role without holding its permissions (`grantable_by`).
-- Append-only: never edit once shipped; add a file.
--
-- Deleting either role removes the pairing.
CREATE TABLE role_grantors (
    role_id    BIGINT NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    grantor_id BIGINT NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    PRIMARY KEY (role_id, grantor_id)
);

CREATE INDEX role_grantors_grantor_id_idx ON role_grantors (grantor_id);
