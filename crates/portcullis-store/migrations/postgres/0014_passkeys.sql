-- Passkeys (PostgreSQL). Append-only: never edit once shipped; add a file.
--
-- webauthn_handles: the opaque user handle authenticators keep beside a
-- passkey (a random UUID, one per account, never the id or the name), by
-- which a sign-in without a username names its account.
CREATE TABLE webauthn_handles (
    user_id BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    handle  TEXT    NOT NULL CONSTRAINT webauthn_handles_handle_unique UNIQUE
);

-- One row per registered credential. credential is the verifier's whole
-- record (public key, algorithm, counter, flags) as JSON; sign_count and
-- backed_up repeat what a query needs: the counter is advanced by one
-- conditional statement, so a counter that goes backwards (a cloned
-- authenticator) or two parallel uses of one assertion are refused on
-- every instance.
CREATE TABLE passkeys (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id         BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    credential_id   TEXT    NOT NULL CONSTRAINT passkeys_credential_id_unique UNIQUE,
    name            TEXT    NOT NULL,
    credential      TEXT    NOT NULL,
    sign_count      BIGINT  NOT NULL DEFAULT 0,
    backup_eligible BOOLEAN NOT NULL DEFAULT FALSE,
    backed_up       BOOLEAN NOT NULL DEFAULT FALSE,
    created_at      TIMESTAMPTZ NOT NULL,
    last_used_at    TIMESTAMPTZ
);

CREATE INDEX passkeys_user_id_idx ON passkeys (user_id, id);

-- WebAuthn ceremonies in flight: the verifier's state between the options
-- sent to the browser and its answer, under the hash of a secret the
-- browser holds in a cookie. Taken (deleted) by the answer, right or
-- wrong, so each works once; expired rows are purged.
CREATE TABLE webauthn_ceremonies (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    key_hash   TEXT    NOT NULL CONSTRAINT webauthn_ceremonies_key_hash_unique UNIQUE,
    purpose    TEXT    NOT NULL CHECK (purpose IN ('register', 'login', 'second_factor')),
    user_id    BIGINT  REFERENCES users (id) ON DELETE CASCADE,
    session_id BIGINT  REFERENCES sessions (id) ON DELETE CASCADE,
    state      TEXT    NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    CHECK (purpose = 'login' OR user_id IS NOT NULL)
);

CREATE INDEX webauthn_ceremonies_expires_at_idx ON webauthn_ceremonies (expires_at);
