//! Resolves the session cookie once per request. The result, if any, goes in
//! the request extensions for extractors and CSRF to read; a cookie that no
//! longer names a live session is cleared from the browser; and every
//! response to an authenticated request is marked `Cache-Control: no-store`.

use crate::caller::{Caller, invalid_token};
use crate::client::ClientInfo;
use crate::error::{ApiError, PageError, wants_json};
use crate::flash::Flash;
use crate::state::Portcullis;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Redirect;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;
use portcullis_core::domain::session::Assurance;
use portcullis_core::token::ApiTokenSecret;
use portcullis_core::{Actor, PermissionSet, ResolvedSession, Role, SecretToken, Session, User};

/// A request authenticated by a session cookie.
#[derive(Debug, Clone)]
pub struct Authenticated {
    /// The account.
    pub user: User,
    /// The session the cookie names.
    pub session: Session,
    /// The account's roles when the request began.
    pub roles: Vec<Role>,
    /// What those roles let the account do (everything, for `admin`).
    pub permissions: PermissionSet,
    /// Whether the account has a confirmed second factor.
    pub two_factor: bool,
    /// Hash of the session token (what CSRF tokens are derived from).
    pub(crate) token_hash: String,
}

/// Who is logged in, carried by an error response to the middleware that
/// renders error pages (outside this one), so their header shows the real
/// login state and a working logout form.
#[derive(Debug, Clone)]
pub(crate) struct ErrorViewer {
    pub username: String,
    pub token_hash: String,
    /// Whether the header shows the Admin link.
    pub admin: bool,
}

/// A session whose password step succeeded and which waits for its second
/// factor. It grants nothing else: guards and extractors treat the request
/// as anonymous, and send it to `/auth/login-2fa`.
#[derive(Debug, Clone)]
pub struct PendingLogin {
    /// The pending session, its account and roles.
    pub resolved: ResolvedSession,
}

/// The session this request's cookie names, complete or waiting for its
/// second factor: what a new login replaces and a logout ends.
#[derive(Debug, Clone)]
pub(crate) struct AnySession(pub Option<Session>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for AnySession {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        let complete = parts
            .extensions
            .get::<Authenticated>()
            .map(|a| a.session.clone());
        let pending = || {
            parts
                .extensions
                .get::<PendingLogin>()
                .map(|p| p.resolved.session.clone())
        };
        Ok(Self(complete.or_else(pending)))
    }
}

/// The hash of this request's session token, pending or not: what its CSRF
/// token derives from.
#[derive(Debug, Clone)]
pub(crate) struct SessionKey(pub String);

/// Paths an account that must enrol a second factor may still use.
const ENROLMENT_PATHS: &[&str] = &[
    "/auth/enable-2fa",
    "/auth/verify-2fa",
    "/auth/reauthenticate",
    "/auth/logout",
    "/api/2fa/setup",
    "/api/2fa/enable",
    "/account/passkeys",
    "/api/passkeys",
    "/api/passkeys/register/begin",
    "/api/passkeys/register/finish",
    "/api/reauthenticate",
    "/api/logout",
    "/api/me",
    "/healthz",
    "/readyz",
];

fn enrolment_allows(path: &str) -> bool {
    ENROLMENT_PATHS.contains(&path) || path.starts_with("/static/")
}

impl Authenticated {
    /// Whether the account holds an administrative permission, and so has
    /// a section of `/admin` to see.
    pub fn sees_admin(&self) -> bool {
        portcullis_core::domain::role::ADMIN_PERMISSIONS
            .iter()
            .any(|p| self.permissions.holds(p))
    }

    /// How the session was authenticated.
    pub fn assurance(&self) -> Assurance {
        self.session.assurance
    }

    /// The account as an actor for administrative use cases, with the roles
    /// and permissions this request resolved to.
    pub fn actor(&self) -> Actor {
        Actor::user(
            self.user.id,
            self.roles.iter().map(|r| r.name.clone()).collect(),
            self.permissions.clone(),
        )
    }
}

