-- Accounts brought over from another application (SQLite). Append-only:
-- never edit once shipped; add a file.
--
-- One row per account an import created: the source (as the operator named
-- it) and the account's id there. An import that runs again finds its rows
-- here and leaves those accounts alone instead of creating them twice.
CREATE TABLE imported_accounts (
    source      TEXT    NOT NULL,
    source_id   TEXT    NOT NULL,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    imported_at INTEGER NOT NULL,
    PRIMARY KEY (source, source_id)
) STRICT;

CREATE INDEX imported_accounts_user_id_idx ON imported_accounts (user_id);
