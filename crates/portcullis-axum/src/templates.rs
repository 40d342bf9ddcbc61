//! HTML templates: embedded in the binary, each one replaceable by a file of
//! the same name in the operator's templates directory (read once, at first
//! use). Autoescaping is on for every `.html` template.

use crate::state::SetupError;
use minijinja::Environment;
use minijinja::value::Serde;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// Every template Portcullis ships, by name.
const EMBEDDED: &[(&str, &str)] = &[
    ("base.html", include_str!("../templates/base.html")),
    ("index.html", include_str!("../templates/index.html")),
    ("login.html", include_str!("../templates/login.html")),
    ("register.html", include_str!("../templates/register.html")),
    ("logout.html", include_str!("../templates/logout.html")),
    ("profile.html", include_str!("../templates/profile.html")),
    (
        "dashboard.html",
        include_str!("../templates/dashboard.html"),
    ),
    ("error.html", include_str!("../templates/error.html")),
    ("sessions.html", include_str!("../templates/sessions.html")),
    ("tokens.html", include_str!("../templates/tokens.html")),
    ("api_docs.html", include_str!("../templates/api_docs.html")),
    (
        "token_created.html",
        include_str!("../templates/token_created.html"),
    ),
    (
        "admin/service_new.html",
        include_str!("../templates/admin/service_new.html"),
    ),
    (
        "admin/_nav.html",
        include_str!("../templates/admin/_nav.html"),
    ),
    (
        "admin/users.html",
        include_str!("../templates/admin/users.html"),
    ),
    (
        "admin/user_row.html",
        include_str!("../templates/admin/user_row.html"),
    ),
    (
        "admin/user.html",
        include_str!("../templates/admin/user.html"),
    ),
    (
        "admin/user_new.html",
        include_str!("../templates/admin/user_new.html"),
    ),
    (
        "admin/user_delete.html",
        include_str!("../templates/admin/user_delete.html"),
    ),
    (
        "admin/roles.html",
        include_str!("../templates/admin/roles.html"),
    ),
    (
        "admin/role.html",
        include_str!("../templates/admin/role.html"),
    ),
    (
        "admin/audit.html",
        include_str!("../templates/admin/audit.html"),
    ),
    ("_field.html", include_str!("../templates/_field.html")),
    ("_time.html", include_str!("../templates/_time.html")),
    (
        "admin/base.html",
        include_str!("../templates/admin/base.html"),
    ),
    (
        "admin/role_delete.html",
        include_str!("../templates/admin/role_delete.html"),
    ),
    (
        "identities.html",
        include_str!("../templates/identities.html"),
    ),
    ("passkeys.html", include_str!("../templates/passkeys.html")),
    (
        "oidc_continue.html",
        include_str!("../templates/oidc_continue.html"),
    ),
    (
        "forgot_password.html",
        include_str!("../templates/forgot_password.html"),
    ),
    (
        "reset_password.html",
        include_str!("../templates/reset_password.html"),
    ),
    (
        "change_password.html",
        include_str!("../templates/change_password.html"),
    ),
    (
        "resend_confirmation.html",
        include_str!("../templates/resend_confirmation.html"),
    ),
    (
        "change_email.html",
        include_str!("../templates/change_email.html"),
    ),
    (
        "confirm_link.html",
        include_str!("../templates/confirm_link.html"),
    ),
    (
        "login_2fa.html",
        include_str!("../templates/login_2fa.html"),
    ),
    (
        "enable_2fa.html",
        include_str!("../templates/enable_2fa.html"),
    ),
    (
        "two_factor.html",
        include_str!("../templates/two_factor.html"),
    ),
    (
        "recovery_codes.html",
        include_str!("../templates/recovery_codes.html"),
    ),
    (
        "disable_2fa.html",
        include_str!("../templates/disable_2fa.html"),
    ),
    (
        "reauthenticate.html",
        include_str!("../templates/reauthenticate.html"),
    ),
];

/// The template environment.
pub(crate) struct Templates {
    env: Environment<'static>,
}

impl std::fmt::Debug for Templates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Templates")
    }
}

impl Templates {
    /// Loads and compiles every template now, so a broken override stops the
    /// server at start instead of failing a page later.
    pub fn new(override_dir: Option<PathBuf>) -> Result<Self, SetupError> {
        let env = template_environment(EMBEDDED, override_dir)
            .map_err(|e| SetupError::Template(e.to_string()))?;
        Ok(Self { env })
    }

    /// Renders a template with a serialisable context.
    pub fn render(&self, name: &str, context: &impl Serialize) -> Result<String, minijinja::Error> {
        self.env.get_template(name)?.render(Serde(context))
    }
}

/// A template that does not compile, by name.
#[derive(Debug, thiserror::Error)]
#[error("template {name}: {source:#}")]
pub struct TemplateError {
    /// The template's name (`login.html`, `email/base.html`).
    pub name: &'static str,
    /// What minijinja reported.
    #[source]
    pub source: minijinja::Error,
}

/// A template environment over `embedded` (name, source) pairs, each
/// replaced by the file of the same relative name under `override_dir`
/// when there is one (`admin/users.html`, `email/base.html`). Every
/// template is compiled now, so a broken override stops the server at start.
/// Autoescaping follows the name: on for `.html`, off for `.txt`. The one
/// loader for the pages and the mail, with one guard against names that
/// climb out of the directory.
pub fn template_environment(
    embedded: &'static [(&'static str, &'static str)],
    override_dir: Option<PathBuf>,
) -> Result<Environment<'static>, TemplateError> {
    let mut env = Environment::new();
    env.set_loader(move |name| {
        if let Some(source) = override_dir
            .as_deref()
            .and_then(|dir| read_override(dir, name))
        {
            return Ok(Some(source));
        }
        Ok(embedded
            .iter()
            .find(|(known, _)| *known == name)
            .map(|(_, source)| (*source).to_owned()))
    });
    for (name, _) in embedded {
        env.get_template(name)
            .map_err(|source| TemplateError { name, source })?;
    }
    Ok(env)
}

fn read_override(dir: &Path, name: &str) -> Option<String> {
    // Names come from this crate, but guard anyway: relative paths within
    // the directory only (`admin/users.html`), nothing that climbs out.
    if name.contains('\\')
        || name.starts_with('/')
        || name
            .split('/')
            .any(|part| part.is_empty() || part.starts_with('.'))
    {
        return None;
    }
    std::fs::read_to_string(dir.join(name)).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_climb_out_of_the_directory_are_never_read() {
        let dir = std::env::temp_dir().join(format!("portcullis-tpl-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(dir.join("email")).unwrap();
        std::fs::write(dir.join("email/base.html"), "mine").unwrap();
        assert_eq!(
            read_override(&dir, "email/base.html").as_deref(),
            Some("mine")
        );
        for name in [
            "../secret",
            "/etc/passwd",
            "email/../../x",
            "a\\b",
            ".hidden",
            "email//base.html",
        ] {
            assert_eq!(read_override(&dir, name), None, "{name}");
        }
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn every_embedded_template_compiles() {
        Templates::new(None).unwrap();
    }

    #[test]
    fn an_override_directory_replaces_a_template() {
        let dir = std::env::temp_dir().join(format!("portcullis-tpl-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("error.html"), "custom {{ message }}").unwrap();
        let templates = Templates::new(Some(dir.clone())).unwrap();
        let html = templates
            .render("error.html", &serde_json::json!({"message": "<b>x</b>"}))
            .unwrap();
        assert!(html.starts_with("custom &lt;b&gt;x"), "{html}");
        assert!(!html.contains("<b>"), "autoescaped: {html}");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
