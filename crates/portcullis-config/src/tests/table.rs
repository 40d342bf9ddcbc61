//! The key table against the settings it describes.

use crate::keys::{KEYS, PROXIES_ALIAS, find};
use crate::{Settings, load};
use std::collections::BTreeSet;

/// Every dotted key below `prefix` in `table`, lists counting as values.
fn leaves(table: &toml::Table, prefix: &str, into: &mut BTreeSet<String>) {
    for (name, value) in table {
        let dotted = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}.{name}")
        };
        match value {
            toml::Value::Table(inner) => leaves(inner, &dotted, into),
            _ => {
                into.insert(dotted);
            }
        }
    }
}

#[test]
fn every_example_parses_and_every_setting_has_a_row() {
    let vars: Vec<(String, String)> = KEYS
        .iter()
        .filter_map(|k| Some((k.env()?, k.example.to_owned())))
        .collect();
    let settings = load::merged(None, vars).unwrap_or_else(|e| panic!("{e}"));
    let table = toml::Table::try_from(&settings).unwrap();
    let mut fields = BTreeSet::new();
    leaves(&table, "", &mut fields);
    let rows: BTreeSet<String> = KEYS
        .iter()
        .filter(|k| k.name != PROXIES_ALIAS && !k.name.starts_with("roles."))
        .map(|k| k.name.to_owned())
        .collect();
    assert_eq!(fields, rows);
}

#[test]
fn every_key_a_check_names_is_in_the_table() {
    let sources = [
        include_str!("../validate.rs"),
        include_str!("../production.rs"),
        include_str!("../mail.rs"),
        // The server's start-up checks what needs its services (roles).
        include_str!("../../../portcullis/src/startup.rs"),
    ];
    let mut named = 0;
    for source in sources {
        for call in source.split("invalid(").skip(1) {
            let Some(literal) = call.trim_start().strip_prefix('"') else {
                continue; // a computed key, such as a limit's `.max`
            };
            let key = literal.split('"').next().unwrap_or_default();
            assert!(find(key).is_some(), "{key:?} is not in the key table");
            named += 1;
        }
    }
    assert!(named > 20, "only {named} checks found");
    for limit in [
        "login_per_ip",
        "login_per_account",
        "register_per_ip",
        "email_per_ip",
    ] {
        for part in ["max", "window"] {
            assert!(find(&format!("rate_limit.{limit}.{part}")).is_some());
        }
    }
}

#[test]
fn the_defaults_are_valid() {
    Settings::default().validate().unwrap();
}
