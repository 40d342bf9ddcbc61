//! The `[mail]` and `[confirm]` sections of the configuration.

use crate::{Mode, SettingsError, invalid};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

/// How mail leaves the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MailTransport {
    /// A real mail server.
    Smtp,
    /// Files in `outbox_dir`, links printed to the log: development only.
    Outbox,
}

/// Transport security towards the SMTP server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    /// Plain text: a mail catcher on loopback, nothing else.
    None,
    /// Upgrade a plain connection (port 587). Refuses servers without it.
    #[default]
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
}

/// `[mail]`.
#[derive(Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct MailSettings {
    /// `smtp` or `outbox`; unset means `outbox` in development and is an
    /// error in production.
    pub transport: Option<MailTransport>,
    /// The `From` of every email, e.g. `Acme <no-reply@acme.test>`.
    pub from: String,
    pub smtp_host: Option<String>,
    /// Defaults by `smtp_tls`: 25 for none, 587 for starttls, 465 for tls.
    pub smtp_port: Option<u16>,
    pub smtp_tls: SmtpTls,
    pub smtp_username: Option<String>,
    pub smtp_password: Option<String>,
    /// Longest wait on the SMTP server for one step of a delivery.
    #[serde(with = "humantime_serde")]
    pub smtp_timeout: Duration,
    /// Where the outbox transport writes messages.
    pub outbox_dir: PathBuf,
    /// Lifetime of a password-reset link.
    #[serde(with = "humantime_serde")]
    pub reset_token_ttl: Duration,
    /// Lifetime of a confirmation link (registration, email change).
    #[serde(with = "humantime_serde")]
    pub confirm_token_ttl: Duration,
    /// Deliveries tried per message before it is given up and recorded
    /// (it stays in the queue as failed; `portcullis mail retry` sends it
    /// again). A message whose link expires first is never sent.
    pub max_attempts: u32,
    /// Wait before the first retry; doubled for each further one.
    #[serde(with = "humantime_serde")]
    pub retry_backoff: Duration,
    /// The longest wait between two attempts.
    #[serde(with = "humantime_serde")]
    pub retry_backoff_max: Duration,
    /// No longer used: the queue is in the database and has no fixed size.
    /// Still accepted, so that configuration files written for earlier
    /// versions load unchanged.
    pub queue_size: usize,
}

/// `[confirm]`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ConfirmSettings {
    /// Refuse logins until the address is confirmed.
    pub required: bool,
}

impl Default for MailSettings {
    fn default() -> Self {
        Self {
            transport: None,
            from: "Portcullis <no-reply@localhost>".into(),
            smtp_host: None,
            smtp_port: None,
            smtp_tls: SmtpTls::default(),
            smtp_username: None,
            smtp_password: None,
            smtp_timeout: Duration::from_secs(10),
            outbox_dir: PathBuf::from("outbox"),
            reset_token_ttl: Duration::from_secs(3600),
            confirm_token_ttl: Duration::from_secs(24 * 3600),
            max_attempts: 12,
            retry_backoff: Duration::from_secs(2),
            retry_backoff_max: Duration::from_secs(600),
            queue_size: 1000,
        }
    }
}

impl fmt::Debug for MailSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MailSettings")
            .field("transport", &self.transport)
            .field("from", &self.from)
            .field("smtp_host", &self.smtp_host)
            .field("smtp_port", &self.smtp_port)
            .field("smtp_tls", &self.smtp_tls)
            .field("smtp_username", &self.smtp_username)
            .field(
                "smtp_password",
                &self.smtp_password.as_ref().map(|_| "<redacted>"),
            )
            .field("outbox_dir", &self.outbox_dir)
            .finish_non_exhaustive()
    }
}

impl MailSettings {
    /// The transport in force for `mode`.
    pub fn transport_for(&self, mode: Mode) -> Option<MailTransport> {
        match (self.transport, mode) {
            (Some(t), _) => Some(t),
            (None, Mode::Dev) => Some(MailTransport::Outbox),
            (None, Mode::Production) => None,
        }
    }

    /// The SMTP port in force.
    pub fn port(&self) -> u16 {
        self.smtp_port.unwrap_or(match self.smtp_tls {
            SmtpTls::None => 25,
            SmtpTls::Starttls => 587,
            SmtpTls::Tls => 465,
        })
    }

    /// Checks the section for `mode`, naming the key at fault.
    pub fn validate(&self, mode: Mode) -> Result<(), SettingsError> {
        if self.from.parse::<lettre::message::Mailbox>().is_err() {
            return Err(invalid(
                "mail.from",
                format!("{:?} is not an email address", self.from),
            ));
        }
        match self.transport_for(mode) {
            None | Some(MailTransport::Outbox) if mode == Mode::Production => {
                return Err(invalid(
                    "mail.transport",
                    "production mode needs a mail server: set mail.transport = \"smtp\" \
                     and mail.smtp_host",
                ));
            }
            Some(MailTransport::Smtp) if self.smtp_host.as_deref().unwrap_or("").is_empty() => {
                return Err(invalid(
                    "mail.smtp_host",
                    "is required with mail.transport = \"smtp\"",
                ));
            }
            _ => {}
        }
        if mode == Mode::Production
            && self.transport_for(mode) == Some(MailTransport::Smtp)
            && self.smtp_tls == SmtpTls::None
        {
            let host = self.smtp_host.as_deref().unwrap_or("");
            if !is_loopback_host(host) {
                return Err(invalid(
                    "mail.smtp_tls",
                    format!(
                        "\"none\" sends mail{} in clear text, which production mode allows \
                         only to a mail server on loopback (localhost, 127.0.0.0/8, ::1), \
                         not to mail.smtp_host {host:?}",
                        if self.smtp_password.is_some() {
                            " and the SMTP password"
                        } else {
                            ""
                        }
                    ),
                ));
            }
        }
        if self.smtp_username.is_some() != self.smtp_password.is_some() {
            return Err(invalid(
                "mail.smtp_password",
                "mail.smtp_username and mail.smtp_password go together",
            ));
        }
        for (key, d) in [
            ("mail.smtp_timeout", self.smtp_timeout),
            ("mail.reset_token_ttl", self.reset_token_ttl),
            ("mail.confirm_token_ttl", self.confirm_token_ttl),
        ] {
            if d.is_zero() {
                return Err(invalid(key, "must be longer than zero"));
            }
        }
        if self.max_attempts == 0 {
            return Err(invalid("mail.max_attempts", "must be at least 1"));
        }
        if self.retry_backoff_max < self.retry_backoff {
            return Err(invalid(
                "mail.retry_backoff_max",
                "must be at least mail.retry_backoff",
            ));
        }
        Ok(())
    }
}

/// `localhost`, 127.0.0.0/8 or ::1 (also IPv4-mapped, and in brackets):
/// traffic to it never leaves the machine. Other names, even ones that
/// resolve to loopback today, are not taken on trust.
pub(crate) fn is_loopback_host(host: &str) -> bool {
    let host = host.trim();
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    let bare = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    match bare.parse::<IpAddr>() {
        Ok(IpAddr::V4(v4)) => v4.is_loopback(),
        Ok(IpAddr::V6(v6)) => {
            v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
        Err(_) => false,
    }
}
