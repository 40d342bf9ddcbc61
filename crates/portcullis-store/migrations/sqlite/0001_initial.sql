-- Initial schema (SQLite). Append-only: never edit once shipped; add a new file.
--
-- Timestamps are INTEGER unix milliseconds, written by the store's Timestamp
-- type, so that comparisons and ORDER BY are numeric and exact. Tables are
-- STRICT so that a value of the wrong type (say, RFC 3339 text in a
-- timestamp column) is refused instead of silently stored.
-- The *_key columns hold the case-folded username and email; their unique
-- constraints are what make uniqueness case-insensitive. SQLite reports a
-- violation as "UNIQUE constraint failed: users.username_key", which the store
-- maps back to the field.

CREATE TABLE users (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    username         TEXT    NOT NULL,
    username_key     TEXT    NOT NULL CONSTRAINT users_username_key_unique UNIQUE,
    email            TEXT    NOT NULL,
    email_key        TEXT    NOT NULL CONSTRAINT users_email_key_unique UNIQUE,
    password_hash    TEXT,
    is_active        INTEGER NOT NULL CHECK (is_active IN (0, 1)),
    confirmed_at     INTEGER,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    last_login_at    INTEGER,
    last_login_ip    TEXT,
    current_login_at INTEGER,
    current_login_ip TEXT,
    login_count      INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE TABLE roles (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT    NOT NULL CONSTRAINT roles_name_unique UNIQUE,
    description TEXT    NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL DEFAULT (CAST(strftime('%s', 'now') AS INTEGER) * 1000)
) STRICT;

CREATE TABLE user_roles (
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role_id INTEGER NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, role_id)
) STRICT;

CREATE INDEX user_roles_role_id_idx ON user_roles (role_id);

CREATE TABLE sessions (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    -- Hex SHA-256 of the session token; the token itself is never stored.
    token_hash   TEXT    NOT NULL CONSTRAINT sessions_token_hash_unique UNIQUE,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    remember     INTEGER NOT NULL CHECK (remember IN (0, 1)),
    ip           TEXT,
    user_agent   TEXT
) STRICT;

CREATE INDEX sessions_user_id_idx ON sessions (user_id);
CREATE INDEX sessions_expires_at_idx ON sessions (expires_at);

INSERT INTO roles (name, description)
VALUES ('admin', 'Full access to the administration of Portcullis');
