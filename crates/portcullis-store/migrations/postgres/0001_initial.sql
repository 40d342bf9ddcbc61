-- Initial schema (PostgreSQL). Append-only: never edit once shipped; add a new file.
--
-- Timestamps are TIMESTAMPTZ; the store writes them truncated to milliseconds,
-- the precision SQLite keeps too, so both backends read back what was written.
-- The *_key columns hold the case-folded username and email; their unique
-- constraints are what make uniqueness case-insensitive, and the store maps a
-- violation back to the field by the constraint's name: keep these names.

CREATE TABLE users (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username         TEXT        NOT NULL,
    username_key     TEXT        NOT NULL,
    email            TEXT        NOT NULL,
    email_key        TEXT        NOT NULL,
    password_hash    TEXT,
    is_active        BOOLEAN     NOT NULL,
    confirmed_at     TIMESTAMPTZ,
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL,
    last_login_at    TIMESTAMPTZ,
    last_login_ip    TEXT,
    current_login_at TIMESTAMPTZ,
    current_login_ip TEXT,
    login_count      BIGINT      NOT NULL DEFAULT 0,
    CONSTRAINT users_username_key_unique UNIQUE (username_key),
    CONSTRAINT users_email_key_unique UNIQUE (email_key)
);

CREATE TABLE roles (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        TEXT        NOT NULL CONSTRAINT roles_name_unique UNIQUE,
    description TEXT        NOT NULL DEFAULT '',
    created_at  TIMESTAMPTZ NOT NULL DEFAULT date_trunc('milliseconds', now())
);

CREATE TABLE user_roles (
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role_id BIGINT NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, role_id)
);

CREATE INDEX user_roles_role_id_idx ON user_roles (role_id);

CREATE TABLE sessions (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- Hex SHA-256 of the session token; the token itself is never stored.
    token_hash   TEXT        NOT NULL CONSTRAINT sessions_token_hash_unique UNIQUE,
    user_id      BIGINT      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   TIMESTAMPTZ NOT NULL,
    last_seen_at TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ NOT NULL,
    remember     BOOLEAN     NOT NULL,
    ip           TEXT,
    user_agent   TEXT
);

CREATE INDEX sessions_user_id_idx ON sessions (user_id);
CREATE INDEX sessions_expires_at_idx ON sessions (expires_at);

INSERT INTO roles (name, description)
VALUES ('admin', 'Full access to the administration of Portcullis');
