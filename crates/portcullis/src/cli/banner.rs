//! The box `serve` prints in development mode: where to point the browser,
//! where the database, the generated secret and the email are, and what to
//! do first when there is no administrator yet.

use crate::mail::settings::MailTransport;
use crate::settings::Settings;
use crate::startup::Services;
use std::path::Path;
use url::Url;

/// What the banner says, gathered before the server takes the settings.
#[derive(Debug)]
pub(super) struct DevBanner {
    database: String,
    secret: String,
    email: String,
}

impl DevBanner {
    /// Reads what the banner shows from the settings.
    pub(super) fn new(settings: &Settings) -> Self {
        let email = match settings.mail.transport_for(settings.mode) {
            Some(MailTransport::Smtp) => format!(
                "sent through {}:{}",
                settings.mail.smtp_host.as_deref().unwrap_or("localhost"),
                settings.mail.port()
            ),
            Some(MailTransport::Outbox) | None => {
                format!("written to {}", directory(&settings.mail.outbox_dir))
            }
        };
        Self {
            database: portcullis_store::StoreConfig::new(settings.database.url.as_str())
                .redacted_url(),
            secret: format!(
                "kept in {}",
                absolute(&crate::dev_secret::path(settings)).display()
            ),
            email,
        }
    }

    /// Logs the banner for the server at `public_url`, over `services`.
    pub(super) async fn show(&self, public_url: &Url, services: &Services) {
        let admin = match has_admin(services).await {
            Ok(true) => None,
            Ok(false) => Some("none yet: run `portcullis create-admin`".to_owned()),
            Err(err) => Some(format!("could not tell ({err})")),
        };
        tracing::warn!("{}", self.render(public_url, admin.as_deref()));
    }

    /// The banner's text; `admin` is the line about administrators, if any.
    fn render(&self, public_url: &Url, admin: Option<&str>) -> String {
        let mut fields = vec![
            ("open", public_url.to_string()),
            ("database", self.database.clone()),
            ("secret", self.secret.clone()),
            ("email", self.email.clone()),
        ];
        if let Some(admin) = admin {
            fields.push(("admin", admin.to_owned()));
        }
        let label_width = fields.iter().map(|(l, _)| l.len()).max().unwrap_or(0) + 1;
        let mut lines = vec!["DEVELOPMENT MODE".to_owned()];
        lines.extend(
            fields
                .iter()
                .map(|(label, value)| format!("{:<label_width$} {value}", format!("{label}:"))),
        );
        lines.push("Set mode = \"production\", secret and public_url to run".to_owned());
        lines.push("Portcullis for real.".to_owned());
        boxed(&lines)
    }
}

/// `lines` in a box of asterisks, on a line of its own below the log prefix.
fn boxed(lines: &[String]) -> String {
    let width = lines.iter().map(|l| l.chars().count()).max().unwrap_or(0);
    let rule = "*".repeat(width + 6);
    let mut banner = format!("\n{rule}\n");
    for line in lines {
        banner.push_str(&format!("*  {line:<width$}  *\n"));
    }
    banner.push_str(&rule);
    banner
}

/// Whether any account holds the `admin` role.
async fn has_admin(services: &Services) -> Result<bool, portcullis_core::Error> {
    services.auth.accounts().administrator_exists().await
}

/// `dir` as an absolute path with a trailing slash, so that it reads as a
/// directory and can be pasted whatever the reader's working directory.
fn directory(dir: &Path) -> String {
    let shown = absolute(dir).display().to_string();
    if shown.ends_with(std::path::MAIN_SEPARATOR) {
        shown
    } else {
        format!("{shown}{}", std::path::MAIN_SEPARATOR)
    }
}

fn absolute(path: &Path) -> std::path::PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn banner() -> DevBanner {
        DevBanner {
            database: "sqlite://portcullis.db".into(),
            secret: "kept in /srv/.portcullis-dev-secret".into(),
            email: "written to /srv/outbox/".into(),
        }
    }

    #[test]
    fn every_value_starts_in_the_same_column() {
        let url = Url::parse("http://127.0.0.1:8080/").unwrap();
        let text = banner().render(&url, Some("none yet: run `portcullis create-admin`"));
        let columns: Vec<usize> = text
            .lines()
            .filter_map(|line| line.find(": ").map(|colon| (line, colon)))
            .map(|(line, colon)| {
                colon + 2 + line[colon + 2..].len() - line[colon + 2..].trim_start().len()
            })
            .collect();
        assert_eq!(columns.len(), 5, "{text}");
        assert!(columns.windows(2).all(|w| w[0] == w[1]), "{text}");
        assert!(text.contains("open:     http://127.0.0.1:8080/"), "{text}");
        assert!(text.contains("admin:    none yet"), "{text}");
    }

    #[test]
    fn the_box_is_as_wide_on_every_line() {
        let url = Url::parse("http://127.0.0.1:8080/").unwrap();
        let text = banner().render(&url, None);
        let widths: Vec<usize> = text.lines().skip(1).map(|l| l.chars().count()).collect();
        assert!(widths.windows(2).all(|w| w[0] == w[1]), "{text}");
        assert!(!text.contains("admin:"), "{text}");
    }

    #[test]
    fn a_directory_is_shown_absolute_with_a_trailing_slash() {
        let shown = directory(Path::new("outbox"));
        assert!(Path::new(&shown).is_absolute(), "{shown}");
        assert!(shown.ends_with("outbox/"), "{shown}");
    }
}
