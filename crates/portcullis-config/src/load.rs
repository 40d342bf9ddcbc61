//! Loading: the built-in defaults, then the optional TOML file, then
//! `PORTCULLIS_` environment variables, each value read as the type its key
//! declares in the [key table](super::keys).
//!
//! This is a small loader of our own over the `toml` crate rather than the
//! `config` crate. `config` reads environment variables by guessing a type
//! from the text (`try_parsing`): a numeric secret went through a float and
//! lost its digits, `007` became `7`, and a list could not be written at all;
//! without guessing it reads everything as text and its errors cannot name
//! the variable. Knowing each key's type, the loader reads every value the
//! same way from either source, refuses unknown keys and variables, and
//! words every error from the table.

use super::error::{SettingsError, invalid_key};
use super::keys::{self, ANY_ID, Kind, PROXIES_ALIAS};
use super::value::{self, Raw};
use super::{ENV_PREFIX, Settings};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;
use toml::{Table, Value};

/// Defaults, file and environment merged into settings, not yet validated.
pub(super) fn merged(
    file: Option<&Path>,
    env: impl IntoIterator<Item = (String, String)>,
) -> Result<Settings, SettingsError> {
    let text = match file {
        Some(path) => {
            Some(
                std::fs::read_to_string(path).map_err(|source| SettingsError::Read {
                    path: path.to_owned(),
                    source,
                })?,
            )
        }
        None => None,
    };
    merged_text(text.as_deref().zip(file), env)
}

/// The same for a file already read: its `text` and the `path` messages
/// name it by.
pub(super) fn merged_text(
    file: Option<(&str, &Path)>,
    env: impl IntoIterator<Item = (String, String)>,
) -> Result<Settings, SettingsError> {
    let mut given = Table::new();
    if let Some((text, path)) = file {
        let table: Table = toml::from_str(text).map_err(|source| SettingsError::Syntax {
            path: path.to_owned(),
            source,
        })?;
        read_file(&table, "", path, &mut given)?;
    }
    read_env(env, &mut given)?;
    resolve_alias(&mut given)?;
    // Starting from the defaults as a whole lets a value be given alone even
    // where its neighbours' defaults differ by section (the `max` of one
    // limit without its `window`).
    let mut all = Table::try_from(Settings::default()).map_err(SettingsError::Defaults)?;
    merge(&mut all, given);
    Settings::deserialize(Value::Table(all)).map_err(SettingsError::Deserialize)
}

/// Checks the file's `table` (the part under `prefix`) against the key table
/// and copies each value, read as its key's type, into `given`.
fn read_file(
    table: &Table,
    prefix: &str,
    path: &Path,
    given: &mut Table,
) -> Result<(), SettingsError> {
    // Under `oidc.providers`, every name is an id, whatever it holds (a `.`
    // included); it is checked as one rather than looked up as a key.
    let ids = keys::find(&format!("{prefix}.{ANY_ID}")).filter(|k| k.kind == Kind::Id);
    for (name, raw) in table {
        let dotted = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}.{name}")
        };
        match ids.or_else(|| keys::find(&dotted)) {
            // A table the operator names (`[oidc.providers.google]`): the
            // name is its id, and its keys are read like a section's.
            Some(key) if key.kind == Kind::Id => {
                value::parse(key.kind, Raw::Env(name))
                    .map_err(|problem| invalid_key(key, &dotted, problem))?;
                let Value::Table(section) = raw else {
                    return Err(not_a_table(&dotted, path));
                };
                // Declared even with no keys, so that validation asks for
                // the ones it needs rather than the table vanishing.
                insert(given, &dotted, Value::Table(Table::new()));
                read_file(section, &dotted, path, given)?;
            }
            Some(key) => {
                let parsed = value::parse(key.kind, Raw::Toml(raw))
                    .map_err(|problem| invalid_key(key, &dotted, problem))?;
                let parsed = match (key.kind, parsed) {
                    (Kind::Tables, Value::Array(items)) => read_tables(key.name, &items, path)?,
                    (_, parsed) => parsed,
                };
                insert(given, &dotted, parsed);
            }
            None if keys::is_section(&dotted) => {
                let Value::Table(section) = raw else {
                    return Err(not_a_table(&dotted, path));
                };
                read_file(section, &dotted, path, given)?;
            }
            None => {
                return Err(SettingsError::UnknownKey {
                    hint: suggest_key(&dotted),
                    key: dotted,
                    path: path.to_owned(),
                });
            }
        }
    }
    Ok(())
}

