-- People without an address (PostgreSQL). Append-only: never edit once
-- shipped; add a file.
--
-- Accounts imported from an app that kept no addresses (a username and a
-- password only) are people without one, until they add one on the profile
-- page or an administrator does. The check "a person has an address"
-- becomes "an address and its key come together"; a service still has no
-- password.
ALTER TABLE users ADD CONSTRAINT users_email_has_key
    CHECK ((email IS NULL) = (email_key IS NULL));
ALTER TABLE users DROP CONSTRAINT users_person_has_email;
