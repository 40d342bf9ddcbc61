//! Resolves the session cookie once per request. The result, if any, goes in
//! the request extensions for extractors and CSRF to read; a cookie that no
//! longer names a live session is cleared from the browser; and every
//! response to an authenticated request is marked `Cache-Control: no-store`.

use crate::state::Portcullis;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;
use portcullis_core::{Actor, PermissionSet, Role, SecretToken, Session, User};

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
    /// Hash of the session token (what CSRF tokens are derived from).
    pub(crate) token_hash: String,
}

impl Authenticated {
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
    let cookies = &state.inner.cookies;
    let presented = jar.get(&cookies.session).map(|c| c.value().to_owned());
    let Some(presented) = presented else {
        return next.run(request).await;
    };
    // A malformed value is treated like no cookie at all: anonymous, not 400.
    let resolved = match SecretToken::parse(&presented) {
        Some(token) => match state.inner.auth.sessions().authenticate(&token).await {
            Ok(found) => found.map(|resolved| Authenticated {
                user: resolved.user,
                session: resolved.session,
                roles: resolved.roles,
                permissions: resolved.permissions,
                token_hash: token.hash().as_str().to_owned(),
            }),
            Err(err) => return crate::error::internal(err, &request, &state),
        },
        None => None,
    };
    match resolved {
        Some(auth) => {
            request.extensions_mut().insert(auth);
            let mut response = next.run(request).await;
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
                (jar.add(cookies.removal(&cookies.session)), response).into_response()
            }
        }
    }
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
    cookies.build(&cookies.session, token.expose().to_owned(), max_age)
}

/// The cookie that removes the session from the browser.
pub(crate) fn removal(state: &Portcullis) -> axum_extra::extract::cookie::Cookie<'static> {
    state.inner.cookies.removal(&state.inner.cookies.session)
}
