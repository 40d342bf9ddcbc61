-- Email tokens (SQLite): single-use links for confirming an address,
-- resetting a password and changing the address. Append-only: never edit
-- once shipped; add a file.
--
-- Only the SHA-256 of a token is kept; a leaked table cannot be turned into
-- working links. Timestamps are INTEGER unix milliseconds, as in 0001.
CREATE TABLE email_tokens (
    id         INTEGER PRIMARY KEY,
    purpose    TEXT    NOT NULL CHECK (purpose IN ('confirm', 'reset', 'change_email')),
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash TEXT    NOT NULL CONSTRAINT email_tokens_token_hash_unique UNIQUE,
    -- The address to switch to, for change_email only.
    new_email  TEXT,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    -- Set when redeemed, or when voided by a newer token or a password change.
    used_at    INTEGER
) STRICT;

-- Issuing a token voids the user's older ones of the same purpose.
CREATE INDEX email_tokens_user_purpose_idx ON email_tokens (user_id, purpose);