pub(crate) async fn resolve(
    State(state): State<Portcullis>,
    jar: CookieJar,
    mut request: Request,
    next: Next,
) -> Response {
    request.extensions_mut().insert(state.clone());
    if let Some(presented) = bearer_token(request.headers()) {
        return with_token(&state, presented, request, next).await;
    }
    let cookies = &state.inner.cookies;
    let presented = jar.get(&cookies.session).map(|c| c.value().to_owned());
    let Some(presented) = presented else {
        return next.run(request).await;
    };
    // A malformed value is treated like no cookie at all: anonymous, not 400.
    let resolved = match SecretToken::parse(&presented) {
        Some(token) => match state.inner.auth.sessions().authenticate(&token).await {
            Ok(found) => found.map(|resolved| (resolved, token.hash().as_str().to_owned())),
            Err(err) => return crate::error::internal(err, &request, &state),
        },
        None => None,
    };
    let resolved = match resolved {
        Some((resolved, token_hash)) if !resolved.session.assurance.is_complete() => {
            request.extensions_mut().insert(SessionKey(token_hash));
            request.extensions_mut().insert(PendingLogin { resolved });
            let mut response = next.run(request).await;
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            return response;
        }
        Some((resolved, token_hash)) => Some(Authenticated {
            user: resolved.user,
            session: resolved.session,
            roles: resolved.roles,
            permissions: resolved.permissions,
            two_factor: resolved.two_factor,
            token_hash,
        }),
        None => None,
    };
    match resolved {
        Some(auth) => {
            let policy = &state.auth().security().two_factor;
            if !auth.two_factor
                && policy.requires(auth.roles.iter().map(|r| r.name.as_str()))
                && !enrolment_allows(request.uri().path())
            {
                return enrol_first(&state, &request, jar);
            }
            request
                .extensions_mut()
                .insert(SessionKey(auth.token_hash.clone()));
            request.extensions_mut().insert(Caller::from_session(&auth));
            let viewer = ErrorViewer {
                username: auth.user.username.clone(),
                token_hash: auth.token_hash.clone(),
                admin: auth.sees_admin(),
            };
            request.extensions_mut().insert(auth);
            let mut response = next.run(request).await;
            if response.extensions().get::<PageError>().is_some() {
                response.extensions_mut().insert(viewer);
            }
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        None => {
            let response = next.run(request).await;
            // Unless the handler just set a fresh session, forget the dead one.
            if response
                .headers()
                .get_all(header::SET_COOKIE)
                .iter()
                .any(|v| {
                    v.to_str()
                        .is_ok_and(|v| v.starts_with(&format!("{}=", cookies.session)))
                })
            {
                response
            } else {
                (jar.add(cookies.session_removal()), response).into_response()
            }
        }
    }
}

/// The token of an `Authorization: Bearer` header (scheme in any case), if
/// the request has one. Such a request is a script's: its cookies are
/// ignored, and it needs no CSRF token.
pub(crate) fn bearer_token(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.as_bytes();
    // "Bearer" with no token (HTTP drops the trailing space) is a bad
    // token too, not an anonymous request; a value that is not text is.
    let value = String::from_utf8_lossy(value);
    let (scheme, token) = value.split_once(' ').unwrap_or((&value, ""));
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
}

/// Authenticates a request by its API token. Anything but a live token of
/// an active account is answered 401 `invalid_token` here, whatever the
/// route: a script that sends a token means to use it, and must learn at
/// once that it no longer works.
async fn with_token(
    state: &Portcullis,
    presented: String,
    mut request: Request,
    next: Next,
) -> Response {
    let Some(secret) = ApiTokenSecret::parse(&presented) else {
        return invalid_token();
    };
    let client = ClientInfo::of(request.extensions(), request.headers());
    let found = match state
        .auth()
        .tokens()
        .authenticate(&secret, &client.context())
        .await
    {
        Ok(Some(found)) => found,
        Ok(None) => return invalid_token(),
        Err(err) => return crate::error::internal(err, &request, state),
    };
    if found.must_enrol && !enrolment_allows(request.uri().path()) {
        return ApiError::new(
            StatusCode::FORBIDDEN,
            "two_factor_enrolment_required",
            "This account must set up two-factor authentication before its tokens work.",
        )
        .into_response();
    }
    request.extensions_mut().insert(Caller::from_token(found));
    let mut response = next.run(request).await;
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The answer to an account that must enrol a second factor before anything
/// else: the enrolment page, or a JSON 403 that says so.
fn enrol_first(state: &Portcullis, request: &Request, jar: CookieJar) -> Response {
    if wants_json(request.uri(), request.headers()) {
        return ApiError::new(
            StatusCode::FORBIDDEN,
            "two_factor_enrolment_required",
            "Set up two-factor authentication first: POST /api/2fa/setup, then /api/2fa/enable.",
        )
        .into_response();
    }
    (
        Flash::EnrolmentRequired.set(state, jar),
        Redirect::to("/auth/enable-2fa"),
    )
        .into_response()
}

/// The cookie that carries a new session's token. Remember-me sessions get a
/// persistent cookie for their lifetime; others end with the browser.
pub(crate) fn cookie_for(
    state: &Portcullis,
    token: &SecretToken,
    remember: bool,
) -> axum_extra::extract::cookie::Cookie<'static> {
    let cookies = &state.inner.cookies;
    let max_age = remember.then(|| state.inner.auth.policy().remember_lifetime);
    cookies.session_cookie(token.expose().to_owned(), max_age)
}

/// The cookie that removes the session from the browser.
pub(crate) fn removal(state: &Portcullis) -> axum_extra::extract::cookie::Cookie<'static> {
    state.inner.cookies.session_removal()
}
