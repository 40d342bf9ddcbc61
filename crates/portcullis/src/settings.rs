//! Configuration: defaults, then an optional TOML file, then `PORTCULLIS_`
//! environment variables (`PORTCULLIS_DATABASE__URL` sets `database.url`),
//! validated once at start with messages that name the offending key.

pub use crate::mail::settings::{ConfirmSettings, MailSettings, MailTransport, SmtpTls};
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;
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

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RegistrationSettings {
    /// Self-registration is open; when off, accounts come from
    /// administrators and the command line.
    pub enabled: bool,
    /// Answer "this address is already registered"; unset means yes in dev
    /// mode and no in production.
    pub reveal_taken: Option<bool>,
    /// Role every new registration receives; it must exist (declare it
    /// under `[[roles]]`).
    pub default_role: Option<String>,
}

impl Default for RegistrationSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            reveal_taken: None,
            default_role: None,
        }
    }
}

/// A role declared in the configuration file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleSettings {
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub permissions: Vec<String>,
    /// Roles whose holders may grant and revoke this one.
    #[serde(default)]
    pub grantable_by: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LockoutSettings {
    /// Consecutive failed logins that lock an account; 0 disables lockout.
    pub max_failures: u32,
    /// How long a lock lasts.
    #[serde(with = "humantime_serde")]
    pub duration: Duration,
    /// Say "account locked" instead of the generic failure message.
    pub reveal: bool,
}

