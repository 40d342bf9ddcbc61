//! The configuration loader: TOML text and `PORTCULLIS_` variables.
//! Input: the configuration file's text, then (after a line `%%`) one
//! `NAME=value` variable per line; a name without the `PORTCULLIS_` prefix
//! gets it. With no `%%` line everything is the file.
//!
//! The loader never fails without saying which key, variable or syntax is
//! at fault (a refusal by the settings types, past the key table's checks,
//! would not name the variable or an example, so it must never happen); a
//! configuration it accepts holds only durations that today's date and the
//! monotonic clock can take and argon2 parameters argon2 takes, and written
//! back out as a file it loads again to the same settings.
#![no_main]

use libfuzzer_sys::fuzz_target;
use portcullis_config::SettingsError;
use portcullis_config::fuzzing::{
    FILE_NAME, KeyInfo, durations, env_name, keys, load, named, to_toml,
};
use std::time::Instant;

fn check_error(
    err: &SettingsError,
    text: Option<&str>,
    env: &[(String, String)],
    known: &[KeyInfo],
) {
    let find = |name: &str| known.iter().find(|k| k.name == name);
    let message = err.to_string();
    assert!(!message.is_empty());
    match err {
        SettingsError::Invalid {
            key,
            env: var,
            example,
            ..
        } => {
            // `named` knows the rows with an id in them
            // (`oidc.providers.<id>.client_id`) and their variables.
            let (info, expected) =
                named(key).unwrap_or_else(|| panic!("{key} is no key: {message}"));
            assert_eq!(var, &expected, "{message}");
            assert_eq!(*example, info.example, "{message}");
            assert!(message.contains(key.as_str()), "{message}");
        }
        SettingsError::UnknownKey { key, path, .. } => {
            assert_eq!(path.to_str(), Some(FILE_NAME));
            assert!(text.is_some(), "{message} without a file");
            assert!(named(key).is_none(), "{key} is a key: {message}");
            assert!(message.contains(key.as_str()), "{message}");
        }
        SettingsError::UnknownVariable { var, .. } => {
            assert!(env.iter().any(|(name, _)| name == var), "{message}");
            let upper = var.to_ascii_uppercase();
            assert!(
                !known
                    .iter()
                    // A row with an id segment (`*`) stands for many
                    // variables, none of them spelled with the `*`.
                    .any(|k| !k.file_only && !k.name.contains('*') && env_name(k.name) == upper),
                "{var} is a variable: {message}"
            );
        }
        SettingsError::FileOnly { key, env: var } => {
            assert!(find(key).is_some_and(|k| k.file_only), "{message}");
            assert!(env.iter().any(|(name, _)| name == var), "{message}");
        }
        SettingsError::Syntax { path, .. } => {
            assert_eq!(path.to_str(), Some(FILE_NAME));
            let text = text.expect("a syntax error needs a file");
            assert!(toml::from_str::<toml::Table>(text).is_err(), "{message}");
        }
        SettingsError::Conflict { .. } => {}
        SettingsError::Read { .. } | SettingsError::Defaults(_) => panic!("{message}"),
        SettingsError::Deserialize(_) => {
            panic!("the key table let through what the settings refuse: {message}")
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let input = String::from_utf8_lossy(data);
    let (file, vars) = match input.split_once("\n%%\n") {
        Some((file, vars)) => (file, vars),
        None => match input.strip_prefix("%%\n") {
            Some(vars) => ("", vars),
            None => (input.as_ref(), ""),
        },
    };
    let text = (!file.is_empty()).then_some(file);
    let env: Vec<(String, String)> = vars
        .lines()
        .filter_map(|line| line.split_once('='))
        .filter(|(name, value)| !name.contains('\0') && !value.contains('\0'))
        .map(|(name, value)| {
            let name = if name.starts_with("PORTCULLIS_") {
                name.to_owned()
            } else {
                format!("PORTCULLIS_{name}")
            };
            (name, value.to_owned())
        })
        .collect();
    let known = keys();

    let settings = match load(text, env.clone()) {
        Ok(settings) => settings,
        Err(err) => return check_error(&err, text, &env, &known),
    };
    for (key, d) in durations(&settings) {
        let span = time::Duration::try_from(d).expect("fits a signed duration");
        assert!(
            time::OffsetDateTime::now_utc().checked_add(span).is_some(),
            "{key} = {d:?} overflows a date"
        );
        assert!(
            Instant::now().checked_add(d).is_some(),
            "{key} = {d:?} overflows"
        );
    }
    let password = &settings.password;
    assert!(
        argon2::Params::new(
            password.memory_kib,
            password.iterations,
            password.parallelism,
            None
        )
        .is_ok(),
        "argon2 refuses the accepted {password:?}"
    );
    let written = to_toml(&settings).expect("settings write out");
    let again = load(Some(&written), Vec::new())
        .unwrap_or_else(|e| panic!("the written settings do not load: {e}\n{written}"));
    assert_eq!(to_toml(&again).expect("settings write out"), written);
});
