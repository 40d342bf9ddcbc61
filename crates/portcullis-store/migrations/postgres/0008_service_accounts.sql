-- Service accounts (PostgreSQL). Append-only: never edit once shipped; add a
-- file.
--
-- A service account is a robot: no password, no address, no interactive
-- login; it acts through API tokens an administrator mints for it. So the
-- address becomes optional (still unique when present) and every account
-- says what kind it is. The checks keep the rule in the data: a person has
-- an address, a service has no password.
ALTER TABLE users ALTER COLUMN email DROP NOT NULL;
ALTER TABLE users ALTER COLUMN email_key DROP NOT NULL;
ALTER TABLE users ADD COLUMN kind TEXT NOT NULL DEFAULT 'human'
    CONSTRAINT users_kind_check CHECK (kind IN ('human', 'service'));
ALTER TABLE users ADD CONSTRAINT users_person_has_email
    CHECK (kind = 'service' OR (email IS NOT NULL AND email_key IS NOT NULL));
ALTER TABLE users ADD CONSTRAINT users_service_has_no_password
    CHECK (kind = 'human' OR password_hash IS NULL);
