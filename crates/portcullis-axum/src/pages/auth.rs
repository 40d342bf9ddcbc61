//! `/auth/register`, `/auth/login` and `/auth/logout`, with the form field
//! names of the Flask apps Portcullis replaces.

use super::PageCtx;
use crate::client::ClientInfo;
use crate::error::{
    ACCOUNT_INACTIVE, ApiError, EMAIL_UNCONFIRMED, INVALID_CREDENTIALS, PageError, taken_message,
};
use crate::extract::HtmlForm;
use crate::flash::Flash;
use crate::next::{safe_next, sign_in_next};
use crate::session::{self, AnySession};
use crate::state::Portcullis;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum_extra::extract::CookieJar;
use portcullis_core::{Error, FieldErrors, LoginAttempt};
use serde::Deserialize;
use serde_json::{Map, Value, json};

pub(super) fn router() -> Router<Portcullis> {
    Router::new()
        .route("/auth/register", get(register_form).post(register))
        .route("/auth/login", get(login_form).post(login))
        .route("/auth/logout", get(logout_confirm).post(logout))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RegisterForm {
    username: String,
    email: String,
    password: String,
    password_confirm: String,
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct LoginForm {
    username: String,
    password: String,
    remember: Option<String>,
    next: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct NextQuery {
    next: Option<String>,
}

/// A checkbox counts as ticked for any of the values browsers and Flask-WTF send.
pub(super) fn ticked(value: Option<&str>) -> bool {
    matches!(
        value.map(str::to_ascii_lowercase).as_deref(),
        Some("on" | "y" | "yes" | "true" | "1")
    )
}

pub(super) fn field_map(errors: &FieldErrors) -> Value {
    let map: Map<String, Value> = errors
        .iter()
        .map(|e| (e.field.to_owned(), json!(e.message)))
        .collect();
    Value::Object(map)
}

/// The page a closed registration answers with: as if it were not there.
fn registration_closed() -> PageError {
    PageError::new(
        StatusCode::NOT_FOUND,
        "The page you asked for does not exist.",
    )
}

async fn register_form(State(state): State<Portcullis>, page: PageCtx) -> Response {
    if !state.auth().registration().is_open() {
        return registration_closed().into_response();
    }
    if page.auth.is_some() {
        return Redirect::to("/").into_response();
    }
    page.render(
        &state,
        StatusCode::OK,
        "register.html",
        register_context(&state, json!({}), json!({})),
    )
}

/// What the registration form shows: what was typed, what was wrong with
/// it, and the rules the fields are held to (from the validators and the
/// policy in force, so the page cannot say other than what is checked).
fn register_context(state: &Portcullis, form: Value, errors: Value) -> Value {
    json!({
        "form": form,
        "errors": errors,
        "username_rules": portcullis_core::domain::username::rules(),
        "password_rules": state.auth().registration().password_policy().rules(),
    })
}

async fn register(
    State(state): State<Portcullis>,
    page: PageCtx,
    jar: CookieJar,
    client: ClientInfo,
    HtmlForm(form): HtmlForm<RegisterForm>,
) -> Result<Response, PageError> {
    if !state.auth().registration().is_open() {
        return Err(registration_closed());
    }
    let again = |page: PageCtx, status, errors: Value| {
        // Re-render with what was typed, never the password.
        let values = json!({"username": form.username, "email": form.email});
        page.render(
            &state,
            status,
            "register.html",
            register_context(&state, values, errors),
        )
    };
    let registration = match state.auth().registration().parse(
        &form.username,
        &form.email,
        &form.password,
        &form.password_confirm,
    ) {
        Ok(registration) => registration,
        Err(errors) => {
            return Ok(again(
                page,
                StatusCode::UNPROCESSABLE_ENTITY,
                field_map(&errors),
            ));
        }
    };
    match state
        .auth()
        .registration()
        .register(registration, &client.context())
        .await
    {
        // The address taken or not, the answer is the same and names the
        // address that was typed.
        Ok(_) => {
            let jar = crate::sent_to::set(&state, jar, &form.email);
            Ok((
                Flash::Registered.set(&state, jar),
                Redirect::to("/auth/login"),
            )
                .into_response())
        }
        Err(Error::Validation(errors)) => Ok(again(
            page,
            StatusCode::UNPROCESSABLE_ENTITY,
            field_map(&errors),
        )),
        Err(Error::Taken(field)) => {
            let (name, message) = taken_message(field);
            Ok(again(page, StatusCode::CONFLICT, json!({ name: message })))
        }
        Err(err) => Err(err.into()),
    }
}

async fn login_form(
    State(state): State<Portcullis>,
    Query(query): Query<NextQuery>,
    page: PageCtx,
) -> Response {
    let next = sign_in_next(&state, query.next.as_deref());
    if page.auth.is_some() {
        return Redirect::to(&next).into_response();
    }
    page.render(
        &state,
        StatusCode::OK,
        "login.html",
        json!({"username": "", "next": next, "error": null}),
    )
}

async fn login(
    State(state): State<Portcullis>,
    Query(query): Query<NextQuery>,
    page: PageCtx,
    jar: CookieJar,
    client: ClientInfo,
    AnySession(previous): AnySession,
    HtmlForm(form): HtmlForm<LoginForm>,
) -> Result<Response, PageError> {
    let next = sign_in_next(&state, form.next.as_deref().or(query.next.as_deref()));
    let remember = ticked(form.remember.as_deref());
    let attempt = LoginAttempt {
        login: form.username.clone(),
        password: form.password,
        remember,
        ip: client.ip,
        user_agent: client.user_agent,
    };
    let failed = |page: PageCtx, status, message: &str| {
        page.render(
            &state,
            status,
            "login.html",
            json!({"username": form.username, "next": next, "remember": remember, "error": message}),
        )
    };
    match state.auth().sessions().login(attempt).await {
        Ok(success) => {
            // Logging in over an existing session (or a half-finished
            // login) replaces it.
            if let Some(previous) = previous {
                state.auth().sessions().replace_session(&previous).await?;
            }
            if !success.session.assurance.is_complete() {
                // Half a login: the cookie names the pending session, which
                // lasts minutes and grants only the second step.
                let jar = jar.add(session::cookie_for(&state, &success.token, false));
                let to = format!(
                    "/auth/login-2fa?next={}",
                    url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
                );
                return Ok((jar, Redirect::to(&to)).into_response());
            }
            let jar = Flash::LoggedIn.set(&state, jar).add(session::cookie_for(
                &state,
                &success.token,
                remember,
            ));
            Ok((jar, Redirect::to(&next)).into_response())
        }
        Err(Error::InvalidCredentials) => {
            Ok(failed(page, StatusCode::UNAUTHORIZED, INVALID_CREDENTIALS))
        }
        Err(Error::Inactive) => Ok(failed(page, StatusCode::FORBIDDEN, ACCOUNT_INACTIVE)),
        Err(Error::Unconfirmed) => Ok(page.render(
            &state,
            StatusCode::FORBIDDEN,
            "login.html",
            json!({"username": form.username, "next": next, "remember": remember,
                   "error": EMAIL_UNCONFIRMED, "unconfirmed": true}),
        )),
        Err(err @ (Error::RateLimited { .. } | Error::Locked { .. })) => {
            let api = ApiError::from(err);
            let mut response = failed(page, api.status, &api.message);
            if let Some(seconds) = api.retry_after {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
            }
            Ok(response)
        }
        Err(err) => Err(err.into()),
    }
}

/// `GET /auth/logout` does not log out (a link or an image tag could trigger
/// it); it shows a button that POSTs with the CSRF token.
async fn logout_confirm(
    State(state): State<Portcullis>,
    headers: HeaderMap,
    page: PageCtx,
) -> Response {
    if page.auth.is_none() {
        return Redirect::to("/").into_response();
    }
    let referer = headers.get(header::REFERER).and_then(|v| v.to_str().ok());
    let back = cancel_target(&state.config().public_url, referer);
    page.render(&state, StatusCode::OK, "logout.html", json!({"back": back}))
}

/// Where Cancel on the logout page leads: the page of this site the
/// browser came from (by its `Referer`), or `/`. Another site's page, or
/// the logout page itself, is `/`.
fn cancel_target(public_url: &url::Url, referer: Option<&str>) -> String {
    let Some(from) = referer.and_then(|r| url::Url::parse(r).ok()) else {
        return "/".to_owned();
    };
    if from.origin() != public_url.origin() || from.path() == "/auth/logout" {
        return "/".to_owned();
    }
    let path = match from.query() {
        Some(query) => format!("{}?{query}", from.path()),
        None => from.path().to_owned(),
    };
    safe_next(Some(&path)).to_owned()
}

async fn logout(
    State(state): State<Portcullis>,
    jar: CookieJar,
    client: ClientInfo,
    AnySession(session): AnySession,
) -> Result<Response, PageError> {
    // A login waiting for its second factor can be abandoned too.
    let Some(session) = session else {
        return Ok(Redirect::to("/").into_response());
    };
    state
        .auth()
        .sessions()
        .logout(&session, &client.context())
        .await?;
    // Logging out is local; a provider configured for it ends its own
    // session too, and sends the browser back here.
    let cookies = &state.inner.cookies;
    let provider = jar.get(&cookies.provider).map(|c| c.value().to_owned());
    let at_provider = match provider {
        Some(provider) => {
            state
                .auth()
                .identities()
                .logout_url(&provider, state.config().public_url.as_str())
                .await
        }
        None => None,
    };
    let jar = Flash::LoggedOut
        .set(&state, jar)
        .add(session::removal(&state))
        .add(cookies.removal(&cookies.provider));
    Ok((jar, Redirect::to(at_provider.as_deref().unwrap_or("/"))).into_response())
}

#[cfg(test)]
mod tests {
    use super::{cancel_target, ticked};

    #[test]
    fn cancel_goes_back_only_to_a_page_of_this_site() {
        let site = url::Url::parse("https://auth.example.com/").unwrap();
        let back = |referer| cancel_target(&site, referer);
        assert_eq!(
            back(Some("https://auth.example.com/profile?tab=2")),
            "/profile?tab=2"
        );
        assert_eq!(
            back(Some("https://auth.example.com/account/sessions")),
            "/account/sessions"
        );
        for elsewhere in [
            None,
            Some("https://evil.example/profile"),
            Some("http://auth.example.com/profile"),
            Some("https://auth.example.com/auth/logout"),
            Some("not a url"),
        ] {
            assert_eq!(back(elsewhere), "/", "{elsewhere:?}");
        }
    }

    #[test]
    fn remember_checkbox_values() {
        for yes in ["on", "y", "YES", "true", "1"] {
            assert!(ticked(Some(yes)));
        }
        for no in [None, Some(""), Some("off"), Some("0"), Some("false")] {
            assert!(!ticked(no));
        }
    }
}
