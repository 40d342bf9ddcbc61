//! Signing in with OpenID providers: `/auth/oidc/<id>/login` and its
//! callback (with the routes of the Flask tutorials for Google), the page
//! that asks for proof of an address, the mailed link that completes it,
//! and re-authentication through a provider.
//!
//! A flow is bound to the browser that started it by a cookie of its own
//! (random, HttpOnly, ten minutes): the callback finishes only the flow of
//! the browser it arrives in, so a callback URL sent to someone else, or
//! replayed, does nothing.

use super::PageCtx;
use crate::client::ClientInfo;
use crate::error::{ACCOUNT_INACTIVE, ApiError, PageError, sign_in_failed};
use crate::extract::HtmlForm;
use crate::flash::Flash;
use crate::next::{safe_next, sign_in_next};
use crate::session::{self, AnySession, Authenticated};
use crate::state::Portcullis;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum_extra::extract::CookieJar;
use portcullis_core::Error;
use portcullis_core::SecretToken;
use portcullis_core::domain::identity::FlowPurpose;
use portcullis_core::services::identities::{
    Callback, Completion, Current, FLOW_LIFETIME, FlowStart,
};
use serde::Deserialize;
use serde_json::json;

pub(super) fn router() -> Router<Portcullis> {
    Router::new()
        .route("/auth/oidc/{id}/login", get(login))
        .route("/auth/login/google", get(login_google))
        .route("/auth/oidc/{id}/callback", get(callback))
        // The callbacks the Flask tutorials register at Google.
        .route("/authorize/google", get(callback_google))
        .route("/auth/authorize/google", get(callback_google))
        .route("/auth/login/google/callback", get(callback_google))
        .route(
            "/auth/oidc/continue",
            get(continue_page).post(submit_address),
        )
        .route("/auth/oidc/continue/link", post(link_pending))
        .route(
            "/auth/oidc/complete/{token}",
            get(complete_form).post(complete),
        )
        .route("/auth/reauthenticate/oidc/{id}", post(reauthenticate))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct LoginQuery {
    next: Option<String>,
    remember: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct EmailForm {
    email: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct NextForm {
    next: Option<String>,
}

/// The browser-binding cookie's secret, if the browser has a usable one.
fn browser_of(state: &Portcullis, jar: &CookieJar) -> Option<SecretToken> {
    jar.get(&state.inner.cookies.oidc_browser)
        .and_then(|c| SecretToken::parse(c.value()))
}

/// The browser's binding, made now if it has none; with the jar that
/// carries it.
fn bind_browser(state: &Portcullis, jar: CookieJar) -> (SecretToken, CookieJar) {
    if let Some(existing) = browser_of(state, &jar) {
        return (existing, jar);
    }
    let fresh = SecretToken::generate();
    let cookies = &state.inner.cookies;
    let jar = jar.add(cookies.build(
        &cookies.oidc_browser,
        fresh.expose().to_owned(),
        // Long enough for a flow, and for the page that asks for proof.
        Some(FLOW_LIFETIME * 6),
    ));
    (fresh, jar)
}

/// The login page again, with `message`: where every failed sign-in with a
/// provider ends.
fn login_with_error(
    state: &Portcullis,
    page: PageCtx,
    status: StatusCode,
    message: &str,
    next: &str,
) -> Response {
    page.render(
        state,
        status,
        "login.html",
        json!({"username": "", "next": next, "error": message}),
    )
}

/// The answer to a core error on these pages: the login page with a
/// message for what a person can act on, an error page for the rest.
fn failure(state: &Portcullis, page: PageCtx, err: Error, next: &str) -> Response {
    match err {
        Error::SignInFailed(reason) => {
            let api = ApiError::from(Error::SignInFailed(reason));
            login_with_error(state, page, api.status, sign_in_failed(reason), next)
        }
        Error::Inactive => {
            login_with_error(state, page, StatusCode::FORBIDDEN, ACCOUNT_INACTIVE, next)
        }
        err @ Error::RateLimited { .. } => {
            let api = ApiError::from(err);
            let mut response = login_with_error(state, page, api.status, &api.message, next);
            if let Some(seconds) = api.retry_after {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
            }
            response
        }
        Error::NotFound => PageError::new(
            StatusCode::NOT_FOUND,
            "The page you asked for does not exist.",
        )
        .into_response(),
        err => PageError::from(err).into_response(),
    }
}

/// Starts a flow for `purpose` and sends the browser to the provider.
#[allow(clippy::too_many_arguments)]
async fn start(
    state: &Portcullis,
    page: PageCtx,
    jar: CookieJar,
    client: &ClientInfo,
    provider: &str,
    next: &str,
    remember: bool,
    purpose: FlowPurpose,
) -> Response {
    let user = page.auth.as_ref().map(|a| a.user.id);
    let (browser, jar) = bind_browser(state, jar);
    let start = FlowStart {
        provider,
        browser: &browser,
        next: Some(next.to_owned()),
        remember,
        purpose,
        user,
    };
    match state
        .auth()
        .identities()
        .begin(start, &client.context())
        .await
    {
        Ok(url) => (jar, Redirect::to(&url)).into_response(),
        Err(err) => failure(state, page, err, next),
    }
}

async fn login(
    State(state): State<Portcullis>,
    Path(id): Path<String>,
    Query(query): Query<LoginQuery>,
    page: PageCtx,
    jar: CookieJar,
    client: ClientInfo,
) -> Response {
    let next = sign_in_next(&state, query.next.as_deref());
    let remember = super::auth::ticked(query.remember.as_deref());
    start(
        &state,
        page,
        jar,
        &client,
        &id,
        &next,
        remember,
        FlowPurpose::Login,
    )
    .await
}

async fn login_google(
    state: State<Portcullis>,
    query: Query<LoginQuery>,
    page: PageCtx,
    jar: CookieJar,
    client: ClientInfo,
) -> Response {
    login(state, Path("google".to_owned()), query, page, jar, client).await
}

async fn callback(
    State(state): State<Portcullis>,
    Path(id): Path<String>,
    Query(query): Query<CallbackQuery>,
    page: PageCtx,
    jar: CookieJar,
    client: ClientInfo,
    AnySession(previous): AnySession,
) -> Response {
    let browser = browser_of(&state, &jar);
    let current = page.auth.as_ref().map(|a| Current {
        user: &a.user,
        session: &a.session,
    });
    let result = state
        .auth()
        .identities()
        .complete(
            Callback {
                provider: &id,
                state: query.state.as_deref(),
                code: query.code.as_deref(),
                error: query.error.as_deref(),
                browser: browser.as_ref(),
                current,
            },
            &client.context(),
        )
        .await;
    match result {
        Ok(completion) => finished(&state, page, jar, previous, completion).await,
        Err(err) => failure(&state, page, err, "/"),
    }
}

async fn callback_google(
    state: State<Portcullis>,
    query: Query<CallbackQuery>,
    page: PageCtx,
    jar: CookieJar,
    client: ClientInfo,
    previous: AnySession,
) -> Response {
    callback(
        state,
        Path("google".to_owned()),
        query,
        page,
        jar,
        client,
        previous,
    )
    .await
}

/// Where a completed flow leads.
async fn finished(
    state: &Portcullis,
    page: PageCtx,
    jar: CookieJar,
    previous: Option<portcullis_core::Session>,
    completion: Completion,
) -> Response {
    match completion {
        Completion::SignedIn {
            login,
            next,
            provider,
        } => {
            let next = sign_in_next(state, next.as_deref());
            // Signing in over an existing session replaces it.
            if let Some(previous) = previous
                && let Err(err) = state.auth().sessions().replace_session(&previous).await
            {
                return PageError::from(err).into_response();
            }
            let cookies = &state.inner.cookies;
            let jar = jar.add(cookies.build(&cookies.provider, provider, None));
            if !login.session.assurance.is_complete() {
                let jar = jar.add(session::cookie_for(state, &login.token, false));
                let to = format!(
                    "/auth/login-2fa?next={}",
                    url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
                );
                return (jar, Redirect::to(&to)).into_response();
            }
            let jar = Flash::LoggedIn.set(state, jar).add(session::cookie_for(
                state,
                &login.token,
                login.session.remember,
            ));
            (jar, Redirect::to(&next)).into_response()
        }
        Completion::Linked { next, .. } => {
            let next = safe_next(next.as_deref()).to_owned();
            (Flash::IdentityLinked.set(state, jar), Redirect::to(&next)).into_response()
        }
        Completion::Reauthenticated { next } => {
            let next = safe_next(next.as_deref()).to_owned();
            (Flash::Reauthenticated.set(state, jar), Redirect::to(&next)).into_response()
        }
        Completion::NeedsProof { .. } => {
            drop(page);
            Redirect::to("/auth/oidc/continue").into_response()
        }
    }
}

/// The page that asks for proof: the same for every address, with or
/// without an account behind it.
async fn continue_page(
    State(state): State<Portcullis>,
    page: PageCtx,
    jar: CookieJar,
) -> Result<Response, PageError> {
    let pending = match browser_of(&state, &jar) {
        Some(browser) => {
            state
                .auth()
                .identities()
                .pending_of_browser(&browser)
                .await?
        }
        None => None,
    };
    let Some(pending) = pending else {
        return Ok(Redirect::to("/auth/login").into_response());
    };
    let signed_in = page.auth.is_some();
    Ok(page.render(
        &state,
        StatusCode::OK,
        "oidc_continue.html",
        json!({"pending": {"provider": pending.provider, "email": pending.email,
                           "name": pending.name},
               "signed_in": signed_in, "errors": {}, "sent": false, "email": ""}),
    ))
}

async fn submit_address(
    State(state): State<Portcullis>,
    page: PageCtx,
    jar: CookieJar,
    client: ClientInfo,
    HtmlForm(form): HtmlForm<EmailForm>,
) -> Result<Response, PageError> {
    let Some(browser) = browser_of(&state, &jar) else {
        return Ok(Redirect::to("/auth/login").into_response());
    };
    let identities = state.auth().identities();
    let result = identities
        .submit_address(&browser, &form.email, &client.context())
        .await;
    let pending = identities.pending_of_browser(&browser).await?;
    let Some(pending) = pending else {
        return Ok(Redirect::to("/auth/login").into_response());
    };
    let context = json!({"pending": {"provider": pending.provider, "email": pending.email,
                                     "name": pending.name},
                         "signed_in": page.auth.is_some(), "email": form.email});
    match result {
        Ok(()) => {
            let mut context = context;
            context["sent"] = json!(true);
            context["errors"] = json!({});
            Ok(page.render(&state, StatusCode::OK, "oidc_continue.html", context))
        }
        Err(err) => Ok(super::FormFailure::from_error(err)?.render(
            page,
            &state,
            "oidc_continue.html",
            context,
        )),
    }
}

async fn link_pending(
    State(state): State<Portcullis>,
    auth: Authenticated,
    jar: CookieJar,
    client: ClientInfo,
) -> Result<Response, PageError> {
    let Some(browser) = browser_of(&state, &jar) else {
        return Ok(Redirect::to("/account/identities").into_response());
    };
    state
        .auth()
        .identities()
        .link_pending(
            Current {
                user: &auth.user,
                session: &auth.session,
            },
            &browser,
            &client.context(),
        )
        .await?;
    Ok((
        Flash::IdentityLinked.set(&state, jar),
        Redirect::to("/account/identities"),
    )
        .into_response())
}

async fn complete_form(
    State(state): State<Portcullis>,
    Path(token): Path<String>,
    page: PageCtx,
) -> Response {
    let valid = SecretToken::parse(&token).is_some();
    super::email::link_page(
        &state,
        page,
        valid,
        &format!("/auth/oidc/complete/{token}"),
        "Continue signing in",
    )
}

async fn complete(
    State(state): State<Portcullis>,
    Path(token): Path<String>,
    page: PageCtx,
    jar: CookieJar,
    client: ClientInfo,
    AnySession(previous): AnySession,
) -> Response {
    match state
        .auth()
        .identities()
        .complete_pending(&token, &client.context())
        .await
    {
        Ok(completion) => finished(&state, page, jar, previous, completion).await,
        Err(Error::InvalidToken) => {
            super::email::link_page(&state, page, false, "", "Continue signing in")
        }
        Err(err) => failure(&state, page, err, "/"),
    }
}

/// Re-authentication through a provider the account is linked to, for an
/// action that wants a recent login (`prompt=login`, `max_age`).
async fn reauthenticate(
    State(state): State<Portcullis>,
    Path(id): Path<String>,
    _auth: Authenticated,
    page: PageCtx,
    jar: CookieJar,
    client: ClientInfo,
    HtmlForm(form): HtmlForm<NextForm>,
) -> Response {
    let next = safe_next(form.next.as_deref()).to_owned();
    start(
        &state,
        page,
        jar,
        &client,
        &id,
        &next,
        false,
        FlowPurpose::Reauthenticate,
    )
    .await
}

/// Starts linking `provider` to the signed-in account (from
/// `/account/identities`).
pub(super) async fn start_link(
    state: &Portcullis,
    page: PageCtx,
    jar: CookieJar,
    client: &ClientInfo,
    provider: &str,
) -> Response {
    start(
        state,
        page,
        jar,
        client,
        provider,
        "/account/identities",
        false,
        FlowPurpose::Link,
    )
    .await
}

/// The providers linked to `user`, for the buttons of the
/// re-authentication page.
pub(super) async fn linked_providers(
    state: &Portcullis,
    user: &portcullis_core::User,
) -> Result<serde_json::Value, PageError> {
    let identities = state.auth().identities();
    let linked = identities.list(user.id).await?;
    let mut seen = Vec::new();
    for identity in &linked {
        if let Some(p) = identities.provider(&identity.provider)
            && !seen.iter().any(|s: &serde_json::Value| s["id"] == p.id())
        {
            seen.push(json!({"id": p.id(), "name": p.name()}));
        }
    }
    Ok(json!(seen))
}
