//! Cross-site request forgery protection.
//!
//! Tokens are stateless: an HMAC, under the server secret, of something only
//! this browser has. With a session that is the session token's hash, so the
//! CSRF token changes at every login and dies with the session. Before login
//! it is a random `portcullis_csrf` cookie, which protects the login and
//! registration forms themselves (login CSRF). Instances that share the
//! secret accept each other's tokens.
//!
//! The check is middleware and deny-by-default: every POST, PUT, PATCH and
//! DELETE must carry the token in the `X-CSRF-Token` header or a
//! `csrf_token` form field, except JSON API calls made without a session
//! cookie (a cross-site page cannot send `application/json` without a CORS
//! preflight, which Portcullis never grants) and requests authenticated by
//! an API token (`Authorization: Bearer`): a browser never attaches one by
//! itself, and such requests ignore cookies. `POST /api/login` (and the
//! passkey sign-in, `/api/login/passkey/*`) with a JSON body needs no token
//! even with a session cookie: a login replaces the old
//! session, so it cannot be asked for that session's token, and the JSON
//! content type is what keeps cross-site pages out, as for any anonymous call.

use crate::caller::Caller;
use crate::error::{ApiError, PageError, wants_json};
use crate::session::SessionKey;
use crate::state::Portcullis;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use portcullis_core::SecretToken;
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// Header a JavaScript client sends the token in.
pub const HEADER: &str = "x-csrf-token";
/// Form field a form sends the token in.
pub const FIELD: &str = "csrf_token";

/// The key CSRF tokens are derived under.
pub(crate) struct CsrfKey(Vec<u8>);

impl std::fmt::Debug for CsrfKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CsrfKey(<redacted>)")
    }
}

impl CsrfKey {
    pub fn new(secret: &[u8]) -> Self {
        // A purpose-specific subkey, so the server secret can key other
        // things later without tokens of one kind validating as another.
        Self(self::mac(secret, b"portcullis csrf key v1"))
    }

    /// Token for a browser holding a session whose token hashes to `hash`.
    pub fn for_session(&self, session_token_hash: &str) -> String {
        URL_SAFE_NO_PAD.encode(mac(
            &self.0,
            format!("session:{session_token_hash}").as_bytes(),
        ))
    }

    /// Token for an anonymous browser holding the given CSRF cookie.
    pub fn for_anonymous(&self, cookie: &str) -> String {
        URL_SAFE_NO_PAD.encode(mac(&self.0, format!("anonymous:{cookie}").as_bytes()))
    }

    /// The token an anonymous browser must present, if its CSRF cookie has
    /// the shape of one this server sets; `None` (no token is valid) for a
    /// missing or malformed cookie.
    pub fn for_anonymous_cookie(&self, cookie: Option<&str>) -> Option<String> {
        cookie
            .filter(|value| SecretToken::parse(value).is_some())
            .map(|value| self.for_anonymous(value))
    }
}

/// Whether the presented token is the expected one (in constant time).
/// Nothing matches when either is missing.
pub(crate) fn tokens_match(expected: Option<&str>, presented: Option<&str>) -> bool {
    match (expected, presented) {
        (Some(expected), Some(presented)) => {
            bool::from(expected.as_bytes().ct_eq(presented.as_bytes()))
        }
        _ => false,
    }
}

