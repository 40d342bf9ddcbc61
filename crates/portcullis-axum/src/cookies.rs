//! Cookie names and attributes. Every cookie Portcullis sets is HttpOnly,
//! SameSite=Lax and Path=/; over https it is also Secure and carries the
//! `__Host-` prefix, which browsers only accept from a secure origin with no
//! Domain attribute, so a sibling subdomain cannot plant or overwrite it.

use axum_extra::extract::cookie::{Cookie, SameSite};
use time::Duration;

/// The names and the `Secure` flag in force.
#[derive(Debug, Clone)]
pub(crate) struct CookieNames {
    pub session: String,
    pub csrf: String,
    pub flash: String,
    /// The address a new account's confirmation link went to (signed).
    pub sent_to: String,
    /// Binds a sign-in with a provider to the browser that started it.
    pub oidc_browser: String,
    /// The provider the session signed in through (for logging out there).
    pub provider: String,
    /// Binds a passkey ceremony to the browser that began it.
    pub passkey: String,
    secure: bool,
    /// The parent domain the session cookie is shared with, if any.
    session_domain: Option<String>,
}

impl CookieNames {
    pub fn new(secure: bool) -> Self {
        let prefix = if secure { "__Host-" } else { "" };
        Self {
            session: format!("{prefix}portcullis_session"),
            csrf: format!("{prefix}portcullis_csrf"),
            flash: format!("{prefix}portcullis_flash"),
            sent_to: format!("{prefix}portcullis_sent_to"),
            oidc_browser: format!("{prefix}portcullis_oidc"),
            provider: format!("{prefix}portcullis_provider"),
            passkey: format!("{prefix}portcullis_passkey"),
            session_domain: None,
            secure,
        }
    }

    /// A cookie with the common attributes. `max_age: None` makes a browser
    /// session cookie, gone when the browser closes.
    pub fn build(&self, name: &str, value: String, max_age: Option<Duration>) -> Cookie<'static> {
        let mut cookie = Cookie::build((name.to_owned(), value))
            .http_only(true)
            .same_site(SameSite::Lax)
            .path("/")
            .secure(self.secure);
        if let Some(age) = max_age {
            cookie = cookie.max_age(age);
        }
        cookie.build()
    }

    /// Shares the session cookie with every host under `domain` (single
    /// sign-on across subdomains). `__Host-` forbids a domain, so over
    /// https the session cookie takes the `__Secure-` prefix instead; the
    /// other cookies stay host-only.
    pub fn with_session_domain(mut self, domain: Option<String>) -> Self {
        if let Some(domain) = domain {
            let prefix = if self.secure { "__Secure-" } else { "" };
            self.session = format!("{prefix}portcullis_session");
            self.session_domain = Some(domain);
        }
        self
    }

    /// The session cookie holding `value`.
    pub fn session_cookie(&self, value: String, max_age: Option<Duration>) -> Cookie<'static> {
        let mut cookie = self.build(&self.session, value, max_age);
        if let Some(domain) = &self.session_domain {
            cookie.set_domain(domain.clone());
        }
        cookie
    }

    /// The cookie that removes the session cookie, on the same domain.
    pub fn session_removal(&self) -> Cookie<'static> {
        let mut cookie = self.session_cookie(String::new(), Some(Duration::ZERO));
        cookie.make_removal();
        cookie
    }

    /// A cookie that tells the browser to forget `name`.
    pub fn removal(&self, name: &str) -> Cookie<'static> {
        let mut cookie = self.build(name, String::new(), Some(Duration::ZERO));
        cookie.make_removal();
        cookie
    }
}

#[cfg(test)]
mod tests {
    use super::CookieNames;

    #[test]
    fn a_shared_session_cookie_trades_host_for_secure_and_names_its_domain() {
        let host_only = CookieNames::new(true);
        let cookie = host_only.session_cookie("v".into(), None).to_string();
        assert!(
            cookie.starts_with("__Host-portcullis_session=v"),
            "{cookie}"
        );
        assert!(!cookie.contains("Domain"), "{cookie}");

        let shared = CookieNames::new(true).with_session_domain(Some("example.com".into()));
        let cookie = shared.session_cookie("v".into(), None).to_string();
        assert!(
            cookie.starts_with("__Secure-portcullis_session=v"),
            "{cookie}"
        );
        assert!(
            cookie.contains("Domain=example.com") && cookie.contains("Secure"),
            "{cookie}"
        );
        let removal = shared.session_removal().to_string();
        assert!(
            removal.contains("Domain=example.com") && removal.contains("Max-Age=0"),
            "{removal}"
        );
        // Only the session is shared.
        assert_eq!(shared.csrf, "__Host-portcullis_csrf");
    }
}
