//! Entry points for the fuzz targets under `fuzz/`: the loader fed TOML
//! text instead of a file, the value reader for one duration, and the key
//! table. Compiled only with the `fuzzing` feature.

use super::keys::{self, Kind};
use super::value::{self, Raw};
use super::{Settings, SettingsError, load};
use std::path::Path;
use std::time::Duration;

/// The name a TOML text given to [`load`] goes by in messages.
pub const FILE_NAME: &str = "portcullis.toml";

/// Loads and validates settings from the TOML `text` of a configuration
/// file (if any) and the variables of `env`, exactly as
/// [`Settings::load`] does from a file.
pub fn load(
    text: Option<&str>,
    env: impl IntoIterator<Item = (String, String)>,
) -> Result<Settings, SettingsError> {
    let settings = load::merged_text(text.map(|t| (t, Path::new(FILE_NAME))), env)?;
    settings.validate()?;
    Ok(settings)
}

/// One configuration key, as the fuzz targets see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyInfo {
    /// Dotted name: `session.idle_timeout`, or `oidc.providers.*.client_id`
    /// for a key in a table the operator names (`*` is the id).
    pub name: &'static str,
    /// Whether it holds a duration.
    pub duration: bool,
    /// Whether only the file can set it (`[[roles]]`).
    pub file_only: bool,
    /// The value its messages give as an example.
    pub example: &'static str,
}

/// Every configuration key.
pub fn keys() -> Vec<KeyInfo> {
    keys::KEYS.iter().map(info).collect()
}

fn info(k: &keys::Key) -> KeyInfo {
    KeyInfo {
        name: k.name,
        duration: k.kind == Kind::Duration,
        file_only: k.file_only(),
        example: k.example,
    }
}

/// The key a message names as `shown` (`roles[2].name`,
/// `oidc.providers.google.client_id`), and the variable it gives for it
/// (`PORTCULLIS_OIDC__PROVIDERS__GOOGLE__CLIENT_ID`, or "file only").
pub fn named(shown: &str) -> Option<(KeyInfo, String)> {
    let base = keys::unindexed(shown);
    let key = keys::find(&base)?;
    Some((info(key), key.env_label_at(&base)))
}

/// The environment variable of the dotted key `name`.
pub fn env_name(name: &str) -> String {
    keys::env_name(name)
}

/// Reads `text` as a duration key's value from the environment reads it:
/// the duration the settings will hold, or why it is refused.
pub fn duration(text: &str) -> Result<Duration, String> {
    let parsed = value::parse(Kind::Duration, Raw::Env(text))?;
    let stored = parsed.as_str().ok_or("a duration is kept as text")?;
    humantime::parse_duration(stored).map_err(|e| e.to_string())
}

/// Every duration `settings` holds, by dotted key.
pub fn durations(settings: &Settings) -> Vec<(&'static str, Duration)> {
    let Ok(table) = toml::Table::try_from(settings) else {
        return Vec::new();
    };
    keys::KEYS
        .iter()
        .filter(|k| k.kind == Kind::Duration)
        .filter_map(|k| {
            let mut value = table.get(k.name.split('.').next()?)?;
            for part in k.name.split('.').skip(1) {
                value = value.get(part)?;
            }
            let text = value.as_str()?;
            Some((k.name, humantime::parse_duration(text).ok()?))
        })
        .collect()
}

/// `settings` written out as a configuration file.
pub fn to_toml(settings: &Settings) -> Result<String, toml::ser::Error> {
    toml::to_string(settings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_named_key_is_found_with_the_variable_its_message_gives() {
        let (key, env) = named("oidc.providers.google.client_id").unwrap();
        assert_eq!(key.name, "oidc.providers.*.client_id");
        assert_eq!(env, "PORTCULLIS_OIDC__PROVIDERS__GOOGLE__CLIENT_ID");
        let (key, env) = named("roles[2].name").unwrap();
        assert_eq!((key.name, env.as_str()), ("roles.name", "file only"));
        let err = load(Some("[oidc.providers.acme]\nclient_id = 7\n"), Vec::new()).unwrap_err();
        let SettingsError::Invalid {
            key, env, example, ..
        } = &err
        else {
            panic!("{err}");
        };
        let (info, expected) = named(key).unwrap();
        assert_eq!((env, *example), (&expected, info.example));
        assert!(named("oidc.providers.acme.nothing").is_none());
    }
}
