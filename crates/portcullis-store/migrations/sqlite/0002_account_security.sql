-- Account security (SQLite): lockout and activity on users, the audit log,
-- and rate-limit counters. Append-only: never edit once shipped; add a file.
--
-- Timestamps are INTEGER unix milliseconds, as in 0001. Existing accounts
-- start unlocked, with no failures and no recorded activity.

ALTER TABLE users ADD COLUMN failed_logins INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN locked_until INTEGER;
ALTER TABLE users ADD COLUMN last_seen_at INTEGER;

-- The audit log. actor_id and target_id deliberately have no foreign key:
-- the record of what happened to an account outlives the account.
-- AUTOINCREMENT keeps ids from ever being reused, so "newest first" is
-- "highest id first" for the life of the database.
CREATE TABLE audit_events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    at         INTEGER NOT NULL,
    kind       TEXT    NOT NULL,
    actor_id   INTEGER,
    target_id  INTEGER,
    ip         TEXT,
    user_agent TEXT,
    -- A JSON object, kept as text so both backends store it alike.
    detail     TEXT    NOT NULL DEFAULT '{}'
) STRICT;

-- Listing is newest first (by id) under optional filters; each index below
-- serves one filter while already ordered by id.
CREATE INDEX audit_events_actor_id_idx ON audit_events (actor_id, id);
CREATE INDEX audit_events_target_id_idx ON audit_events (target_id, id);
CREATE INDEX audit_events_kind_idx ON audit_events (kind, id);
CREATE INDEX audit_events_at_idx ON audit_events (at);

-- Fixed-window hit counters, one row per key (e.g. "login:ip:192.0.2.1").
-- WITHOUT ROWID: the key is the only way in, so the table is its own index.
CREATE TABLE rate_limits (
    key          TEXT    NOT NULL PRIMARY KEY,
    window_start INTEGER NOT NULL,
    hits         INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- Purging old windows scans by start.
CREATE INDEX rate_limits_window_start_idx ON rate_limits (window_start);
