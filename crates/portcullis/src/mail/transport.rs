//! Where rendered messages go: an SMTP server (STARTTLS, implicit TLS or,
//! for a catcher on loopback, plain), or the development outbox, a folder of
//! `.eml` files whose links are also printed to the log.

use super::render::Rendered;
use super::settings::{MailSettings, MailTransport, SmtpTls};
use crate::settings::Mode;
use anyhow::Context as _;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
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

    /// Hands one message over; an error means "try again later".
    pub async fn deliver(&self, kind: &str, rendered: &Rendered) -> anyhow::Result<()> {
        match self {
            Transport::Smtp(smtp) => {
                smtp.send(rendered.message.clone()).await?;
                Ok(())
            }
            Transport::Outbox(dir) => {
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
    }
}
