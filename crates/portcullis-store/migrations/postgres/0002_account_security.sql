-- Account security (PostgreSQL): lockout and activity on users, the audit
-- log, and rate-limit counters. Append-only: never edit once shipped; add a
-- file.
--
-- Existing accounts start unlocked, with no failures and no recorded
-- activity. A constant default adds the column without rewriting the table.

ALTER TABLE users
    ADD COLUMN failed_logins BIGINT      NOT NULL DEFAULT 0,
    ADD COLUMN locked_until  TIMESTAMPTZ,
    ADD COLUMN last_seen_at  TIMESTAMPTZ;

-- The audit log. actor_id and target_id deliberately have no foreign key:
-- the record of what happened to an account outlives the account.
CREATE TABLE audit_events (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at         TIMESTAMPTZ NOT NULL,
    kind       TEXT        NOT NULL,
    actor_id   BIGINT,
    target_id  BIGINT,
    ip         TEXT,
    user_agent TEXT,
    -- A JSON object, kept as text (not jsonb) so both backends store it
    -- alike and it reads back exactly as written.
    detail     TEXT        NOT NULL DEFAULT '{}'
);

-- Listing is newest first (by id) under optional filters; each index below
-- serves one filter while already ordered by id.
CREATE INDEX audit_events_actor_id_idx ON audit_events (actor_id, id);
CREATE INDEX audit_events_target_id_idx ON audit_events (target_id, id);
CREATE INDEX audit_events_kind_idx ON audit_events (kind, id);
CREATE INDEX audit_events_at_idx ON audit_events (at);

-- Fixed-window hit counters, one row per key (e.g. "login:ip:192.0.2.1"),
-- shared by every instance on this database.
CREATE TABLE rate_limits (
    key          TEXT        PRIMARY KEY,
    window_start TIMESTAMPTZ NOT NULL,
    hits         BIGINT      NOT NULL
);

-- Purging old windows scans by start.
CREATE INDEX rate_limits_window_start_idx ON rate_limits (window_start);
