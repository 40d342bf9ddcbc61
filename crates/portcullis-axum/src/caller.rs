//! Who is asking, however they proved it: a browser session or an API
//! token. Every guard and extractor that protects a route for "browsers
//! and scripts alike" ([`crate::CurrentUser`], [`crate::RequirePermission`],
//! [`crate::RequireRole`], [`crate::Admin`]) reads the [`Caller`]; the
//! session-only ones (changing credentials, step-up) read
//! [`crate::Authenticated`].
//!
//! For a token, the caller's permissions are already its scopes intersected
//! with the owner's permissions as the database held them at this request,
//! and its roles only those the scopes cover (see
//! `portcullis_core::domain::api_token`).

use crate::error::ApiError;
use crate::session::Authenticated;
use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use portcullis_core::domain::api_token::ApiToken;
use portcullis_core::services::tokens::TokenCaller;
use portcullis_core::{Actor, PermissionSet, Role, Session, User};
use std::convert::Infallible;

/// How a request proved who is asking.
#[derive(Debug, Clone)]
pub enum Credential {
    /// A session cookie.
    Session(Session),
    /// An `Authorization: Bearer` API token.
    Token(ApiToken),
}

/// The authenticated principal of a request.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The account.
    pub user: User,
    /// Its roles as this request may use them.
    pub roles: Vec<Role>,
    /// What this request may do.
    pub permissions: PermissionSet,
    /// Whether the account has a confirmed second factor.
    pub two_factor: bool,
    /// The session or token the request came with.
    pub credential: Credential,
}

impl Caller {
    pub(crate) fn from_session(auth: &Authenticated) -> Self {
        Self {
            user: auth.user.clone(),
            roles: auth.roles.clone(),
            permissions: auth.permissions.clone(),
            two_factor: auth.two_factor,
            credential: Credential::Session(auth.session.clone()),
        }
    }

    pub(crate) fn from_token(found: TokenCaller) -> Self {
        Self {
            user: found.user,
            roles: found.roles,
            permissions: found.permissions,
            two_factor: found.two_factor,
            credential: Credential::Token(found.token),
        }
    }

    /// The session, for a request that came with one.
    pub fn session(&self) -> Option<&Session> {
        match &self.credential {
            Credential::Session(session) => Some(session),
            Credential::Token(_) => None,
        }
    }

    /// The token, for a request that came with one.
    pub fn token(&self) -> Option<&ApiToken> {
        match &self.credential {
            Credential::Token(token) => Some(token),
            Credential::Session(_) => None,
        }
    }

    /// The caller as an actor for administrative use cases (narrowed to the
    /// token's scopes, for a token).
    pub fn actor(&self) -> Actor {
        let actor = Actor::user(
            self.user.id,
            self.roles.iter().map(|r| r.name.clone()).collect(),
            self.permissions.clone(),
        );
        match &self.credential {
            Credential::Session(_) => actor,
            Credential::Token(token) => actor.through(token.scopes.clone()),
        }
    }

    /// `Ok` if the request may use the self-service scope `scope`
    /// (`me:read`, `me:sessions`, `me:tokens`): a session always may, a
    /// token if it carries the scope; otherwise 403 `insufficient_scope`.
    pub fn require_scope(&self, scope: &'static str) -> Result<(), ApiError> {
        match &self.credential {
            Credential::Token(token) if !token.scopes.allows_self_service(scope) => {
                Err(insufficient_scope(scope))
            }
            _ => Ok(()),
        }
    }
}

/// 403 for a token that lacks `scope`, with the RFC 6750 challenge.
pub(crate) fn insufficient_scope(scope: &str) -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "insufficient_scope",
        format!("This token does not carry the scope {scope}."),
    )
    .with_challenge(format!(
        "Bearer error=\"insufficient_scope\", scope=\"{scope}\""
    ))
}

/// The answer to a token on a route that needs a browser session
/// (changing credentials, second factors, step-up).
pub(crate) fn session_required() -> Response {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "session_required",
        "This needs a signed-in session; an API token cannot do it.",
    )
    .into_response()
}

/// The answer to a missing, malformed, unknown, expired or revoked token:
/// 401 with `WWW-Authenticate: Bearer error="invalid_token"` (RFC 6750).
pub(crate) fn invalid_token() -> Response {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "invalid_token",
        "The API token is invalid, expired or revoked.",
    )
    .with_challenge("Bearer error=\"invalid_token\"")
    .into_response()
}

impl<S: Send + Sync> OptionalFromRequestParts<S> for Caller {
    type Rejection = Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        Ok(parts.extensions.get::<Caller>().cloned())
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = crate::extract::LoginRequired;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Caller>()
            .cloned()
            .ok_or_else(|| crate::extract::login_required(parts))
    }
}

/// A request authenticated by an API token (`Authorization: Bearer`), for
/// routes only scripts use; anything else gets 401 with
/// `WWW-Authenticate: Bearer`.
///
/// ```
/// use portcullis_axum::Bearer;
///
/// async fn whoami(Bearer(caller): Bearer) -> String {
///     format!("token {} of {}", caller.token().map_or(0, |t| t.id.0), caller.user.username)
/// }
/// ```
#[derive(Debug, Clone)]
pub struct Bearer(pub Caller);

impl<S: Send + Sync> FromRequestParts<S> for Bearer {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        match parts.extensions.get::<Caller>() {
            Some(caller) if caller.token().is_some() => Ok(Self(caller.clone())),
            _ => Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "Send an API token: Authorization: Bearer pcl_...",
            )
            .with_challenge("Bearer")
            .into_response()),
        }
    }
}
