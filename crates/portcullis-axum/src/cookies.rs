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
    /// Binds a sign-in with a provider to the browser that started it.
    pub oidc_browser: String,
    /// The provider the session signed in through (for logging out there).
    pub provider: String,
    secure: bool,
}

impl CookieNames {
    pub fn new(secure: bool) -> Self {
        let prefix = if secure { "__Host-" } else { "" };
        Self {
            session: format!("{prefix}portcullis_session"),
            csrf: format!("{prefix}portcullis_csrf"),
            flash: format!("{prefix}portcullis_flash"),
            oidc_browser: format!("{prefix}portcullis_oidc"),
            provider: format!("{prefix}portcullis_provider"),
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

    /// A cookie that tells the browser to forget `name`.
    pub fn removal(&self, name: &str) -> Cookie<'static> {
        let mut cookie = self.build(name, String::new(), Some(Duration::ZERO));
        cookie.make_removal();
        cookie
    }
}
