//! Entry points for the fuzz targets under `fuzz/`: thin wrappers over the
//! request parsing that is private in a normal build (the `X-Forwarded-For`
//! walk, the cookies and the CSRF token a request presents, the bearer
//! header). Compiled only with the `fuzzing` feature.

use crate::cookies::CookieNames;
use crate::csrf::CsrfKey;
use crate::flash::Flash;
use axum::http::{HeaderMap, HeaderValue, header};
use axum_extra::extract::CookieJar;
use ipnet::IpNet;
use std::net::IpAddr;

/// Whether `path` is a path on this site, as given and after every
/// percent-decoding: the property [`safe_next`](crate::safe_next)'s output
/// must have. Written independently of `safe_next` itself.
pub fn is_same_site_path(path: &str) -> bool {
    crate::next::is_same_site_path(path)
}

/// Headers holding each of `lines` as one `name` line; lines that are not
/// valid header values (which no HTTP parser would hand on) are left out.
fn headers(name: header::HeaderName, lines: &[&[u8]]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for line in lines {
        if let Ok(value) = HeaderValue::from_bytes(line) {
            map.append(name.clone(), value);
        }
    }
    map
}

/// The client address of a request from `peer` whose `X-Forwarded-For`
/// lines are `lines`, with `trusted` proxies.
pub fn client_ip(peer: IpAddr, lines: &[&[u8]], trusted: &[IpNet]) -> IpAddr {
    let headers = headers(header::HeaderName::from_static("x-forwarded-for"), lines);
    crate::client::client_ip(peer, &headers, trusted)
}

/// One `X-Forwarded-For` entry read as an address (a port allowed).
pub fn parse_hop(hop: &str) -> Option<IpAddr> {
    crate::client::parse_hop(hop)
}

/// The values of the cookies Portcullis reads, from a request with these
/// `Cookie` lines, read as its middleware reads them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestCookies {
    /// The session cookie's value.
    pub session: Option<String>,
    /// The anonymous CSRF cookie's value.
    pub csrf: Option<String>,
    /// The flash cookie's value.
    pub flash: Option<String>,
}

/// The cookies of a request with these `Cookie` lines; `secure` selects
/// the `__Host-` names an https site uses.
pub fn request_cookies(lines: &[&[u8]], secure: bool) -> RequestCookies {
    let jar = CookieJar::from_headers(&headers(header::COOKIE, lines));
    let names = CookieNames::new(secure);
    let value = |name: &str| jar.get(name).map(|c| c.value().to_owned());
    RequestCookies {
        session: value(&names.session),
        csrf: value(&names.csrf),
        flash: value(&names.flash),
    }
}

/// Which of Portcullis' cookies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CookieKind {
    /// The session cookie.
    Session,
    /// The anonymous CSRF cookie.
    Csrf,
    /// The flash cookie.
    Flash,
}

/// The name of a cookie of `kind` on a site that is https or not.
pub fn cookie_name(kind: CookieKind, secure: bool) -> String {
    let names = CookieNames::new(secure);
    match kind {
        CookieKind::Session => names.session,
        CookieKind::Csrf => names.csrf,
        CookieKind::Flash => names.flash,
    }
}

/// The `Set-Cookie` value that sets a cookie of `kind` to `value`, as the
/// responses write it.
pub fn set_cookie(kind: CookieKind, value: &str, secure: bool) -> String {
    let names = CookieNames::new(secure);
    let name = cookie_name(kind, secure);
    names
        .build(&name, value.to_owned(), None)
        .encoded()
        .to_string()
}

/// The flash message code a flash cookie's value names, if any.
pub fn flash_code(value: &str) -> Option<&'static str> {
    Flash::from_code(value).map(Flash::code)
}

/// The `csrf_token` field of a url-encoded form body.
pub fn form_token(body: &[u8]) -> Option<String> {
    crate::csrf::token_in_form(body)
}

/// Whether a presented CSRF token is accepted where `expected` is due.
pub fn csrf_tokens_match(expected: Option<&str>, presented: Option<&str>) -> bool {
    crate::csrf::tokens_match(expected, presented)
}

/// The CSRF token due for a session whose token hashes to `hash`, under
/// the server secret `secret`.
pub fn csrf_for_session(secret: &[u8], hash: &str) -> String {
    CsrfKey::new(secret).for_session(hash)
}

/// The CSRF token due for an anonymous browser with this CSRF cookie (none
/// for a missing or malformed cookie).
pub fn csrf_for_anonymous(secret: &[u8], cookie: Option<&str>) -> Option<String> {
    CsrfKey::new(secret).for_anonymous_cookie(cookie)
}

/// The token of a request with these `Authorization` lines, if it is an
/// API token request.
pub fn bearer_token(lines: &[&[u8]]) -> Option<String> {
    crate::session::bearer_token(&headers(header::AUTHORIZATION, lines))
}
