-- External identities and sign-in flows (SQLite). Append-only: never edit
-- once shipped; add a file.
--
-- An identity is an OpenID provider's (issuer, subject): the only stable key
-- a provider gives, unique across accounts. provider is the configured id
-- that linked it ("google"), for display; email is what the provider said
-- when it was linked, for display only (an account's own email is never
-- taken from a provider's word).
CREATE TABLE identities (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id       INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    provider      TEXT    NOT NULL,
    issuer        TEXT    NOT NULL,
    subject       TEXT    NOT NULL,
    email         TEXT,
    created_at    INTEGER NOT NULL,
    last_login_at INTEGER,
    CONSTRAINT identities_issuer_subject_unique UNIQUE (issuer, subject)
) STRICT;

CREATE INDEX identities_user_id_idx ON identities (user_id);

-- Authorization requests in flight: one row per redirect to a provider,
-- deleted by the callback that answers it (so each is used once) or when it
-- expires. Only hashes of the state and of the browser's binding cookie are
-- kept; the PKCE verifier is sealed like the TOTP seeds. purpose: 'login',
-- 'link' (from the account page, for user_id) or 'reauth' (user_id proving
-- who they are again).
CREATE TABLE oidc_flows (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    state_hash   TEXT    NOT NULL CONSTRAINT oidc_flows_state_hash_unique UNIQUE,
    browser_hash TEXT    NOT NULL,
    provider     TEXT    NOT NULL,
    verifier     TEXT    NOT NULL,
    nonce        TEXT    NOT NULL,
    next_path    TEXT,
    remember     INTEGER NOT NULL DEFAULT 0 CHECK (remember IN (0, 1)),
    purpose      TEXT    NOT NULL CHECK (purpose IN ('login', 'link', 'reauth')),
    user_id      INTEGER REFERENCES users (id) ON DELETE CASCADE,
    ip           TEXT,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    CHECK (purpose = 'login' OR user_id IS NOT NULL)
) STRICT;

CREATE INDEX oidc_flows_expires_at_idx ON oidc_flows (expires_at);

-- Identities a provider vouched for without a verified, trusted address:
-- nothing is linked or created until the owner of the address follows the
-- emailed single-use link (token_hash) or, in the same browser
-- (browser_hash), proves a local account with its password.
CREATE TABLE pending_identities (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash         TEXT    NOT NULL CONSTRAINT pending_identities_token_hash_unique UNIQUE,
    browser_hash       TEXT,
    provider           TEXT    NOT NULL,
    issuer             TEXT    NOT NULL,
    subject            TEXT    NOT NULL,
    email              TEXT    NOT NULL,
    preferred_username TEXT,
    name               TEXT,
    next_path          TEXT,
    created_at         INTEGER NOT NULL,
    expires_at         INTEGER NOT NULL
) STRICT;

CREATE INDEX pending_identities_expires_at_idx ON pending_identities (expires_at);
CREATE INDEX pending_identities_browser_idx ON pending_identities (browser_hash);
