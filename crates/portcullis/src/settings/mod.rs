//! Configuration: defaults, then an optional TOML file, then `PORTCULLIS_`
//! environment variables (`PORTCULLIS_DATABASE__URL` sets `database.url`),
//! validated once at start with messages that name the offending key.

mod sections;
#[cfg(test)]
mod tests;
mod validate;

pub use crate::mail::settings::{ConfirmSettings, MailSettings, MailTransport, SmtpTls};
pub use sections::*;
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::Path;
use url::Url;

/// Environment variables with this prefix configure the server.
pub const ENV_PREFIX: &str = "PORTCULLIS";

/// Run mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Generated secret, loopback only, loud banner. The default.
    #[default]
    Dev,
    /// Requires a strong secret and an explicit public URL.
    Production,
}

/// Everything the server can be told.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    pub mode: Mode,
    /// Address to listen on; port 0 picks a free port.
    pub listen: SocketAddr,
    /// Where users reach the server; links and cookie security derive from it.
    pub public_url: Option<Url>,
    /// Server secret (at least 32 characters). Generated in dev mode.
    pub secret: Option<String>,
    pub site_name: String,
    pub database: DatabaseSettings,
    pub password: PasswordSettings,
    pub session: SessionSettings,
    pub http: HttpSettings,
    pub log: LogSettings,
    pub lockout: LockoutSettings,
    pub rate_limit: RateLimitSettings,
    pub mail: MailSettings,
    pub confirm: ConfirmSettings,
    pub registration: RegistrationSettings,
    /// Roles created or updated at every start (TOML `[[roles]]` tables).
    pub roles: Vec<RoleSettings>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            mode: Mode::Dev,
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            public_url: None,
            secret: None,
            site_name: "Portcullis".into(),
            database: DatabaseSettings::default(),
            password: PasswordSettings::default(),
            session: SessionSettings::default(),
            http: HttpSettings::default(),
            log: LogSettings::default(),
            lockout: LockoutSettings::default(),
            rate_limit: RateLimitSettings::default(),
            mail: MailSettings::default(),
            confirm: ConfirmSettings::default(),
            registration: RegistrationSettings::default(),
            roles: Vec::new(),
        }
    }
}

/// A configuration that cannot be used, with the key to fix.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("configuration: {0}")]
    Load(#[from] config::ConfigError),
    #[error("configuration key `{key}`: {message}")]
    Invalid { key: &'static str, message: String },
}

pub(crate) fn invalid(key: &'static str, message: impl Into<String>) -> SettingsError {
    SettingsError::Invalid {
        key,
        message: message.into(),
    }
}

impl Settings {
    /// Reads defaults, the optional file and the given environment.
    pub fn load(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, SettingsError> {
        let mut builder = config::Config::builder();
        if let Some(path) = file {
            builder = builder.add_source(
                config::File::from(path)
                    .format(config::FileFormat::Toml)
                    .required(true),
            );
        }
        // Variables of the test harness and the CLI's own are not settings.
        let env: config::Map<String, String> = env
            .into_iter()
            .filter(|(k, _)| {
                k.starts_with("PORTCULLIS_")
                    && !k.starts_with("PORTCULLIS_TEST")
                    && k != "PORTCULLIS_CONFIG"
            })
            .collect();
        builder = builder.add_source(
            config::Environment::with_prefix(ENV_PREFIX)
                .prefix_separator("_")
                .separator("__")
                .try_parsing(true)
                .source(Some(env)),
        );
        let settings: Settings = builder.build()?.try_deserialize()?;
        settings.validate()?;
        Ok(settings)
    }
}
