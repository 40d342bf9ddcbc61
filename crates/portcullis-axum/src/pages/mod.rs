//! The HTML pages. Each handler parses its input, calls one service, and
//! renders a template or redirects.

mod account;
mod admin;
mod auth;
mod email;
mod identities;
mod oidc;
mod passkeys;
mod password;
mod sessions;
mod tokens;
mod two_factor;

use crate::csrf::{CsrfToken, UsedCsrf};
use crate::error::PageError;
use crate::flash::{Flash, FlashView};
use crate::session::Authenticated;
use crate::state::Portcullis;
use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{Html, IntoResponse, Response};
use axum_extra::extract::CookieJar;
use serde_json::{Map, Value, json};
use std::convert::Infallible;

pub(crate) fn router() -> Router<Portcullis> {
    Router::new()
        .merge(auth::router())
        .merge(account::router())
        .merge(sessions::router())
        .merge(tokens::router())
        .merge(admin::router())
        .merge(password::router())
        .merge(email::router())
        .merge(two_factor::router())
        .merge(oidc::router())
        .merge(identities::router())
        .merge(passkeys::router())
        .route("/auth/verify", axum::routing::any(crate::forward::verify))
}

/// How a form submission failed, for re-rendering the form: the status,
/// per-field messages, a message for the whole form, and `Retry-After`.
/// Failures no form can show (a database fault) become an error page.
pub(crate) struct FormFailure {
    pub status: StatusCode,
    pub errors: Value,
    pub message: Option<String>,
    pub retry_after: Option<u64>,
}

impl FormFailure {
    pub fn from_error(err: portcullis_core::Error) -> Result<Self, PageError> {
        use portcullis_core::Error;
        let failure = |status, errors, message: Option<String>, retry_after| Self {
            status,
            errors,
            message,
            retry_after,
        };
        Ok(match err {
            Error::Validation(errors) => failure(
                StatusCode::UNPROCESSABLE_ENTITY,
                auth::field_map(&errors),
                None,
                None,
            ),
            Error::Taken(field) => {
                let (name, message) = crate::error::taken_message(field);
                failure(StatusCode::CONFLICT, json!({ name: message }), None, None)
            }
            err @ (Error::RateLimited { .. } | Error::InvalidToken) => {
                let api = crate::error::ApiError::from(err);
                failure(api.status, json!({}), Some(api.message), api.retry_after)
            }
            err => return Err(err.into()),
        })
    }

    /// Re-renders `template` with `context` plus this failure's field errors
    /// (`errors`) and form message (`error`), and `Retry-After` if any.
    pub fn render(
        self,
        page: PageCtx,
        state: &Portcullis,
        template: &str,
        mut context: Value,
    ) -> Response {
        if let Value::Object(map) = &mut context {
            map.insert("errors".into(), self.errors.clone());
            map.insert("error".into(), json!(self.message));
        }
        let response = page.render(state, self.status, template, context);
        self.finish(response)
    }

    /// Adds `Retry-After` to a rendered form, if the failure had one.
    pub fn finish(&self, mut response: Response) -> Response {
        if let Some(seconds) = self.retry_after {
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(seconds),
            );
        }
        response
    }
}

/// What every page template needs: who is logged in, the CSRF token for its
/// forms, and the pending flash message.
pub(crate) struct PageCtx {
    pub auth: Option<Authenticated>,
    csrf_token: String,
    flash: Option<Flash>,
    /// The address the pending flash's confirmation link went to.
    sent_to: Option<String>,
    /// The page's path, for marking the current section in navigation.
    path: String,
    jar: CookieJar,
}

impl FromRequestParts<Portcullis> for PageCtx {
    type Rejection = Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Portcullis,
    ) -> Result<Self, Self::Rejection> {
        let jar = CookieJar::from_headers(&parts.headers);
        Ok(PageCtx {
            auth: parts.extensions.get::<Authenticated>().cloned(),
            csrf_token: parts
                .extensions
                .get::<CsrfToken>()
                .map(|t| t.0.clone())
                .unwrap_or_default(),
            flash: Flash::pending(state, &jar),
            sent_to: crate::sent_to::pending(state, &jar),
            path: parts.uri.path().to_owned(),
            jar,
        })
    }
}

