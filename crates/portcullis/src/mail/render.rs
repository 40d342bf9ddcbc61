//! Turning a [`Notice`] into an email: subject, plain-text and HTML parts
//! from templates (embedded, each replaceable by a file in
//! `<http.templates_dir>/email/`), and links built from the configured
//! public URL only: never from a request's `Host` or `X-Forwarded-Host`.

use lettre::Message;
use lettre::message::Mailbox;
use minijinja::Environment;
use portcullis_core::Notice;
use serde_json::json;
use std::path::PathBuf;
use std::time::Duration;
use url::Url;

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
        let env = super::templates::environment(config.override_dir.clone())?;
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
            Notice::AddressInUse { username, .. } => (
                "Someone tried to use your email address",
                username,
                Some(self.link("auth/login")?),
                None,
                self.confirm_ttl,
            ),
            Notice::TwoFactorEnabled { username, .. } => (
                "Two-factor authentication is on",
                username,
                None,
                None,
                self.reset_ttl,
            ),
            Notice::TwoFactorDisabled { username, .. } => (
                "Two-factor authentication is off",
                username,
                None,
                None,
                self.reset_ttl,
            ),
            Notice::PasskeyAdded { username, .. } => (
                "A passkey was added to your account",
                username,
                Some(self.link("account/passkeys")?),
                None,
                self.reset_ttl,
            ),
            Notice::PasskeyRemoved { username, .. } => (
                "A passkey was removed from your account",
                username,
                Some(self.link("account/passkeys")?),
                None,
                self.reset_ttl,
            ),
            Notice::RecoveryCodeUsed { username, .. } => (
                "A recovery code was used",
                username,
                Some(self.link("auth/recovery-codes")?),
                None,
                self.reset_ttl,
            ),
            Notice::RecoveryCodesRegenerated { username, .. } => (
                "New recovery codes were made",
                username,
                None,
                None,
                self.reset_ttl,
            ),
            Notice::IdentityLinked { username, .. } => (
                "A sign-in provider was linked to your account",
                username,
                Some(self.link("account/identities")?),
                None,
                self.confirm_ttl,
            ),
            Notice::ProveAddress {
                username, token, ..
            } => (
                "Continue signing in",
                username.as_ref().unwrap_or(&NO_NAME),
                token
                    .as_ref()
                    .map(|t| self.link(&format!("auth/oidc/complete/{}", t.expose())))
                    .transpose()?,
                None,
                self.confirm_ttl,
            ),
        };
        let provider = match notice {
            Notice::IdentityLinked { provider, .. } | Notice::ProveAddress { provider, .. } => {
                Some(provider.as_str())
            }
            _ => None,
        };
        let passkey = match notice {
            Notice::PasskeyAdded { name, .. } | Notice::PasskeyRemoved { name, .. } => {
                Some(name.as_str())
            }
            _ => None,
        };
        let (by_operator, remaining) = match notice {
            Notice::TwoFactorDisabled { by_operator, .. }
            | Notice::PasskeyRemoved { by_operator, .. } => (Some(*by_operator), None),
            Notice::RecoveryCodeUsed { remaining, .. } => (None, Some(*remaining)),
            _ => (None, None),
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
            "by_operator": by_operator,
            "remaining": remaining,
            "provider": provider,
            "passkey": passkey,
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
            .multipart(super::encoding::alternative(text, html))?;
        Ok(Rendered {
            message,
            links: link.into_iter().collect(),
        })
    }
}

/// The greeting's name when the mail goes to an address without an account.
static NO_NAME: String = String::new();

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

#[cfg(test)]
mod tests {
    use super::*;
    use portcullis_core::SecretToken;

    impl Renderer {
        fn config(&self) -> RenderConfig {
            RenderConfig {
                from: self.from.clone(),
                public_url: self.public_url.clone(),
                site_name: self.site_name.clone(),
                override_dir: None,
                reset_ttl: self.reset_ttl,
                confirm_ttl: self.confirm_ttl,
            }
        }
    }

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
    fn an_operator_file_replaces_an_email_template() {
        let dir = std::env::temp_dir().join(format!("portcullis-mail-tpl-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("email")).unwrap();
        std::fs::write(
            dir.join("email").join("password_changed.txt"),
            "Custom notice for {{ username }}",
        )
        .unwrap();
        let renderer = Renderer::new(RenderConfig {
            override_dir: Some(dir.clone()),
            ..renderer("http://localhost/").config()
        })
        .unwrap();
        let notice = Notice::PasswordChanged {
            to: "a@example.com".into(),
            username: "alice".into(),
        };
        let raw = String::from_utf8(renderer.render(&notice).unwrap().message.formatted()).unwrap();
        assert!(raw.contains("Custom notice for alice"), "{raw}");
        std::fs::remove_dir_all(dir).unwrap();
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
