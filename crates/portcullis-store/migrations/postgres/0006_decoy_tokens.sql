-- Links for addresses without an account (PostgreSQL). Append-only: never
-- edit once shipped; add a file.
--
-- "Send me a reset link" for an unknown address must cost what it costs for
-- a known one, or its timing tells whether an account exists. So both store
-- a token row: for an unknown address the row has no user and is spent from
-- the moment it is written (used_at = created_at), so it can never be
-- redeemed, and it is purged at its expiry with the others.
ALTER TABLE email_tokens ALTER COLUMN user_id DROP NOT NULL;
ALTER TABLE email_tokens
    ADD CONSTRAINT email_tokens_decoy_spent CHECK (user_id IS NOT NULL OR used_at IS NOT NULL);
