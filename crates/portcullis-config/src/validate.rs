//! The checks the types cannot make: ranges and relations between keys.
//! The rules of production mode are in [`production`](super::production).

use super::{Mode, SessionSettings, Settings, SettingsError, invalid, secret, value};
use std::time::Duration;

/// The shortest idle timeout: below it a pause to read a page ends the
/// session, and the touch interval (a quarter of it) writes too often.
const MIN_IDLE: Duration = Duration::from_secs(60);
/// The most lanes argon2 has (2^24 - 1).
const MAX_LANES: u32 = 0xFF_FFFF;
/// The longest any session may last.
const MAX_LIFETIME: Duration = Duration::from_secs(365 * 24 * 3600);

impl Settings {
    /// Checks ranges, relations between keys, and the rules of the mode.
    pub fn validate(&self) -> Result<(), SettingsError> {
        // Port 0 picks a free port for each, so two of them never collide.
        if self
            .metrics
            .listen
            .is_some_and(|m| m == self.listen && m.port() != 0)
        {
            return Err(invalid(
                "metrics.listen",
                "must differ from listen: metrics are never served on the public listener",
            ));
        }
        if self.database.max_connections == 0 {
            return Err(invalid("database.max_connections", "must be at least 1"));
        }
        if self.password.parallelism == 0 || self.password.parallelism > MAX_LANES {
            return Err(invalid(
                "password.parallelism",
                format!("must be between 1 and {MAX_LANES}"),
            ));
        }
        // In u64: 8 × a large u32 wrapped around to a small number and let
        // any memory cost through.
        if u64::from(self.password.memory_kib) < 8 * u64::from(self.password.parallelism) {
            return Err(invalid(
                "password.memory_kib",
                "must be at least 8 × password.parallelism",
            ));
        }
        if self.password.iterations == 0 {
            return Err(invalid("password.iterations", "must be at least 1"));
        }
        self.session.validate()?;
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
            if limit.max == 0 {
                return Err(invalid(&format!("{key}.max"), "must be at least 1"));
            }
            if limit.window.is_zero() {
                return Err(invalid(
                    &format!("{key}.window"),
                    "must be longer than zero",
                ));
            }
        }
        // Shorter prefixes would put whole providers in one bucket; /128
        // counts every address alone.
        if !(32..=128).contains(&limits.ipv6_prefix) {
            return Err(invalid(
                "rate_limit.ipv6_prefix",
                "must be between 32 and 128",
            ));
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
        if let Some(role) = self
            .two_factor
            .required_for_roles
            .iter()
            .find(|r| portcullis_core::domain::role::RoleName::parse(r).is_err())
        {
            return Err(invalid(
                "two_factor.required_for_roles",
                format!("{role:?} is not a valid role name"),
            ));
        }
        let tokens = &self.tokens;
        for (key, lifetime) in [
            ("tokens.login_token_lifetime", tokens.login_token_lifetime),
            ("tokens.default_lifetime", tokens.default_lifetime),
            ("tokens.max_lifetime", tokens.max_lifetime),
        ] {
            if lifetime < Duration::from_secs(60) {
                return Err(invalid(key, "must be at least 1m"));
            }
        }
        if tokens.default_lifetime > tokens.max_lifetime {
            return Err(invalid(
                "tokens.default_lifetime",
                "must not be longer than tokens.max_lifetime",
            ));
        }
        for previous in &self.previous_secrets {
            if previous.len() < 32 {
                return Err(invalid(
                    "previous_secrets",
                    "each earlier secret is at least 32 characters, as it was when it was in use",
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
        // Checked in every mode once public_url is known (production mode
        // requires it): a browser refuses a cookie for a domain that is not
        // the host's own or above it, and sign-ins would silently fail.
        if let (Some(domain), Some(url)) = (&self.session.cookie_domain, &self.public_url) {
            let host = url.host_str().unwrap_or_default();
            let covered = host == domain
                || host
                    .strip_suffix(domain.as_str())
                    .is_some_and(|above| above.ends_with('.'));
            if !covered {
                return Err(invalid(
                    "session.cookie_domain",
                    format!(
                        "{domain:?} is not public_url's host {host:?} nor a domain above it,                          and browsers refuse a cookie for it; set it to {host:?} or a domain                          it ends with"
                    ),
                ));
            }
        }
        if let Some(secret) = &self.secret
            && secret.len() < secret::MIN_BYTES
        {
            return Err(invalid(
                "secret",
                format!(
                    "must be at least {} bytes long (the server keys its HMACs with it)",
                    secret::MIN_BYTES
                ),
            ));
        }
        match self.mode {
            Mode::Production => self.validate_production()?,
            Mode::Dev => {
                if !self.listen.ip().is_loopback() {
                    return Err(invalid(
                        "listen",
                        format!(
                            "{} is not a loopback address, and development mode only listens \
                             on loopback; set mode = \"production\" with a secret and \
                             public_url to serve other machines",
                            self.listen
                        ),
                    ));
                }
            }
        }
        self.mail.validate(self.mode)?;
        self.oidc.validate()?;
        self.forward_auth.validate()
    }
}

impl SessionSettings {
    /// Idle timeout from a minute up to the absolute lifetime; lifetimes up
    /// to a year.
    fn validate(&self) -> Result<(), SettingsError> {
        let shown = |d: Duration| humantime::format_duration(d).to_string();
        if self.idle_timeout < MIN_IDLE || self.idle_timeout > self.absolute_lifetime {
            return Err(invalid(
                "session.idle_timeout",
                format!(
                    "{} is not between {} and session.absolute_lifetime ({})",
                    shown(self.idle_timeout),
                    shown(MIN_IDLE),
                    shown(self.absolute_lifetime)
                ),
            ));
        }
        if self.absolute_lifetime > MAX_LIFETIME {
            return Err(invalid(
                "session.absolute_lifetime",
                format!(
                    "{} is longer than {}",
                    shown(self.absolute_lifetime),
                    shown(MAX_LIFETIME)
                ),
            ));
        }
        if self.remember_lifetime < MIN_IDLE || self.remember_lifetime > MAX_LIFETIME {
            return Err(invalid(
                "session.remember_lifetime",
                format!(
                    "{} is not between {} and {}",
                    shown(self.remember_lifetime),
                    shown(MIN_IDLE),
                    shown(MAX_LIFETIME)
                ),
            ));
        }
        if let Some(domain) = &self.cookie_domain {
            check_cookie_domain(domain)
                .map_err(|problem| invalid("session.cookie_domain", problem))?;
        }
        Ok(())
    }
}

/// A bare domain a cookie can name: a lower-case DNS name with at least one
/// dot; no leading dot, scheme, port or path; not an IP address.
fn check_cookie_domain(domain: &str) -> Result<(), String> {
    let why = if domain.contains("://") {
        "has a scheme: write the domain alone"
    } else if domain.starts_with('.') {
        "starts with a dot: write the domain without it (the cookie covers its subdomains \
         either way)"
    } else if domain.contains(':') {
        "has a port (or is an IPv6 address): a cookie's domain has none"
    } else if domain.contains(['/', '@']) {
        "is not a bare domain: write the domain alone"
    } else if domain.ends_with('.') {
        "ends with a dot: write the domain without it"
    } else if domain.chars().any(|c| c.is_ascii_uppercase()) {
        "is not in lower case"
    } else if !value::is_dns_name(domain) {
        "is not a DNS name (labels of a-z, 0-9 and -, separated by dots)"
    } else if !domain.contains('.') {
        "has no dot: name the domain the server and the sites share, such as example.com"
    } else if domain
        .rsplit('.')
        .next()
        .is_some_and(|last| last.chars().all(|c| c.is_ascii_digit()))
    {
        "is an IP address: a cookie for an address goes to that host only; leave \
         session.cookie_domain unset"
    } else {
        return Ok(());
    };
    Err(format!("{domain:?} {why}"))
}
