//! The key table against the settings it describes.

use crate::keys::{ANY_ID, KEYS, Kind, PROXIES_ALIAS, env_name, find};
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

/// The id the rows with one (`oidc.providers.*.client_id`) are set under.
const ID: &str = "acme";

#[test]
fn every_example_parses_and_every_setting_has_a_row() {
    // Every variable with its example; a row with an id by its variable
    // for `ID`, which declares that provider.
    let named = |name: &str| name.replace(ANY_ID, ID);
    let vars: Vec<(String, String)> = KEYS
        .iter()
        .filter(|k| k.kind != Kind::Id)
        .filter_map(|k| {
            k.env()?;
            Some((env_name(&named(k.name)), k.example.to_owned()))
        })
        .collect();
    let settings = load::merged(None, vars).unwrap_or_else(|e| panic!("{e}"));
    let table = toml::Table::try_from(&settings).unwrap();
    let mut fields = BTreeSet::new();
    leaves(&table, "", &mut fields);
    // An id is no field of its own but the name of a table of them.
    let rows: BTreeSet<String> = KEYS
        .iter()
        // The keys inside an array of tables are no fields of the settings,
        // only the array is.
        .filter(|k| k.name != PROXIES_ALIAS && !(k.file_only() && k.kind != Kind::Tables))
        .filter(|k| k.kind != Kind::Id)
        .map(|k| named(k.name))
        .collect();
    assert_eq!(fields, rows);
    assert_eq!(
        settings.oidc.providers.keys().collect::<Vec<_>>(),
        [ID],
        "the variables declared the provider"
    );
    for row in KEYS.iter().filter(|k| k.kind == Kind::Id) {
        assert!(
            KEYS.iter()
                .any(|k| k.name.starts_with(&format!("{}.", row.name))),
            "{} names tables without keys",
            row.name
        );
    }
}

#[test]
fn every_key_of_a_provider_names_itself_and_its_variable() {
    for row in KEYS.iter().filter(|k| k.has_id()) {
        let name = row.name.replace(ANY_ID, "my_corp");
        let key = find(&name).unwrap_or_else(|| panic!("{name} is not found"));
        assert_eq!(key.name, row.name);
        let err = crate::invalid(&name, "is wrong").to_string();
        let var = env_name(&name);
        assert!(
            err.starts_with(&format!("configuration key {name} ({var}")),
            "{err}"
        );
        assert!(
            var.starts_with("PORTCULLIS_OIDC__PROVIDERS__MY_CORP"),
            "{var}"
        );
        assert!(
            err.ends_with(&format!("; example: {}", row.example)),
            "{err}"
        );
    }
}

#[test]
fn every_key_a_check_names_is_in_the_table() {
    let sources = [
        include_str!("../validate.rs"),
        include_str!("../production.rs"),
        include_str!("../mail.rs"),
        include_str!("../oidc.rs"),
        include_str!("../forward_auth.rs"),
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
