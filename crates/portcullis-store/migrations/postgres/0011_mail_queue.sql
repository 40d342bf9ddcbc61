-- The durable mail queue (PostgreSQL). Append-only: never edit once shipped;
-- add a file.
--
-- A message is written in the transaction of the token its link carries and
-- deleted once it is delivered. payload is the sealed notice (it can hold a
-- link's secret); kind and recipient are in the clear for the operator.
-- A worker claims a due message by setting claimed_until (its lease) and
-- counting the attempt; one that dies mid-delivery leaves it to be claimed
-- again when the lease runs out. Instances claim with FOR UPDATE SKIP
-- LOCKED, so they share the queue without waiting on each other. state:
-- 'queued' (waiting), 'failed' (given up), 'expired' (its link expired
-- before it could be sent).
CREATE TABLE mail_queue (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind            TEXT        NOT NULL,
    recipient       TEXT        NOT NULL,
    payload         TEXT        NOT NULL,
    state           TEXT        NOT NULL DEFAULT 'queued'
                    CHECK (state IN ('queued', 'failed', 'expired')),
    attempts        BIGINT      NOT NULL DEFAULT 0,
    created_at      TIMESTAMPTZ NOT NULL,
    next_attempt_at TIMESTAMPTZ NOT NULL,
    claimed_until   TIMESTAMPTZ,
    expires_at      TIMESTAMPTZ NOT NULL,
    last_error      TEXT
);

CREATE INDEX mail_queue_due_idx ON mail_queue (state, next_attempt_at);