impl PageCtx {
    /// Renders `template` with the common context plus `extra`.
    pub fn render(
        self,
        state: &Portcullis,
        status: StatusCode,
        template: &str,
        extra: Value,
    ) -> Response {
        let mut context = Map::new();
        context.insert("site_name".into(), json!(state.config().site_name));
        context.insert("dev_mode".into(), json!(state.config().dev_mode));
        context.insert(
            "registration_open".into(),
            json!(state.auth().registration().is_open()),
        );
        context.insert("csrf_token".into(), json!(self.csrf_token));
        context.insert("path".into(), json!(self.path));
        let providers: Vec<Value> = state
            .auth()
            .identities()
            .providers()
            .iter()
            .map(|p| json!({"id": p.id(), "name": p.name()}))
            .collect();
        context.insert("providers".into(), json!(providers));
        context.insert(
            "passkeys_available".into(),
            json!(state.auth().passkeys().unavailable().is_none()),
        );
        context.insert(
            "current_user".into(),
            match &self.auth {
                Some(auth) => json!({
                    "id": auth.user.id, "username": auth.user.username,
                    "email": auth.user.email, "admin": auth.sees_admin(),
                }),
                None => Value::Null,
            },
        );
        let sent_to = self.sent_to.as_deref();
        let flashes: Vec<FlashView> = self
            .flash
            .map(|f| f.view_sent_to(sent_to))
            .into_iter()
            .collect();
        context.insert("flashes".into(), json!(flashes));
        if let Value::Object(extra) = extra {
            context.extend(extra);
        }
        let html = match state
            .inner
            .templates
            .render(template, &Value::Object(context))
        {
            Ok(html) => html,
            Err(err) => {
                return PageError::internal(format!("template {template}: {err:#}"))
                    .into_response();
            }
        };
        let cookies = &state.inner.cookies;
        let mut jar = self.jar;
        if self.flash.is_some() {
            jar = jar.add(cookies.removal(&cookies.flash));
        }
        if jar.get(&cookies.sent_to).is_some() {
            jar = jar.add(cookies.removal(&cookies.sent_to));
        }
        let mut response = (status, jar, Html(html)).into_response();
        response.extensions_mut().insert(UsedCsrf);
        response
    }
}

/// The HTML page for an error, used by the security middleware: the normal
/// layout, showing `viewer` as logged in when a session was live.
pub(crate) fn render_error(
    state: &Portcullis,
    error: &PageError,
    viewer: Option<&crate::session::ErrorViewer>,
) -> Response {
    let (current_user, csrf_token) = match viewer {
        Some(viewer) => (
            json!({"username": viewer.username, "admin": viewer.admin}),
            json!(state.inner.csrf.for_session(&viewer.token_hash)),
        ),
        None => (Value::Null, Value::Null),
    };
    let context = json!({
        "site_name": state.config().site_name,
        "dev_mode": state.config().dev_mode,
        "registration_open": state.auth().registration().is_open(),
        "current_user": current_user,
        "csrf_token": csrf_token,
        "flashes": [],
        "status": error.status.as_u16(),
        "reason": error.status.canonical_reason().unwrap_or("Error"),
        "message": error.message,
    });
    match state.inner.templates.render("error.html", &context) {
        Ok(html) => (error.status, Html(html)).into_response(),
        Err(err) => {
            tracing::error!(error = %err, "error template failed");
            (error.status, error.message.clone()).into_response()
        }
    }
}

/// The answer to a form that asks for an email to be sent to an address
/// (forgot password, resend confirmation): the same page whatever the
/// address, with `sent` on success and the form again on a failure.
pub(crate) fn email_request_answer(
    state: &Portcullis,
    page: PageCtx,
    template: &str,
    email: &str,
    result: Result<(), portcullis_core::Error>,
    sent: &str,
) -> Result<Response, PageError> {
    match result {
        Ok(()) => Ok(page.render(
            state,
            StatusCode::OK,
            template,
            json!({"email": "", "errors": {}, "sent": sent}),
        )),
        Err(err) => Ok(FormFailure::from_error(err)?.render(
            page,
            state,
            template,
            json!({"email": email}),
        )),
    }
}
