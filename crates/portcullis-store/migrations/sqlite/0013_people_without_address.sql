-- no-transaction
-- People without an address (SQLite). Append-only: never edit once
-- shipped; add a file.
--
-- Accounts imported from an app that kept no addresses (a username and a
-- password only) are people without one, until they add one on the profile
-- page or an administrator does. The check "a person has an address"
-- becomes "an address and its key come together"; a service still has no
-- password.
--
-- SQLite cannot change a CHECK in place: the table is rebuilt as 0008 did
-- (foreign keys off outside the transaction, copy, swap, check, commit,
-- foreign keys back on), so this file brings its own transaction.

PRAGMA foreign_keys = OFF;

BEGIN IMMEDIATE;

CREATE TABLE users_new (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    username         TEXT    NOT NULL,
    username_key     TEXT    NOT NULL CONSTRAINT users_username_key_unique UNIQUE,
    email            TEXT,
    email_key        TEXT    CONSTRAINT users_email_key_unique UNIQUE,
    password_hash    TEXT,
    is_active        INTEGER NOT NULL CHECK (is_active IN (0, 1)),
    confirmed_at     INTEGER,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    last_login_at    INTEGER,
    last_login_ip    TEXT,
    current_login_at INTEGER,
    current_login_ip TEXT,
    login_count      INTEGER NOT NULL DEFAULT 0,
    failed_logins    INTEGER NOT NULL DEFAULT 0,
    locked_until     INTEGER,
    last_seen_at     INTEGER,
    name             TEXT,
    kind             TEXT    NOT NULL DEFAULT 'human' CHECK (kind IN ('human', 'service')),
    CONSTRAINT users_email_has_key CHECK ((email IS NULL) = (email_key IS NULL)),
    CONSTRAINT users_service_has_no_password CHECK (kind = 'human' OR password_hash IS NULL)
) STRICT;

INSERT INTO users_new (
    id, username, username_key, email, email_key, password_hash, is_active,
    confirmed_at, created_at, updated_at, last_login_at, last_login_ip,
    current_login_at, current_login_ip, login_count, failed_logins,
    locked_until, last_seen_at, name, kind
)
SELECT
    id, username, username_key, email, email_key, password_hash, is_active,
    confirmed_at, created_at, updated_at, last_login_at, last_login_ip,
    current_login_at, current_login_ip, login_count, failed_logins,
    locked_until, last_seen_at, name, kind
FROM users;

DROP TABLE users;

ALTER TABLE users_new RENAME TO users;

CREATE INDEX users_created_at_idx ON users (created_at);
CREATE INDEX users_current_login_at_idx ON users (current_login_at);

-- The copy is verbatim, so no reference can dangle; if one did, this insert
-- fails its check and the migration stops before COMMIT.
CREATE TEMP TABLE users_rebuild_check (dangling INTEGER NOT NULL CHECK (dangling = 0));
INSERT INTO users_rebuild_check SELECT count(*) FROM pragma_foreign_key_check;
DROP TABLE users_rebuild_check;

COMMIT;

PRAGMA foreign_keys = ON;
