-- API tokens (PostgreSQL). Append-only: never edit once shipped; add a file.
--
-- Only the SHA-256 of a token is stored. kind: 'login' (POST /api/token,
-- all of its owner's permissions), 'personal' (made by its owner, with
-- scopes), 'service' (made by an administrator for a service account).
-- scopes is NULL for login tokens and otherwise the permission strings,
-- space-separated (a permission never contains a space).
-- Revoked and expired rows are kept for a while, so that a revoked token
-- presented again is recognised and audited, then purged.
CREATE TABLE api_tokens (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id      BIGINT      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash   TEXT        NOT NULL CONSTRAINT api_tokens_token_hash_unique UNIQUE,
    kind         TEXT        NOT NULL CHECK (kind IN ('login', 'personal', 'service')),
    name         TEXT        NOT NULL,
    scopes       TEXT,
    created_at   TIMESTAMPTZ NOT NULL,
    -- NULL: never expires (only if the operator allows it).
    expires_at   TIMESTAMPTZ,
    last_used_at TIMESTAMPTZ,
    last_used_ip TEXT,
    revoked_at   TIMESTAMPTZ,
    -- Who minted it, when not its owner (an administrator, for a service).
    created_by   BIGINT REFERENCES users (id) ON DELETE SET NULL
);

CREATE INDEX api_tokens_user_id_idx ON api_tokens (user_id, id);
CREATE INDEX api_tokens_expires_at_idx ON api_tokens (expires_at);
