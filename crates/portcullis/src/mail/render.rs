//! Turning a [`Notice`] into an email: subject, plain-text and HTML parts
//! from templates (embedded, each replaceable by a file in
//! `<http.templates_dir>/email/`), and links built from the configured
//! public URL only: never from a request's `Host` or `X-Forwarded-Host`.

use lettre::Message;
use lettre::message::{Mailbox, MultiPart};
use minijinja::Environment;
use portcullis_core::Notice;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::time::Duration;
use url::Url;

/// Every email template, by name.
const EMBEDDED: &[(&str, &str)] = &[
    (
        "email/base.html",
        include_str!("../../templates/email/base.html"),
    ),
    (
        "email/confirm_email.txt",
        include_str!("../../templates/email/confirm_email.txt"),
    ),
    (
        "email/confirm_email.html",
        include_str!("../../templates/email/confirm_email.html"),
    ),
    (
        "email/password_reset.txt",
        include_str!("../../templates/email/password_reset.txt"),
    ),
    (
        "email/password_reset.html",
        include_str!("../../templates/email/password_reset.html"),
    ),
    (
        "email/password_reset_done.txt",
        include_str!("../../templates/email/password_reset_done.txt"),
    ),
    (
        "email/password_reset_done.html",
        include_str!("../../templates/email/password_reset_done.html"),
    ),
    (
        "email/password_changed.txt",
        include_str!("../../templates/email/password_changed.txt"),
    ),
    (
        "email/password_changed.html",
        include_str!("../../templates/email/password_changed.html"),
    ),
    (
        "email/confirm_email_change.txt",
        include_str!("../../templates/email/confirm_email_change.txt"),
    ),
    (
        "email/confirm_email_change.html",
        include_str!("../../templates/email/confirm_email_change.html"),
    ),
    (
        "email/email_changed.txt",
        include_str!("../../templates/email/email_changed.txt"),
    ),
    (
        "email/email_changed.html",
        include_str!("../../templates/email/email_changed.html"),
    ),
];

/// A rendered email, with the links it carries (the outbox logs them).
#[derive(Debug)]
pub struct Rendered {
    pub message: Message,
    pub links: Vec<String>,
}

/// Renders notices into messages.
pub struct Renderer {
    env: Environment<'static>,
    from: Mailbox,
    public_url: Url,
    site_name: String,
    reset_ttl: Duration,
    confirm_ttl: Duration,
}

impl std::fmt::Debug for Renderer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Renderer")
            .field("public_url", &self.public_url.as_str())
            .finish_non_exhaustive()
    }
}

/// What the renderer needs to know.
#[derive(Debug, Clone)]
pub struct RenderConfig {
    pub from: Mailbox,
    pub public_url: Url,
    pub site_name: String,
    pub override_dir: Option<PathBuf>,
    pub reset_ttl: Duration,
    pub confirm_ttl: Duration,
}

impl Renderer {
    /// Compiles every template now, so a broken override stops the server
    /// at start rather than failing a delivery later.
    pub fn new(config: RenderConfig) -> anyhow::Result<Self> {
        let mut env = Environment::new();
        let dir = config.override_dir.clone();
        env.set_loader(move |name| {
            if let Some(source) = dir.as_deref().and_then(|d| read_override(d, name)) {
                return Ok(Some(source));
            }
            Ok(EMBEDDED
                .iter()
                .find(|(embedded, _)| *embedded == name)
                .map(|(_, source)| (*source).to_owned()))
        });
        for (name, _) in EMBEDDED {
            env.get_template(name)
                .map_err(|e| anyhow::anyhow!("email template {name}: {e}"))?;
        }
        let mut public_url = config.public_url;
        if !public_url.path().ends_with('/') {
            let path = format!("{}/", public_url.path());
            public_url.set_path(&path);
        }
        Ok(Self {
            env,
            from: config.from,
            public_url,
            site_name: config.site_name,
            reset_ttl: config.reset_ttl,
            confirm_ttl: config.confirm_ttl,
        })
    }

    /// An absolute link to `path` (relative, no leading slash) under the
    /// public URL.
    fn link(&self, path: &str) -> anyhow::Result<String> {
        Ok(self.public_url.join(path)?.to_string())
    }

