-- Links for addresses without an account (SQLite). Append-only: never edit
-- once shipped; add a file.
--
-- "Send me a reset link" for an unknown address must cost what it costs for
-- a known one, or its timing tells whether an account exists. So both store
-- a token row: for an unknown address the row has no user and is spent from
-- the moment it is written (used_at = created_at), so it can never be
-- redeemed, and it is purged at its expiry with the others. That needs
-- user_id to allow NULL, which SQLite can only give by rebuilding the table.
CREATE TABLE email_tokens_new (
    id         INTEGER PRIMARY KEY,
    purpose    TEXT    NOT NULL CHECK (purpose IN ('confirm', 'reset', 'change_email')),
    user_id    INTEGER REFERENCES users (id) ON DELETE CASCADE,
    token_hash TEXT    NOT NULL CONSTRAINT email_tokens_token_hash_unique UNIQUE,
    new_email  TEXT,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER,
    -- A row without a user is a decoy and born spent.
    CHECK (user_id IS NOT NULL OR used_at IS NOT NULL)
) STRICT;

INSERT INTO email_tokens_new (id, purpose, user_id, token_hash, new_email, created_at, expires_at, used_at)
SELECT id, purpose, user_id, token_hash, new_email, created_at, expires_at, used_at FROM email_tokens;

DROP TABLE email_tokens;
ALTER TABLE email_tokens_new RENAME TO email_tokens;
CREATE INDEX email_tokens_user_purpose_idx ON email_tokens (user_id, purpose);
