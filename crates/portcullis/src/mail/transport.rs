//! Where rendered messages go: an SMTP server (STARTTLS, implicit TLS or,
//! for a catcher on loopback, plain), or the development outbox, a folder of
//! `.eml` files whose links are also printed to the log.

use super::render::Rendered;
use super::settings::{MailSettings, MailTransport, SmtpTls};
use crate::settings::Mode;
use anyhow::Context as _;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use portcullis_core::notify::Undelivered;
use std::path::PathBuf;

/// A configured way out.
#[derive(Clone)]
pub enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Outbox(PathBuf),
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Transport::Smtp(_) => f.write_str("Transport::Smtp"),
            Transport::Outbox(dir) => write!(f, "Transport::Outbox({})", dir.display()),
        }
    }
}

impl Transport {
    /// Builds the transport the settings describe (validated already).
    pub fn from_settings(settings: &MailSettings, mode: Mode) -> anyhow::Result<Self> {
        match settings.transport_for(mode) {
            Some(MailTransport::Smtp) => {
                let host = settings.smtp_host.as_deref().unwrap_or("localhost");
                let builder = match settings.smtp_tls {
                    SmtpTls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host),
                    SmtpTls::Starttls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host)
                        .context("mail.smtp_host")?,
                    SmtpTls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(host)
                        .context("mail.smtp_host")?,
                };
                let mut builder = builder
                    .port(settings.port())
                    .timeout(Some(settings.smtp_timeout));
                if let (Some(user), Some(password)) =
                    (&settings.smtp_username, &settings.smtp_password)
                {
                    builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
                }
                Ok(Transport::Smtp(builder.build()))
            }
            Some(MailTransport::Outbox) | None => {
                Ok(Transport::Outbox(settings.outbox_dir.clone()))
            }
        }
    }

    /// Hands one message over. A mail server's permanent refusal (a 5xx
    /// reply) is final; anything else is worth trying again later.
    pub async fn deliver(&self, kind: &str, rendered: &Rendered) -> Result<(), Undelivered> {
        match self {
            Transport::Smtp(smtp) => match smtp.send(rendered.message.clone()).await {
                Ok(_) => Ok(()),
                Err(err) if err.is_permanent() => Err(Undelivered::Refused(err.to_string())),
                Err(err) => Err(Undelivered::Retry(err.to_string())),
            },
            Transport::Outbox(dir) => Self::write_outbox(dir, kind, rendered)
                .await
                .map_err(|err| Undelivered::Retry(format!("could not write to the outbox: {err}"))),
        }
    }

    /// Writes the message to the outbox folder and its links to the log.
    async fn write_outbox(
        dir: &std::path::Path,
        kind: &str,
        rendered: &Rendered,
    ) -> std::io::Result<()> {
        tokio::fs::create_dir_all(dir).await?;
        let mut suffix = [0u8; 4];
        rand::fill(&mut suffix);
        let millis = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or_default();
        let path = dir.join(format!("{millis}-{}-{kind}.eml", hex::encode(suffix)));
        tokio::fs::write(&path, rendered.message.formatted()).await?;
        let to = rendered
            .message
            .envelope()
            .to()
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        tracing::info!(to = %to, kind, file = %path.display(), "email written to the outbox");
        for link in &rendered.links {
            tracing::info!(to = %to, kind, "email link: {link}");
        }
        Ok(())
    }
}