pub(crate) fn mac(key: &[u8], data: &[u8]) -> Vec<u8> {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

/// The CSRF token of the current request's browser, for forms and for the
/// JSON API's answers. Put in the request extensions by [`verify`].
#[derive(Debug, Clone)]
pub struct CsrfToken(pub String);

/// A new anonymous CSRF cookie value that the response must set.
#[derive(Debug, Clone)]
struct NewCsrfCookie(String);

/// Derives this request's token, checks it on unsafe methods, and sets the
/// anonymous CSRF cookie when a page needs one.
pub(crate) async fn verify(
    State(state): State<Portcullis>,
    jar: CookieJar,
    mut request: Request,
    next: Next,
) -> Response {
    let inner = &state.inner;
    // Any live session keys the token, one waiting for its second factor too
    // (its form must be protected like every other).
    let auth = request.extensions().get::<SessionKey>().cloned();
    let mut new_cookie = None;
    let expected = match &auth {
        Some(SessionKey(hash)) => Some(inner.csrf.for_session(hash)),
        None => inner
            .csrf
            .for_anonymous_cookie(jar.get(&inner.cookies.csrf).map(|c| c.value())),
    };

    let bearer = request
        .extensions()
        .get::<Caller>()
        .is_some_and(|c| c.token().is_some());
    if is_unsafe(request.method()) && !bearer && needs_check(&request, auth.is_some()) {
        let (parts, body) = request.into_parts();
        let (presented, body) =
            match presented_token(&parts.headers, body, inner.config.max_body_bytes).await {
                Ok(found) => found,
                Err(response) => return response,
            };
        if !tokens_match(expected.as_deref(), presented.as_deref()) {
            // The request's span names the route; the path itself may hold
            // an emailed token.
            tracing::info!("CSRF check failed");
            return rejection(wants_json(&parts.uri, &parts.headers));
        }
        request = Request::from_parts(parts, body);
    }

    let token = match expected {
        Some(token) => token,
        None => {
            let value = SecretToken::generate().expose().to_owned();
            let token = inner.csrf.for_anonymous(&value);
            new_cookie = Some(NewCsrfCookie(value));
            token
        }
    };
    request.extensions_mut().insert(CsrfToken(token));
    let response = next.run(request).await;
    match new_cookie {
        // Only pages that render a form use the token; set the cookie then.
        Some(NewCsrfCookie(value)) if response.extensions().get::<UsedCsrf>().is_some() => {
            let cookie = inner.cookies.build(&inner.cookies.csrf, value, None);
            (jar.add(cookie), response).into_response()
        }
        _ => response,
    }
}

/// Marker a page response carries when it rendered the CSRF token.
#[derive(Debug, Clone, Copy)]
pub(crate) struct UsedCsrf;

fn is_unsafe(method: &Method) -> bool {
    !matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    )
}

/// Pages always need the token; the JSON API only when a session cookie
/// authenticates the request.
fn needs_check(request: &Request, authenticated: bool) -> bool {
    let path = request.uri().path();
    // A proxy's question changes nothing, whatever method it forwards.
    if path == "/auth/verify" {
        return false;
    }
    let api = path == "/api" || path.starts_with("/api/");
    if api
        && matches!(
            path,
            "/api/login" | "/api/login/passkey/begin" | "/api/login/passkey/finish"
        )
        && is_json(request.headers())
    {
        // The old session is about to be replaced; a cross-site page cannot
        // send this content type without a preflight Portcullis never grants.
        return false;
    }
    !api || authenticated
}

/// Whether the body is declared JSON, as only a same-origin script (or a
/// non-browser client) can declare it.
fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|ct| ct.split(';').next())
        .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"))
}

/// Reads the token from the header, or else from a url-encoded form body,
/// which is buffered (within the body limit) and handed on unchanged.
async fn presented_token(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
) -> Result<(Option<String>, Body), Response> {
    if let Some(value) = headers.get(HEADER).and_then(|v| v.to_str().ok()) {
        return Ok((Some(value.to_owned()), body));
    }
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return Ok((None, body));
    }
    let bytes: Bytes = axum::body::to_bytes(body, limit).await.map_err(|_| {
        PageError::new(
            axum::http::StatusCode::PAYLOAD_TOO_LARGE,
            "The request body is too large.",
        )
        .into_response()
    })?;
    let token = token_in_form(&bytes);
    Ok((token, Body::from(bytes)))
}

/// The `csrf_token` field of a url-encoded form body (the first, if there
/// are several).
pub(crate) fn token_in_form(body: &[u8]) -> Option<String> {
    url::form_urlencoded::parse(body)
        .find(|(key, _)| key == FIELD)
        .map(|(_, value)| value.into_owned())
}

fn rejection(json: bool) -> Response {
    const PAGE: &str = "The CSRF token is missing or invalid. Reload the page and try again.";
    const API: &str = "The CSRF token is missing or invalid. Send the X-CSRF-Token header with \
                       the csrf_token of your login answer (GET /api/me also gives it).";
    if json {
        ApiError::new(axum::http::StatusCode::FORBIDDEN, "csrf_failed", API).into_response()
    } else {
        PageError::new(axum::http::StatusCode::FORBIDDEN, PAGE).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_differ_by_session_and_by_key() {
        let key = CsrfKey::new(&[7u8; 32]);
        assert_ne!(key.for_session("a"), key.for_session("b"));
        assert_ne!(key.for_session("a"), key.for_anonymous("a"));
        assert_ne!(
            key.for_session("a"),
            CsrfKey::new(&[8u8; 32]).for_session("a")
        );
        assert_eq!(key.for_session("a"), key.for_session("a"));
    }
}