    /// Subject, text and HTML of `notice`, ready to send.
    pub fn render(&self, notice: &Notice) -> anyhow::Result<Rendered> {
        let (subject, username, link, new_email, ttl) = match notice {
            Notice::ConfirmEmail {
                username, token, ..
            } => (
                "Confirm your email address",
                username,
                Some(self.link(&format!("auth/confirm/{}", token.expose()))?),
                None,
                self.confirm_ttl,
            ),
            Notice::PasswordReset {
                username, token, ..
            } => (
                "Reset your password",
                username,
                Some(self.link(&format!("auth/reset-password/{}", token.expose()))?),
                None,
                self.reset_ttl,
            ),
            Notice::PasswordResetDone { username, .. } => (
                "Your password was reset",
                username,
                None,
                None,
                self.reset_ttl,
            ),
            Notice::PasswordChanged { username, .. } => (
                "Your password was changed",
                username,
                None,
                None,
                self.reset_ttl,
            ),
            Notice::ConfirmEmailChange {
                username, token, ..
            } => (
                "Confirm your new email address",
                username,
                Some(self.link(&format!("auth/change-email/{}", token.expose()))?),
                None,
                self.confirm_ttl,
            ),
            Notice::EmailChanged {
                username,
                new_email,
                ..
            } => (
                "Your email address was changed",
                username,
                None,
                Some(new_email.as_str()),
                self.confirm_ttl,
            ),
        };
        let subject = format!("{}: {subject}", self.site_name);
        let context = json!({
            "site_name": self.site_name,
            "subject": subject,
            "username": username,
            "link": link,
            "new_email": new_email,
            "valid_for": valid_for(ttl),
            "forgot_link": self.link("auth/forgot-password")?,
        });
        let kind = notice.kind();
        let text = self
            .env
            .get_template(&format!("email/{kind}.txt"))?
            .render(minijinja::value::Serde(&context))?;
        let html = self
            .env
            .get_template(&format!("email/{kind}.html"))?
            .render(minijinja::value::Serde(&context))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(notice.to().parse()?)
            .subject(subject)
            .multipart(MultiPart::alternative_plain_html(text, html))?;
        Ok(Rendered {
            message,
            links: link.into_iter().collect(),
        })
    }
}

/// "1 hour", "24 hours", "30 minutes".
fn valid_for(ttl: Duration) -> String {
    let minutes = ttl.as_secs() / 60;
    let plural = |n: u64, unit: &str| format!("{n} {unit}{}", if n == 1 { "" } else { "s" });
    if minutes >= 60 && minutes.is_multiple_of(60) {
        plural(minutes / 60, "hour")
    } else {
        plural(minutes.max(1), "minute")
    }
}

fn read_override(dir: &Path, name: &str) -> Option<String> {
    let file = name.strip_prefix("email/")?;
    if file.contains(['/', '\\']) || file.starts_with('.') {
        return None;
    }
    std::fs::read_to_string(dir.join("email").join(file)).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use portcullis_core::SecretToken;

    fn renderer(public_url: &str) -> Renderer {
        Renderer::new(RenderConfig {
            from: "Portcullis <no-reply@example.com>".parse().unwrap(),
            public_url: public_url.parse().unwrap(),
            site_name: "Acme".into(),
            override_dir: None,
            reset_ttl: Duration::from_secs(3600),
            confirm_ttl: Duration::from_secs(86400),
        })
        .unwrap()
    }

    #[test]
    fn links_keep_the_public_url_and_its_path() {
        let token = SecretToken::generate();
        let notice = Notice::PasswordReset {
            to: "a@example.com".into(),
            username: "alice".into(),
            token: token.clone(),
        };
        let rendered = renderer("https://auth.example.com/sso")
            .render(&notice)
            .unwrap();
        assert_eq!(
            rendered.links,
            vec![format!(
                "https://auth.example.com/sso/auth/reset-password/{}",
                token.expose()
            )]
        );
    }

    #[test]
    fn html_parts_escape_what_users_chose() {
        let notice = Notice::EmailChanged {
            to: "a@example.com".into(),
            username: "<b>alice</b>".into(),
            new_email: "x@example.com".into(),
        };
        let raw = String::from_utf8(
            renderer("http://localhost/")
                .render(&notice)
                .unwrap()
                .message
                .formatted(),
        )
        .unwrap();
        assert!(raw.contains("&lt;b&gt;alice"), "{raw}");
        assert!(raw.contains("text/plain") && raw.contains("text/html"));
        assert_eq!(valid_for(Duration::from_secs(3600)), "1 hour");
        assert_eq!(valid_for(Duration::from_secs(90 * 60)), "90 minutes");
    }
}
