//! Configuration: defaults, then an optional TOML file, then `PORTCULLIS_`
//! environment variables (`PORTCULLIS_DATABASE__URL` sets `database.url`),
//! validated once at start with messages that name the offending key, its
//! variable and an example value.
//!
//! `keys` lists every key with its type and an example; `load` reads
//! and merges the sources by it (`value` reads one value); `validate`
//! checks ranges and relations between keys, `production` the rules of
//! production mode (`secret` judges the secret); `error` words it all;
//! `mail` holds the `[mail]` and `[confirm]` sections, `oidc` the OpenID
//! Connect providers (`[oidc.providers.<id>]`), `forward_auth` the rules
//! a reverse proxy asks about (`[forward_auth]`).
//!
//! A crate of its own (the server re-exports it as `portcullis::settings`)
//! so that the fuzz targets build it without the server's dependencies.
#![forbid(unsafe_code)]

mod error;
pub mod forward_auth;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
mod keys;
mod load;
pub mod mail;
pub mod oidc;
mod production;
mod secret;
mod sections;
#[cfg(test)]
mod tests;
mod validate;
mod value;

pub use error::SettingsError;
pub use error::invalid;
pub use forward_auth::{ForwardAuthSettings, ForwardDefault, ForwardProxy, ForwardRuleSettings};
pub use mail::{ConfirmSettings, MailSettings, MailTransport, SmtpTls};
pub use oidc::{OidcProviderSettings, OidcSettings, ResolvedProvider};
pub use sections::*;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::net::SocketAddr;
use std::path::Path;
use url::Url;

/// Environment variables with this prefix configure the server.
pub const ENV_PREFIX: &str = "PORTCULLIS";

/// Run mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Generated secret, loopback only, loud banner. The default.
    #[default]
    Dev,
    /// Requires a strong secret and an explicit public URL.
    Production,
}

/// Everything the server can be told. Serializing it (as the loader does
/// with the defaults) writes the secrets out in full; its `Debug` does not.
#[derive(Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    pub mode: Mode,
    /// Address to listen on; port 0 picks a free port.
    pub listen: SocketAddr,
    /// Where users reach the server; links and cookie security derive from it.
    pub public_url: Option<Url>,
    /// Lets production mode run with a `public_url` over plain http.
    pub allow_insecure_http: bool,
    /// Server secret. Generated in dev mode; production needs a random one.
    pub secret: Option<String>,
    /// Secrets used before `secret`: what they sealed (TOTP seeds) is still
    /// read, and sealed again under `secret` on its next use.
    pub previous_secrets: Vec<String>,
    pub site_name: String,
    /// Proxies (addresses or CIDR ranges) whose `X-Forwarded-For` is
    /// believed. `rate_limit.trusted_proxies` is read as an alias.
    pub trusted_proxies: Vec<ipnet::IpNet>,
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
    pub two_factor: TwoFactorSettings,
    pub tokens: TokenSettings,
    /// Roles created or updated at every start (TOML `[[roles]]` tables).
    pub roles: Vec<RoleSettings>,
    /// OpenID Connect providers users may sign in with
    /// (`[oidc.providers.<id>]`); [`Settings::oidc_providers`] resolves them.
    pub oidc: OidcSettings,
    /// Who may pass a reverse proxy that asks the server
    /// (`[forward_auth]`, rules in `[[forward_auth.rules]]`).
    pub forward_auth: ForwardAuthSettings,
    /// Prometheus metrics on an address of their own (`[metrics]`).
    pub metrics: MetricsSettings,
    /// What imported users need (`[import]`).
    pub import: ImportSettings,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            mode: Mode::Dev,
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            public_url: None,
            allow_insecure_http: false,
            secret: None,
            previous_secrets: Vec::new(),
            site_name: "Portcullis".into(),
            trusted_proxies: Vec::new(),
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
            two_factor: TwoFactorSettings::default(),
            tokens: TokenSettings::default(),
            roles: Vec::new(),
            oidc: OidcSettings::default(),
            forward_auth: ForwardAuthSettings::default(),
            metrics: MetricsSettings::default(),
            import: ImportSettings::default(),
        }
    }
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("mode", &self.mode)
            .field("listen", &self.listen)
            .field("public_url", &self.public_url.as_ref().map(Url::as_str))
            .field("allow_insecure_http", &self.allow_insecure_http)
            .field("secret", &self.secret.as_ref().map(|_| "<redacted>"))
            .field("previous_secrets", &self.previous_secrets.len())
            .field("site_name", &self.site_name)
            .field("trusted_proxies", &self.trusted_proxies)
            .field("database", &self.database)
            .field("password", &self.password)
            .field("session", &self.session)
            .field("http", &self.http)
            .field("log", &self.log)
            .field("lockout", &self.lockout)
            .field("rate_limit", &self.rate_limit)
            .field("mail", &self.mail)
            .field("confirm", &self.confirm)
            .field("registration", &self.registration)
            .field("two_factor", &self.two_factor)
            .field("tokens", &self.tokens)
            .field("roles", &self.roles)
            .field("oidc", &self.oidc)
            .field("forward_auth", &self.forward_auth)
            .field("metrics", &self.metrics)
            .field("import", &self.import)
            .finish()
    }
}

impl Settings {
    /// Reads the defaults, the optional TOML `file` and the `PORTCULLIS_`
    /// variables of `env`, then validates the result.
    pub fn load(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, SettingsError> {
        let settings = load::merged(file, env)?;
        settings.validate()?;
        Ok(settings)
    }
}
