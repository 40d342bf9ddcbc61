//! The sections of the configuration (`[database]`, `[session]`, ...) and
//! their defaults.

use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Clone, Deserialize, Serialize)]
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
#[derive(Debug, Clone, Deserialize, Serialize)]
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

#[derive(Debug, Clone, Deserialize, Serialize)]
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
#[derive(Debug, Clone, Copy, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LimitSettings {
    pub max: u32,
    #[serde(with = "humantime_serde")]
    pub window: Duration,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct RateLimitSettings {
    /// Off switch for trusted test setups; lockout stays on.
    pub enabled: bool,
    pub login_per_ip: LimitSettings,
    pub login_per_account: LimitSettings,
    pub register_per_ip: LimitSettings,
    pub email_per_ip: LimitSettings,
    pub email_per_account: LimitSettings,
    /// IPv6 clients are counted per network of this many leading bits.
    pub ipv6_prefix: u8,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseSettings {
    /// `sqlite://portcullis.db` (default) or `postgres://user@host/db`.
    pub url: String,
    pub max_connections: u32,
    /// Run on a database a newer release has migrated (rolling upgrades).
    pub allow_newer_schema: bool,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
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

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct SessionSettings {
    #[serde(with = "humantime_serde")]
    pub idle_timeout: Duration,
    #[serde(with = "humantime_serde")]
    pub absolute_lifetime: Duration,
    #[serde(with = "humantime_serde")]
    pub remember_lifetime: Duration,
    /// The domain the session cookie is sent to with its subdomains
    /// (`example.com`), so that sites behind forward auth see the sign-in;
    /// unset means the cookie stays with `public_url`'s host.
    pub cookie_domain: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
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

/// What users imported from another system still need (`[import]`).
#[derive(Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ImportSettings {
    /// `SECURITY_PASSWORD_SALT` of the Flask-Security app whose users were
    /// imported: their passwords were pre-hashed with it, and every login
    /// needs it until that user's hash has been replaced with argon2id.
    pub flask_security_password_salt: Option<String>,
}

impl std::fmt::Debug for ImportSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let salt = self
            .flask_security_password_salt
            .as_ref()
            .map(|_| "<redacted>");
        f.debug_struct("ImportSettings")
            .field("flask_security_password_salt", &salt)
            .finish()
    }
}

/// Where `/metrics` is served: never on the public listener.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsSettings {
    /// Address of the metrics listener; `None` (the default) serves none.
    pub listen: Option<std::net::SocketAddr>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogSettings {
    /// `text` or `json`.
    pub format: LogFormat,
    /// A tracing filter such as `info` or `portcullis=debug,info`; `RUST_LOG` wins.
    pub level: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        Self {
            url: "sqlite://portcullis.db".into(),
            max_connections: 10,
            allow_newer_schema: false,
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
            login_per_ip: policy.login_per_ip.into(),
            login_per_account: policy.login_per_account.into(),
            register_per_ip: policy.register_per_ip.into(),
            email_per_ip: policy.email_per_ip.into(),
            email_per_account: policy.email_per_account.into(),
            ipv6_prefix: policy.ipv6_prefix,
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
            cookie_domain: None,
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

/// When a second factor is required.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct TwoFactorSettings {
    /// Every account must set up a second factor.
    pub required: bool,
    /// Holders of these roles must set up a second factor.
    pub required_for_roles: Vec<String>,
}

/// How long API tokens live.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct TokenSettings {
    /// Lifetime of a token from `POST /api/token`.
    #[serde(with = "humantime_serde")]
    pub login_token_lifetime: Duration,
    /// Lifetime of a personal or service token made without one.
    #[serde(with = "humantime_serde")]
    pub default_lifetime: Duration,
    /// The longest lifetime a personal or service token may be given.
    #[serde(with = "humantime_serde")]
    pub max_lifetime: Duration,
    /// Whether a personal or service token may be made to never expire.
    pub allow_no_expiry: bool,
}

impl Default for TokenSettings {
    fn default() -> Self {
        let policy = portcullis_core::policy::TokenPolicy::default();
        Self {
            login_token_lifetime: std_duration(policy.login_lifetime),
            default_lifetime: std_duration(policy.default_lifetime),
            max_lifetime: std_duration(policy.max_lifetime),
            allow_no_expiry: policy.allow_no_expiry,
        }
    }
}
