//! Accounts from a CSV file (with a header row) or a JSON Lines file (one
//! object per line), for any source the Flask reader does not know. The
//! columns (keys) are [`COLUMNS`]; only `id` is required, and an unknown
//! one is refused by name, so a typo cannot drop a column silently.

use super::values;
use anyhow::{Context as _, bail};
use portcullis_core::services::import::{ImportedAccount, ImportedPassword};
use portcullis_core::store::LoginHistory;
use std::collections::BTreeMap;
use std::path::Path;

/// The columns a file may have, in the order the README lists them.
pub const COLUMNS: &[&str] = &[
    "id",
    "username",
    "email",
    "name",
    "password_hash",
    "password",
    "active",
    "confirmed",
    "confirmed_at",
    "created_at",
    "last_login_at",
    "login_count",
    "roles",
    "admin",
    "totp_secret",
    "google_id",
];

/// One record: column to value, absent and empty values left out.
type Record = BTreeMap<String, String>;

/// Reads a CSV file.
pub fn read_csv(path: &Path) -> anyhow::Result<Vec<ImportedAccount>> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::Headers)
        .from_path(path)
        .with_context(|| format!("could not open {}", path.display()))?;
    let headers = reader.headers()?.clone();
    check_columns(headers.iter())?;
    let mut accounts = Vec::new();
    for (i, row) in reader.records().enumerate() {
        let row =
            row.with_context(|| format!("{}: row {} is not valid CSV", path.display(), i + 2))?;
        let record: Record = headers
            .iter()
            .zip(row.iter())
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        accounts
            .push(account(record).with_context(|| format!("{}: row {}", path.display(), i + 2))?);
    }
    Ok(accounts)
}

/// Reads a JSON Lines file: values may be strings, numbers, booleans or
/// null; `roles` may be an array of names.
pub fn read_jsonl(path: &Path) -> anyhow::Result<Vec<ImportedAccount>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("could not read {}", path.display()))?;
    let mut accounts = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let at = || format!("{}: line {}", path.display(), i + 1);
        if line.trim().is_empty() {
            continue;
        }
        let object: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(line).with_context(|| format!("{} is not a JSON object", at()))?;
        check_columns(object.keys().map(String::as_str)).with_context(at)?;
        let mut record = Record::new();
        for (key, value) in object {
            let text = match value {
                serde_json::Value::Null => continue,
                serde_json::Value::String(s) => s,
                serde_json::Value::Bool(b) => b.to_string(),
                serde_json::Value::Number(n) => n.to_string(),
                serde_json::Value::Array(items) if key == "roles" => items
                    .iter()
                    .map(|v| {
                        v.as_str()
                            .map(str::to_owned)
                            .unwrap_or_else(|| v.to_string())
                    })
                    .collect::<Vec<_>>()
                    .join(";"),
                other => bail!("{}: {key:?} cannot be {other}", at()),
            };
            if !text.is_empty() {
                record.insert(key, text);
            }
        }
        accounts.push(account(record).with_context(at)?);
    }
    Ok(accounts)
}

fn check_columns<'a>(names: impl Iterator<Item = &'a str>) -> anyhow::Result<()> {
    let mut has_id = false;
    for name in names {
        if !COLUMNS.contains(&name) {
            bail!(
                "there is no column {name:?}; the columns are {}",
                COLUMNS.join(", ")
            );
        }
        has_id |= name == "id";
    }
    if !has_id {
        bail!("the column \"id\" (the account's id in the source) is required");
    }
    Ok(())
}

