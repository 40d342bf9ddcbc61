//! Rolling upgrades run the previous release on the schema of the next
//! (`database.allow_newer_schema`), so a migration may only expand the
//! schema: add tables, nullable or defaulted columns, indexes, and relax
//! constraints. Taking something away (dropping a table or column,
//! renaming, tightening) waits for a later release, once no running
//! release reads it: expand, then contract. This test refuses a contracting
//! statement in a PostgreSQL migration unless it is listed below with the
//! reason the release before it keeps working. (SQLite serves one instance,
//! which is stopped to be upgraded.)

use std::path::Path;

/// Statements that take something away from the release before.
const CONTRACTING: [&str; 8] = [
    "ADD CONSTRAINT",
    "DROP TABLE",
    "DROP COLUMN",
    "RENAME",
    "SET NOT NULL",
    " TYPE ",
    "DROP CONSTRAINT",
    "DROP INDEX",
];

/// Contracting statements already shipped, each safe for the release
/// before it.
const REVIEWED: [(&str, &str, &str); 6] = [
    (
        "0004_roles_permissions.sql",
        " TYPE ",
        "text stays text: only the collation of the key columns changes",
    ),
    (
        "0004_roles_permissions.sql",
        "DROP INDEX",
        "an index no query names, replaced in the same file",
    ),
    (
        "0006_decoy_tokens.sql",
        "ADD CONSTRAINT",
        "a row without a user is new; every row the release before writes has one",
    ),
    (
        "0008_service_accounts.sql",
        "ADD CONSTRAINT",
        "checks on the new kind column, which the release before never sets: \
         its rows are people with an address",
    ),
    (
        "0013_people_without_address.sql",
        "ADD CONSTRAINT",
        "an address and its key together: the release before always writes both or neither",
    ),
    (
        "0013_people_without_address.sql",
        "DROP CONSTRAINT",
        "relaxes: the release before still gives every person it creates an address, \
         and reads an account's address as optional already",
    ),
];

#[test]
fn postgres_migrations_only_expand_the_schema() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/postgres");
    let mut found = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(files.len() >= 11, "{files:?}");
    for path in files {
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        let sql: String = std::fs::read_to_string(&path)
            .unwrap()
            .lines()
            .filter(|l| !l.trim_start().starts_with("--"))
            .collect::<Vec<_>>()
            .join("\n")
            .to_uppercase();
        for pattern in CONTRACTING {
            // "DROP NOT NULL" relaxes, and is not "SET NOT NULL".
            if sql.contains(pattern)
                && !REVIEWED.iter().any(|(f, p, _)| *f == name && *p == pattern)
            {
                found.push(format!("{name}: {}", pattern.trim()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "contracting statements in migrations (write them expand-then-contract, \
         or review them and list them in REVIEWED): {found:?}"
    );
}

#[test]
fn every_reviewed_exception_still_exists() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/postgres");
    for (file, pattern, why) in REVIEWED {
        let sql = std::fs::read_to_string(dir.join(file))
            .unwrap()
            .to_uppercase();
        assert!(
            sql.contains(pattern),
            "{file} no longer has {pattern:?} ({why})"
        );
    }
}
