-- Passkeys (SQLite). Append-only: never edit once shipped; add a file.
--
-- webauthn_handles: the opaque user handle authenticators keep beside a
-- passkey (a random UUID, one per account, never the id or the name), by
-- which a sign-in without a username names its account.
CREATE TABLE webauthn_handles (
    user_id INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    handle  TEXT    NOT NULL CONSTRAINT webauthn_handles_handle_unique UNIQUE
) STRICT;

-- One row per registered credential. credential is the verifier's whole
-- record (public key, algorithm, counter, flags) as JSON; sign_count and
-- backed_up repeat what a query needs: the counter is advanced by one
-- conditional statement, so a counter that goes backwards (a cloned
-- authenticator) or two parallel uses of one assertion are refused on
-- every instance.
CREATE TABLE passkeys (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id         INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    credential_id   TEXT    NOT NULL CONSTRAINT passkeys_credential_id_unique UNIQUE,
    name            TEXT    NOT NULL,
    credential      TEXT    NOT NULL,
    sign_count      INTEGER NOT NULL DEFAULT 0,
    backup_eligible INTEGER NOT NULL DEFAULT 0 CHECK (backup_eligible IN (0, 1)),
    backed_up       INTEGER NOT NULL DEFAULT 0 CHECK (backed_up IN (0, 1)),
    created_at      INTEGER NOT NULL,
    last_used_at    INTEGER
) STRICT;

CREATE INDEX passkeys_user_id_idx ON passkeys (user_id, id);

-- WebAuthn ceremonies in flight: the verifier's state between the options
-- sent to the browser and its answer, under the hash of a secret the
-- browser holds in a cookie. Taken (deleted) by the answer, right or
-- wrong, so each works once; expired rows are purged.
CREATE TABLE webauthn_ceremonies (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    key_hash   TEXT    NOT NULL CONSTRAINT webauthn_ceremonies_key_hash_unique UNIQUE,
    purpose    TEXT    NOT NULL CHECK (purpose IN ('register', 'login', 'second_factor')),
    user_id    INTEGER REFERENCES users (id) ON DELETE CASCADE,
    session_id INTEGER REFERENCES sessions (id) ON DELETE CASCADE,
    state      TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    CHECK (purpose = 'login' OR user_id IS NOT NULL)
) STRICT;

CREATE INDEX webauthn_ceremonies_expires_at_idx ON webauthn_ceremonies (expires_at);