fn account(mut r: Record) -> anyhow::Result<ImportedAccount> {
    let Some(source_id) = r.remove("id") else {
        bail!("it has no id");
    };
    let mut take = |k: &str| r.remove(k);
    let password = match (take("password_hash"), take("password")) {
        (Some(_), Some(_)) => bail!("it has both a password_hash and a password"),
        (Some(hash), None) => ImportedPassword::Hash(values::hash_text(&hash)),
        (None, Some(plain)) => ImportedPassword::Plain(plain),
        (None, None) => ImportedPassword::None,
    };
    let time = |name: &str, value: Option<String>| -> anyhow::Result<_> {
        value
            .map(|v| {
                values::timestamp(&v).with_context(|| {
                    format!("its {name} {v:?} is not a time (RFC 3339 or YYYY-MM-DD HH:MM:SS)")
                })
            })
            .transpose()
    };
    let confirmed_at = time("confirmed_at", take("confirmed_at"))?;
    let login_count = match take("login_count") {
        Some(n) => n
            .trim()
            .parse()
            .with_context(|| format!("its login_count {n:?} is not a number"))?,
        None => 0,
    };
    Ok(ImportedAccount {
        source_id,
        username: take("username"),
        email: take("email"),
        name: take("name"),
        password,
        active: take("active").is_none_or(|v| values::truthy(&v)),
        confirmed: take("confirmed").is_some_and(|v| values::truthy(&v)) || confirmed_at.is_some(),
        confirmed_at,
        created_at: time("created_at", take("created_at"))?,
        history: LoginHistory {
            current_login_at: time("last_login_at", take("last_login_at"))?,
            login_count,
            ..LoginHistory::default()
        },
        roles: take("roles")
            .map(|roles| {
                roles
                    .split([';', ','])
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default(),
        admin: take("admin").is_some_and(|v| values::truthy(&v)),
        totp_secret: take("totp_secret"),
        google_id: take("google_id"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(name: &str, text: &str) -> (tempdir::Dir, std::path::PathBuf) {
        let dir = tempdir::Dir::new();
        let path = dir.0.join(name);
        std::fs::write(&path, text).unwrap();
        (dir, path)
    }

    mod tempdir {
        pub struct Dir(pub std::path::PathBuf);
        impl Dir {
            pub fn new() -> Self {
                let path = std::env::temp_dir().join(format!(
                    "portcullis-import-{}-{}",
                    std::process::id(),
                    rand::random::<u64>()
                ));
                std::fs::create_dir_all(&path).unwrap();
                Self(path)
            }
        }
        impl Drop for Dir {
            fn drop(&mut self) {
                let _ = std::fs::remove_dir_all(&self.0);
            }
        }
    }

    #[test]
    fn a_csv_row_becomes_an_account() {
        let (_dir, path) = write(
            "users.csv",
            "id,username,email,password_hash,roles,admin,confirmed_at,active\n\
             7,ann,ann@example.com,$2b$12$x,editor;viewer,true,2024-01-02 03:04:05,0\n\
             8,ben,,,,,,\n",
        );
        let accounts = read_csv(&path).unwrap();
        assert_eq!(accounts.len(), 2);
        let ann = &accounts[0];
        assert_eq!(ann.source_id, "7");
        assert_eq!(ann.roles, vec!["editor".to_owned(), "viewer".to_owned()]);
        assert!(ann.admin && ann.confirmed && !ann.active);
        assert_eq!(ann.password, ImportedPassword::Hash("$2b$12$x".into()));
        let ben = &accounts[1];
        assert!(ben.active && !ben.confirmed && ben.email.is_none());
        assert_eq!(ben.password, ImportedPassword::None);
    }

    #[test]
    fn a_jsonl_line_takes_arrays_numbers_and_booleans() {
        let (_dir, path) = write(
            "users.jsonl",
            "{\"id\": 1, \"email\": \"c@example.com\", \"password\": \"pw\", \"roles\": [\"a\", \"b\"], \"active\": false, \"login_count\": 4}\n\n",
        );
        let accounts = read_jsonl(&path).unwrap();
        assert_eq!(accounts.len(), 1);
        assert_eq!(accounts[0].source_id, "1");
        assert_eq!(accounts[0].roles, vec!["a".to_owned(), "b".to_owned()]);
        assert_eq!(accounts[0].password, ImportedPassword::Plain("pw".into()));
        assert_eq!(accounts[0].history.login_count, 4);
        assert!(!accounts[0].active);
    }

    #[test]
    fn an_unknown_column_a_missing_id_or_a_bad_time_is_refused_by_name() {
        let (_d1, typo) = write("a.csv", "id,emial\n1,x\n");
        let err = format!("{:#}", read_csv(&typo).unwrap_err());
        assert!(err.contains("\"emial\""), "{err}");
        let (_d2, no_id) = write("b.jsonl", "{\"email\": \"x@example.com\"}\n");
        let err = format!("{:#}", read_jsonl(&no_id).unwrap_err());
        assert!(err.contains("\"id\"") && err.contains("line 1"), "{err}");
        let (_d3, bad) = write("c.csv", "id,created_at\n1,last week\n");
        let err = format!("{:#}", read_csv(&bad).unwrap_err());
        assert!(err.contains("row 2") && err.contains("last week"), "{err}");
        let (_d4, both) = write("d.csv", "id,password,password_hash\n1,a,b\n");
        let err = format!("{:#}", read_csv(&both).unwrap_err());
        assert!(err.contains("both"), "{err}");
    }
}
