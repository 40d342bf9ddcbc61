//! Extractors that guard routes and parse input. Each rejection answers the
//! way the client expects: browsers are redirected to the login page (or get
//! an HTML error), API clients get a JSON error with the right status.

use crate::caller::{Caller, session_required};
use crate::error::{ApiError, PageError, wants_json_parts};
use crate::flash::Flash;
use crate::session::{Authenticated, PendingLogin};
use crate::state::Portcullis;
use axum::extract::rejection::{FormRejection, JsonRejection, PathRejection, QueryRejection};
use axum::extract::{
    FromRequest, FromRequestParts, OptionalFromRequestParts, Path, Query, Request,
};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Form, Json};
use axum_extra::extract::CookieJar;
use portcullis_core::User;
use serde::de::DeserializeOwned;
use std::convert::Infallible;

/// The logged-in user, by session or API token. Anonymous browsers are
/// redirected to `/auth/login?next=<this page>`; anonymous API clients get
/// 401.
///
/// ```
/// use portcullis_axum::CurrentUser;
///
/// async fn profile(CurrentUser(user): CurrentUser) -> String {
///     format!("You are {}", user.username)
/// }
/// ```
#[derive(Debug, Clone)]
pub struct CurrentUser(pub User);

/// The logged-in user, if there is one. Never rejects.
#[derive(Debug, Clone)]
pub struct MaybeUser(pub Option<User>);

/// Answer to an anonymous request for a protected route: a redirect to the
/// login page for browsers, 401 JSON for API clients.
#[derive(Debug)]
pub struct LoginRequired(pub(crate) Response);

impl IntoResponse for LoginRequired {
    fn into_response(self) -> Response {
        self.0
    }
}

pub(crate) fn login_required(parts: &Parts) -> LoginRequired {
    // A login waiting for its second factor is sent to finish it.
    let pending = parts.extensions.get::<PendingLogin>().is_some();
    // The session middleware puts the Portcullis handle in every request, so
    // these extractors work whatever the embedding application's state is.
    let state = match parts.extensions.get::<Portcullis>() {
        Some(state) if !wants_json_parts(parts) => state,
        _ if pending => {
            return LoginRequired(
                ApiError::from(portcullis_core::Error::TwoFactorRequired).into_response(),
            );
        }
        _ => return LoginRequired(ApiError::unauthenticated().into_response()),
    };
    let target = parts.uri.path_and_query().map_or("/", |pq| pq.as_str());
    let page = if pending {
        "/auth/login-2fa"
    } else {
        "/auth/login"
    };
    let location = format!(
        "{page}?next={}",
        url::form_urlencoded::byte_serialize(target.as_bytes()).collect::<String>()
    );
    if pending {
        return LoginRequired(Redirect::to(&location).into_response());
    }
    let jar = Flash::LoginRequired.set(state, CookieJar::from_headers(&parts.headers));
    LoginRequired((jar, Redirect::to(&location)).into_response())
}

/// A session: an API token is answered 403 `session_required` (changing
/// credentials, second factors and step-up need a signed-in browser).
impl<S: Send + Sync> FromRequestParts<S> for Authenticated {
    type Rejection = LoginRequired;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        match parts.extensions.get::<Authenticated>() {
            Some(auth) => Ok(auth.clone()),
            None if parts.extensions.get::<Caller>().is_some() => {
                Err(LoginRequired(session_required()))
            }
            None => Err(login_required(parts)),
        }
    }
}

impl<S> OptionalFromRequestParts<S> for Authenticated
where
    S: Send + Sync,
{
    type Rejection = Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        Ok(parts.extensions.get::<Authenticated>().cloned())
    }
}

impl<S> OptionalFromRequestParts<S> for PendingLogin
where
    S: Send + Sync,
{
    type Rejection = Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        Ok(parts.extensions.get::<PendingLogin>().cloned())
    }
}

impl<S: Send + Sync> FromRequestParts<S> for CurrentUser {
    type Rejection = LoginRequired;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let caller = <Caller as FromRequestParts<S>>::from_request_parts(parts, state).await?;
        Ok(CurrentUser(caller.user))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for MaybeUser {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(MaybeUser(
            parts.extensions.get::<Caller>().map(|c| c.user.clone()),
        ))
    }
}

/// A JSON body. Malformed JSON, a wrong content type or an oversized body
/// answer a JSON error with a 4xx, never a panic or a 500.
#[derive(Debug, Clone)]
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(request, state).await {
            Ok(Json(value)) => Ok(ApiJson(value)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

fn json_rejection(rejection: JsonRejection) -> ApiError {
    let status = rejection.status();
    let (code, message) = match status {
        StatusCode::UNSUPPORTED_MEDIA_TYPE => (
            "unsupported_media_type",
            "Send a JSON body with Content-Type: application/json.".to_owned(),
        ),
        StatusCode::PAYLOAD_TOO_LARGE => (
            "payload_too_large",
            "The request body is too large.".to_owned(),
        ),
        _ => ("invalid_json", rejection.body_text()),
    };
    ApiError::new(status, code, message)
}

/// A url-encoded form body; a malformed one answers an HTML error page.
#[derive(Debug, Clone)]
pub struct HtmlForm<T>(pub T);

impl<S, T> FromRequest<S> for HtmlForm<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = PageError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Form::<T>::from_request(request, state).await {
            Ok(Form(value)) => Ok(HtmlForm(value)),
            Err(rejection) => Err(form_rejection(rejection)),
        }
    }
}

fn form_rejection(rejection: FormRejection) -> PageError {
    let status = rejection.status();
    let message = match status {
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "Send the form as application/x-www-form-urlencoded.",
        StatusCode::PAYLOAD_TOO_LARGE => "The request body is too large.",
        _ => "The form could not be read.",
    };
    PageError::new(status, message)
}

/// Path parameters of an API route: a malformed one (`/api/admin/users/abc`)
/// answers a JSON 400 like every other API error, not axum's plain text.
#[derive(Debug, Clone)]
pub struct ApiPath<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiPath<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match <Path<T> as FromRequestParts<S>>::from_request_parts(parts, state).await {
            Ok(Path(value)) => Ok(ApiPath(value)),
            Err(rejection) => Err(path_rejection(&rejection)),
        }
    }
}

fn path_rejection(rejection: &PathRejection) -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "invalid_request",
        format!("The address is invalid: {}", rejection.body_text()),
    )
}

/// Path parameters of a page: a malformed one is a page that does not exist.
#[derive(Debug, Clone)]
pub struct PagePath<T>(pub T);

impl<S, T> FromRequestParts<S> for PagePath<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match <Path<T> as FromRequestParts<S>>::from_request_parts(parts, state).await {
            Ok(Path(value)) => Ok(PagePath(value)),
            Err(_) => Err(PageError::new(
                StatusCode::NOT_FOUND,
                "The page you asked for does not exist.",
            )),
        }
    }
}

/// A query string of an API route; one that does not parse answers a JSON
/// 400 naming the problem.
#[derive(Debug, Clone)]
pub struct ApiQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(value)) => Ok(ApiQuery(value)),
            Err(rejection) => Err(query_rejection(&rejection)),
        }
    }
}

fn query_rejection(rejection: &QueryRejection) -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "invalid_request",
        rejection.body_text(),
    )
}