/// A section (`[session]`, `[oidc.providers.google]`) given a value.
fn not_a_table(dotted: &str, path: &Path) -> SettingsError {
    SettingsError::UnknownKey {
        key: dotted.to_owned(),
        path: path.to_owned(),
        hint: format!("; {dotted} is a section: write [{dotted}] and its keys below it"),
    }
}

/// Reads each table of an array of tables (`[[roles]]`): its keys are those
/// of the key table under `name`.
fn read_tables(name: &str, items: &[Value], path: &Path) -> Result<Value, SettingsError> {
    let mut read = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        let Value::Table(fields) = item else {
            continue; // value::parse let only tables through
        };
        let mut out = Table::new();
        for (field, raw) in fields {
            let dotted = format!("{name}.{field}");
            let key = keys::find(&dotted).ok_or_else(|| SettingsError::UnknownKey {
                key: format!("{name}[{index}].{field}"),
                path: path.to_owned(),
                hint: suggest_key(&dotted),
            })?;
            let shown = format!("{name}[{index}].{field}");
            let parsed = value::parse(key.kind, Raw::Toml(raw))
                .map_err(|problem| invalid_key(key, &shown, problem))?;
            out.insert(field.clone(), parsed);
        }
        let required = keys::REQUIRED_IN_TABLES
            .iter()
            .filter_map(|r| r.strip_prefix(name)?.strip_prefix('.'));
        for field in required {
            if let Some(key) = keys::find(&format!("{name}.{field}"))
                && !out.contains_key(field)
            {
                return Err(invalid_key(
                    key,
                    &format!("{name}[{index}].{field}"),
                    "is missing",
                ));
            }
        }
        read.push(Value::Table(out));
    }
    Ok(Value::Array(read))
}

/// Copies the `PORTCULLIS_` variables of `env` into `given`, over the file.
fn read_env(
    env: impl IntoIterator<Item = (String, String)>,
    given: &mut Table,
) -> Result<(), SettingsError> {
    let prefix = format!("{ENV_PREFIX}_");
    // Variables of the test harness and the CLI's own are not settings.
    let vars: BTreeMap<String, String> = env
        .into_iter()
        .filter(|(var, _)| {
            var.starts_with(&prefix)
                && !var.starts_with("PORTCULLIS_TEST")
                && var != "PORTCULLIS_CONFIG"
        })
        .collect();
    let mut seen: BTreeMap<String, &str> = BTreeMap::new();
    for (var, text) in &vars {
        let dotted = var[prefix.len()..]
            .split("__")
            .map(str::to_ascii_lowercase)
            .collect::<Vec<_>>()
            .join(".");
        // A variable naming an id alone sets nothing.
        let Some(key) = keys::find(&dotted).filter(|k| k.kind != Kind::Id) else {
            return Err(unknown_variable(var, &dotted));
        };
        if key.file_only() {
            return Err(SettingsError::FileOnly {
                key: key.name,
                env: var.clone(),
            });
        }
        check_ids(&dotted)?;
        // Names differing only in case reach the same key; which would win
        // is not something to leave to the order of the environment.
        if let Some(other) = seen.insert(dotted.clone(), var) {
            return Err(invalid_key(
                key,
                &dotted,
                format!("is set twice, by {other} and {var}"),
            ));
        }
        let parsed = value::parse(key.kind, Raw::Env(text))
            .map_err(|problem| invalid_key(key, &dotted, problem))?;
        insert(given, &dotted, parsed);
    }
    Ok(())
}