/// `max` hits per `window`.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitSettings {
    pub max: u32,
    #[serde(with = "humantime_serde")]
    pub window: Duration,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RateLimitSettings {
    /// Off switch for trusted test setups; lockout stays on.
    pub enabled: bool,
    /// Proxies (addresses or CIDR ranges) whose X-Forwarded-For is believed.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    pub login_per_ip: LimitSettings,
    pub login_per_account: LimitSettings,
    pub register_per_ip: LimitSettings,
    pub email_per_ip: LimitSettings,
    pub email_per_account: LimitSettings,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseSettings {
    /// `sqlite://portcullis.db` (default) or `postgres://user@host/db`.
    pub url: String,
    pub max_connections: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PasswordSettings {
    /// argon2id memory cost in KiB.
    pub memory_kib: u32,
    /// argon2id passes.
    pub iterations: u32,
    /// argon2id lanes.
    pub parallelism: u32,
    /// Hashes computed at once; 0 means one per core.
    pub max_concurrent_hashes: usize,
    /// Shortest password accepted.
    pub min_length: usize,
    /// Refuse the 10,000 most common passwords and repeated/sequential ones.
    pub reject_common: bool,
    /// Refuse passwords containing the username or the email's local part.
    pub reject_personal: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SessionSettings {
    #[serde(with = "humantime_serde")]
    pub idle_timeout: Duration,
    #[serde(with = "humantime_serde")]
    pub absolute_lifetime: Duration,
    #[serde(with = "humantime_serde")]
    pub remember_lifetime: Duration,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HttpSettings {
    /// Largest accepted request body in bytes.
    pub max_body_bytes: usize,
    /// Directory of templates overriding the built-in ones.
    pub templates_dir: Option<PathBuf>,
    /// Longest wait for a request's complete headers, counted from the
    /// connection's opening or from the first byte of a later request.
    #[serde(with = "humantime_serde")]
    pub header_read_timeout: Duration,
    /// A keep-alive connection idle this long between requests is closed.
    #[serde(with = "humantime_serde")]
    pub keepalive_timeout: Duration,
    /// Longest a request may take from its headers to its answer: a body
    /// still arriving then is answered 408, a handler still running 503.
    #[serde(with = "humantime_serde")]
    pub request_timeout: Duration,
    /// Connections open at once, at most (lowered at start to fit the
    /// open-file limit). A connection past the cap is answered 503 and closed.
    pub max_connections: usize,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogSettings {
    /// `text` or `json`.
    pub format: LogFormat,
    /// A tracing filter such as `info` or `portcullis=debug,info`; `RUST_LOG` wins.
    pub level: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
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

impl Default for DatabaseSettings {
    fn default() -> Self {
        Self {
            url: "sqlite://portcullis.db".into(),
            max_connections: 10,
        }
    }
}

impl Default for PasswordSettings {
    fn default() -> Self {
        let hashing = portcullis_core::HashingConfig::default();
        let policy = portcullis_core::policy::PasswordPolicy::default();
        Self {
            memory_kib: hashing.memory_kib,
            iterations: hashing.iterations,
            parallelism: hashing.parallelism,
            max_concurrent_hashes: 0,
            min_length: policy.min_length,
            reject_common: policy.reject_common,
            reject_personal: policy.reject_personal,
        }
    }
}

impl Default for LockoutSettings {
    fn default() -> Self {
        let policy = portcullis_core::policy::LockoutPolicy::default();
        Self {
            max_failures: policy.max_failures,
            duration: std_duration(policy.duration),
            reveal: policy.reveal,
        }
    }
}

impl From<portcullis_core::policy::Limit> for LimitSettings {
    fn from(limit: portcullis_core::policy::Limit) -> Self {
        Self {
            max: limit.max,
            window: std_duration(limit.window),
        }
    }
}

impl Default for RateLimitSettings {
    fn default() -> Self {
        let policy = portcullis_core::policy::RateLimitPolicy::default();
        Self {
            enabled: policy.enabled,
            trusted_proxies: Vec::new(),
            login_per_ip: policy.login_per_ip.into(),
            login_per_account: policy.login_per_account.into(),
            register_per_ip: policy.register_per_ip.into(),
            email_per_ip: policy.email_per_ip.into(),
            email_per_account: policy.email_per_account.into(),
        }
    }
}

fn std_duration(d: time::Duration) -> Duration {
    Duration::try_from(d).unwrap_or_default()
}

impl Default for SessionSettings {
    fn default() -> Self {
        Self {
            idle_timeout: Duration::from_secs(30 * 60),
            absolute_lifetime: Duration::from_secs(24 * 3600),
            remember_lifetime: Duration::from_secs(30 * 24 * 3600),
        }
    }
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self {
            max_body_bytes: 64 * 1024,
            templates_dir: None,
            header_read_timeout: Duration::from_secs(10),
            keepalive_timeout: Duration::from_secs(75),
            request_timeout: Duration::from_secs(30),
            max_connections: 10_000,
        }
    }
}

impl Default for LogSettings {
    fn default() -> Self {
        Self {
            format: LogFormat::Text,
            level: "info".into(),
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

    /// Checks what serde cannot: ranges, and the rules of production mode.
    pub fn validate(&self) -> Result<(), SettingsError> {
        if self.database.max_connections == 0 {
            return Err(invalid("database.max_connections", "must be at least 1"));
        }
        if self.password.memory_kib < 8 * self.password.parallelism.max(1) {
            return Err(invalid(
                "password.memory_kib",
                "must be at least 8 × password.parallelism",
            ));
        }
        if self.password.iterations == 0 {
            return Err(invalid("password.iterations", "must be at least 1"));
        }
        if self.password.parallelism == 0 {
            return Err(invalid("password.parallelism", "must be at least 1"));
        }
        if self.session.idle_timeout.is_zero() {
            return Err(invalid("session.idle_timeout", "must be longer than zero"));
        }
        if self.session.absolute_lifetime < self.session.idle_timeout {
            return Err(invalid(
                "session.absolute_lifetime",
                "must be at least session.idle_timeout",
            ));
        }
        if self.session.remember_lifetime.is_zero() {
            return Err(invalid(
                "session.remember_lifetime",
                "must be longer than zero",
            ));
        }
        if self.password.min_length < 1
            || self.password.min_length > portcullis_core::domain::password::MAX_LEN
        {
            return Err(invalid("password.min_length", "must be between 1 and 128"));
        }
        if self.lockout.max_failures > 0 && self.lockout.duration.is_zero() {
            return Err(invalid("lockout.duration", "must be longer than zero"));
        }
        let limits = &self.rate_limit;
        for (key, limit) in [
            ("rate_limit.login_per_ip", limits.login_per_ip),
            ("rate_limit.login_per_account", limits.login_per_account),
            ("rate_limit.register_per_ip", limits.register_per_ip),
            ("rate_limit.email_per_ip", limits.email_per_ip),
            ("rate_limit.email_per_account", limits.email_per_account),
        ] {
            if limit.max == 0 || limit.window.is_zero() {
                return Err(invalid(key, "max and window must both be above zero"));
            }
        }
        for role in &self.roles {
            if portcullis_core::domain::role::RoleName::parse(&role.name).is_err() {
                return Err(invalid(
                    "roles.name",
                    format!("{:?} is not a valid role name", role.name),
                ));
            }
            if let Some(p) = role
                .permissions
                .iter()
                .find(|p| portcullis_core::Permission::parse(p).is_err())
            {
                return Err(invalid(
                    "roles.permissions",
                    format!("{p:?} in role {:?} is not a valid permission", role.name),
                ));
            }
        }
        if self.http.max_body_bytes < 1024 {
            return Err(invalid("http.max_body_bytes", "must be at least 1024"));
        }
        for (key, timeout) in [
            ("http.header_read_timeout", self.http.header_read_timeout),
            ("http.keepalive_timeout", self.http.keepalive_timeout),
            ("http.request_timeout", self.http.request_timeout),
        ] {
            if timeout.is_zero() {
                return Err(invalid(key, "must be longer than zero"));
            }
        }
        if self.http.max_connections == 0 {
            return Err(invalid("http.max_connections", "must be at least 1"));
        }
        if let Some(url) = &self.public_url
            && (!matches!(url.scheme(), "http" | "https") || url.host().is_none())
        {
            return Err(invalid(
                "public_url",
                "must be an http:// or https:// URL with a host",
            ));
        }
        if let Some(secret) = &self.secret {
            check_secret(secret)?;
        }
        match self.mode {
            Mode::Production => {
                if self.secret.is_none() {
                    return Err(invalid(
                        "secret",
                        "production mode needs a secret of at least 32 random characters \
                         (e.g. PORTCULLIS_SECRET=$(openssl rand -hex 32))",
                    ));
                }
                if self.public_url.is_none() {
                    return Err(invalid(
                        "public_url",
                        "production mode needs the URL users reach the server at (PORTCULLIS_PUBLIC_URL)",
                    ));
                }
            }
            Mode::Dev => {
                if !self.listen.ip().is_loopback() {
                    return Err(invalid(
                        "listen",
                        "development mode only listens on loopback; set mode = \"production\" \
                         with a secret and public_url to serve other machines",
                    ));
                }
            }
        }
        self.mail.validate(self.mode)
    }
}

/// A secret must be long and not obviously made up by hand.
fn check_secret(secret: &str) -> Result<(), SettingsError> {
    if secret.len() < 32 {
        return Err(invalid("secret", "must be at least 32 characters long"));
    }
    let mut distinct: Vec<char> = secret.chars().collect();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() < 10 {
        return Err(invalid(
            "secret",
            "is too repetitive; generate one with `openssl rand -hex 32`",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn nothing_configured_means_dev_mode_on_sqlite() {
        let s = Settings::load(None, env(&[])).unwrap();
        assert_eq!(s.mode, Mode::Dev);
        assert_eq!(s.database.url, "sqlite://portcullis.db");
        assert_eq!(s.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(s.session.idle_timeout, Duration::from_secs(1800));
    }

    #[test]
    fn environment_variables_override_with_double_underscore_nesting() {
        let s = Settings::load(
            None,
            env(&[
                ("PORTCULLIS_DATABASE__URL", "postgres://db/x"),
                ("PORTCULLIS_LISTEN", "127.0.0.1:0"),
                ("PORTCULLIS_PUBLIC_URL", "https://auth.example.com"),
                ("PORTCULLIS_SESSION__IDLE_TIMEOUT", "5m"),
                ("PORTCULLIS_TEST_POSTGRES_URL", "ignored"),
                ("OTHER", "ignored"),
            ]),
        )
        .unwrap();
        assert_eq!(s.database.url, "postgres://db/x");
        assert_eq!(s.listen.port(), 0);
        assert_eq!(s.public_url.unwrap().as_str(), "https://auth.example.com/");
        assert_eq!(s.session.idle_timeout, Duration::from_secs(300));
    }

    #[test]
    fn production_refuses_missing_or_weak_secrets_and_missing_url() {
        let err = Settings::load(None, env(&[("PORTCULLIS_MODE", "production")])).unwrap_err();
        assert!(err.to_string().contains("`secret`"), "{err}");
        let err = Settings::load(
            None,
            env(&[
                ("PORTCULLIS_MODE", "production"),
                ("PORTCULLIS_SECRET", &"a".repeat(40)),
            ]),
        )
        .unwrap_err();
        assert!(err.to_string().contains("repetitive"), "{err}");
        let err = Settings::load(
            None,
            env(&[
                ("PORTCULLIS_MODE", "production"),
                ("PORTCULLIS_SECRET", "0123456789abcdef0123456789abcdef"),
            ]),
        )
        .unwrap_err();
        assert!(err.to_string().contains("`public_url`"), "{err}");
    }

    #[test]
    fn bad_values_name_their_key() {
        let err = Settings::load(
            None,
            env(&[("PORTCULLIS_DATABASE__MAX_CONNECTIONS", "lots")]),
        )
        .unwrap_err();
        assert!(err.to_string().contains("max_connections"), "{err}");
        let err = Settings::load(None, env(&[("PORTCULLIS_LISTEN", "0.0.0.0:80")])).unwrap_err();
        assert!(err.to_string().contains("`listen`"), "{err}");
        let err =
            Settings::load(None, env(&[("PORTCULLIS_SESSION__IDLE_TIMEOUT", "soon")])).unwrap_err();
        assert!(err.to_string().contains("idle_timeout"), "{err}");
    }

    #[test]
    fn http_limits_are_read_as_durations_and_checked() {
        let s = Settings::load(
            None,
            env(&[
                ("PORTCULLIS_HTTP__HEADER_READ_TIMEOUT", "2s"),
                ("PORTCULLIS_HTTP__KEEPALIVE_TIMEOUT", "1m"),
                ("PORTCULLIS_HTTP__REQUEST_TIMEOUT", "500ms"),
                ("PORTCULLIS_HTTP__MAX_CONNECTIONS", "64"),
            ]),
        )
        .unwrap();
        assert_eq!(s.http.header_read_timeout, Duration::from_secs(2));
        assert_eq!(s.http.keepalive_timeout, Duration::from_secs(60));
        assert_eq!(s.http.request_timeout, Duration::from_millis(500));
        assert_eq!(s.http.max_connections, 64);
        for (key, value) in [
            ("PORTCULLIS_HTTP__HEADER_READ_TIMEOUT", "0s"),
            ("PORTCULLIS_HTTP__KEEPALIVE_TIMEOUT", "0s"),
            ("PORTCULLIS_HTTP__REQUEST_TIMEOUT", "0s"),
            ("PORTCULLIS_HTTP__MAX_CONNECTIONS", "0"),
        ] {
            let err = Settings::load(None, env(&[(key, value)])).unwrap_err();
            let name = key.trim_start_matches("PORTCULLIS_HTTP__").to_lowercase();
            assert!(err.to_string().contains(&format!("`http.{name}`")), "{err}");
        }
        let err = Settings::load(None, env(&[("PORTCULLIS_HTTP__KEEPALIVE_TIMEOUT", "soon")]))
            .unwrap_err();
        assert!(err.to_string().contains("keepalive_timeout"), "{err}");
    }

    #[test]
    fn a_toml_file_is_read_and_unknown_keys_are_refused() {
        let dir = std::env::temp_dir().join(format!("portcullis-cfg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let good = dir.join("good.toml");
        std::fs::write(
            &good,
            "site_name = \"Acme\"\n[database]\nurl = \"sqlite://acme.db\"\n",
        )
        .unwrap();
        let s = Settings::load(Some(&good), env(&[])).unwrap();
        assert_eq!(
            (s.site_name.as_str(), s.database.url.as_str()),
            ("Acme", "sqlite://acme.db")
        );
        let bad = dir.join("bad.toml");
        std::fs::write(&bad, "[database]\nurll = \"x\"\n").unwrap();
        let err = Settings::load(Some(&bad), env(&[])).unwrap_err();
        assert!(err.to_string().contains("urll"), "{err}");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
