//! Why a configuration cannot be used. Every message about a key names the
//! key, its environment variable and an example value, so whoever reads it
//! can fix it wherever they set it:
//!
//! ```text
//! configuration key session.idle_timeout (PORTCULLIS_SESSION__IDLE_TIMEOUT): "soon" is not a duration; example: 30m
//! ```
//!
//! Messages never quote the values of `secret`, `mail.smtp_password` or a
//! provider's `client_secret`.

use super::keys::{self, Key};
use std::path::PathBuf;

/// A configuration that cannot be used, with what to fix.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("cannot read the configuration file {}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the configuration file {} is not valid TOML", path.display())]
    Syntax {
        path: PathBuf,
        #[source]
        source: toml::de::Error,
    },
    #[error("configuration key {key} ({env}): {problem}; example: {example}")]
    Invalid {
        key: String,
        env: String,
        problem: String,
        example: &'static str,
    },
    #[error("unknown configuration key {key} in {}{hint}", path.display())]
    UnknownKey {
        key: String,
        path: PathBuf,
        hint: String,
    },
    #[error("{var} is not a configuration variable{hint}")]
    UnknownVariable { var: String, hint: String },
    #[error(
        "configuration key {key} ({env}) cannot be set from the environment; \
         declare [[{}]] in the configuration file",
        keys::tables_of(.key).unwrap_or("roles")
    )]
    FileOnly { key: &'static str, env: String },
    #[error(
        "configuration keys trusted_proxies (PORTCULLIS_TRUSTED_PROXIES) and {alias} \
         ({alias_env}) are both set, to different values; {alias} is the old name of \
         trusted_proxies, so set only trusted_proxies; example: {example}"
    )]
    Conflict {
        alias: &'static str,
        alias_env: String,
        example: &'static str,
    },
    #[error("the built-in defaults cannot be read back")]
    Defaults(#[source] toml::ser::Error),
    /// A value the checks above let through but the settings types refused;
    /// it names the key as well as the TOML library can. (Not a `#[source]`:
    /// the message already carries it, and chains would print it twice.)
    #[error("configuration: {0}")]
    Deserialize(toml::de::Error),
}

/// The error for `key` (a dotted name from the key table) holding a value
/// that cannot be used, with `problem` saying why.
/// A position in a list (`forward_auth.rules[2].require`) finds the row of
/// the key without it.
pub fn invalid(key: &str, problem: impl Into<String>) -> SettingsError {
    match keys::find(&keys::unindexed(key)) {
        Some(found) => invalid_key(found, key, problem),
        // Only reachable if a check names a key the table lacks; a test
        // makes every key the checks use appear in the table.
        None => SettingsError::Invalid {
            key: key.to_owned(),
            env: keys::env_name(key),
            problem: problem.into(),
            example: "see the configuration table in the README",
        },
    }
}

/// The same for a key of the table, under the name `shown` (which says where
/// in a list the value was, as in `roles[2].name`, or which table the
/// operator named, as in `oidc.providers.google.client_id`).
pub(crate) fn invalid_key(key: &Key, shown: &str, problem: impl Into<String>) -> SettingsError {
    SettingsError::Invalid {
        key: shown.to_owned(),
        env: key.env_label_at(shown),
        problem: problem.into(),
        example: key.example,
    }
}