/// The error for `var` (read as the key `dotted`), with the variable it was
/// probably meant to be.
fn unknown_variable(var: &str, dotted: &str) -> SettingsError {
    let suggested = keys::suggest_for_variable(var).or_else(|| {
        let near = keys::nearest(dotted)?;
        keys::find(&near)?.env_at(&near)
    });
    let hint = match (suggested, keys::find(dotted)) {
        (Some(env), _) => format!("; did you mean {env}?"),
        // `PORTCULLIS_OIDC__PROVIDERS__GOOGLE`: the table, not a key of it.
        (None, Some(id)) => {
            let first = keys::KEYS
                .iter()
                .find_map(|k| k.name.strip_prefix(id.name)?.strip_prefix('.'))
                .unwrap_or_default();
            format!(
                "; it names a table: set its keys, such as {}",
                keys::env_name(&format!("{dotted}.{first}"))
            )
        }
        (None, None) => "; see the configuration table in the README".to_owned(),
    };
    SettingsError::UnknownVariable {
        var: var.to_owned(),
        hint,
    }
}

/// Checks each id in the concrete name `dotted` (`oidc.providers.<id>.…`),
/// as the file's table names are checked.
fn check_ids(dotted: &str) -> Result<(), SettingsError> {
    let segments: Vec<&str> = dotted.split('.').collect();
    for end in 1..=segments.len() {
        let name = segments[..end].join(".");
        if let Some(key) = keys::find(&name).filter(|k| k.kind == Kind::Id) {
            value::parse(key.kind, Raw::Env(segments[end - 1]))
                .map_err(|problem| invalid_key(key, &name, problem))?;
        }
    }
    Ok(())
}

/// Moves `rate_limit.trusted_proxies` to `trusted_proxies`, refusing the two
/// set to different lists.
fn resolve_alias(given: &mut Table) -> Result<(), SettingsError> {
    let Some(alias) = remove(given, PROXIES_ALIAS) else {
        return Ok(());
    };
    match given.get("trusted_proxies") {
        None => {
            given.insert("trusted_proxies".to_owned(), alias);
            Ok(())
        }
        Some(current) if networks(current) == networks(&alias) => Ok(()),
        Some(_) => Err(SettingsError::Conflict {
            alias: PROXIES_ALIAS,
            alias_env: keys::env_name(PROXIES_ALIAS),
            example: keys::find(PROXIES_ALIAS).map_or("", |k| k.example),
        }),
    }
}

/// A parsed list of networks as a set, for comparison.
fn networks(list: &Value) -> Vec<&str> {
    let mut all: Vec<&str> = list
        .as_array()
        .map(|items| items.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    all.sort_unstable();
    all.dedup();
    all
}

/// Sets the dotted key `name` in `table`, creating sections on the way.
fn insert(table: &mut Table, name: &str, value: Value) {
    match name.split_once('.') {
        None => {
            table.insert(name.to_owned(), value);
        }
        Some((section, rest)) => {
            let entry = table
                .entry(section)
                .or_insert_with(|| Value::Table(Table::new()));
            if !entry.is_table() {
                *entry = Value::Table(Table::new());
            }
            if let Value::Table(inner) = entry {
                insert(inner, rest, value);
            }
        }
    }
}

/// Takes the dotted key `name` out of `table`.
fn remove(table: &mut Table, name: &str) -> Option<Value> {
    match name.split_once('.') {
        None => table.remove(name),
        Some((section, rest)) => match table.get_mut(section) {
            Some(Value::Table(inner)) => remove(inner, rest),
            _ => None,
        },
    }
}

/// Lays `given` over `base`, section by section.
fn merge(base: &mut Table, given: Table) {
    for (name, value) in given {
        match (base.get_mut(&name), value) {
            (Some(Value::Table(inner)), Value::Table(over)) => merge(inner, over),
            (_, value) => {
                base.insert(name, value);
            }
        }
    }
}

/// "; did you mean database.url?" for a slip of the keyboard, or "; did you
/// mean session.idle_timeout?" for a key in the wrong section.
fn suggest_key(dotted: &str) -> String {
    if let Some(near) = keys::nearest(dotted) {
        return format!("; did you mean {near}?");
    }
    let last = dotted.rsplit('.').next().unwrap_or(dotted);
    keys::KEYS
        .iter()
        .find(|k| k.name != dotted && k.name.rsplit('.').next() == Some(last))
        .map(|k| format!("; did you mean {}?", keys::shown(k.name)))
        .unwrap_or_default()
}
