-- Second factors (PostgreSQL). Append-only: never edit once shipped; add a
-- file.
--
-- One TOTP credential per account. The seed is sealed (XChaCha20-Poly1305
-- under a key derived from the server secret) before it gets here, so a dump
-- of this table alone reveals no seed. last_step is the replay guard: the
-- 30-second step of the last code accepted; no code of it or an earlier
-- step is accepted again.
CREATE TABLE totp_credentials (
    user_id      BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    secret       TEXT        NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    -- NULL while enrolment is pending (no code proven yet).
    confirmed_at TIMESTAMPTZ,
    last_step    BIGINT
);

-- Recovery codes, kept only as SHA-256 hashes; each works once.
CREATE TABLE recovery_codes (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id    BIGINT      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash  TEXT        NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    used_at    TIMESTAMPTZ
);

CREATE INDEX recovery_codes_user_id_idx ON recovery_codes (user_id, code_hash);

-- How each session was authenticated, and when its owner last proved who
-- they are. Sessions from before this migration were password logins.
ALTER TABLE sessions ADD COLUMN assurance TEXT NOT NULL DEFAULT 'password';
ALTER TABLE sessions ADD COLUMN authenticated_at TIMESTAMPTZ;
-- Wrong codes given to a session waiting for its second factor.
ALTER TABLE sessions ADD COLUMN second_factor_failures INTEGER NOT NULL DEFAULT 0;
