//! Two-factor pages, with the routes and field names (`token`) of the Flask
//! apps Portcullis replaces: `/auth/enable-2fa`, `/auth/verify-2fa`,
//! `/auth/login-2fa`, plus turning it off, recovery codes, and confirming
//! one's password again for sensitive changes.

use super::PageCtx;
use crate::client::ClientInfo;
use crate::error::{INVALID_CODE, PageError};
use crate::extract::HtmlForm;
use crate::flash::Flash;
use crate::guard::RequireRecentLogin;
use crate::next::{safe_next, sign_in_next};
use crate::qr;
use crate::session::{self, Authenticated, PendingLogin};
use crate::state::Portcullis;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum_extra::extract::CookieJar;
use portcullis_core::Error;
use portcullis_core::services::two_factor::Enrolment;
use serde::Deserialize;
use serde_json::json;

pub(super) fn router() -> Router<Portcullis> {
    Router::new()
        .route("/auth/login-2fa", get(login_form).post(login))
        .route("/auth/enable-2fa", get(enable_form))
        .route("/auth/verify-2fa", post(verify))
        .route("/auth/two-factor", get(status))
        .route("/auth/disable-2fa", get(disable_form).post(disable))
        .route("/auth/recovery-codes", get(codes_form).post(regenerate))
        .route("/auth/recovery-codes/download", post(download))
        .route("/auth/reauthenticate", get(reauth_form).post(reauth))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct NextQuery {
    next: Option<String>,
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct CodeForm {
    token: String,
    next: Option<String>,
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct PasswordForm {
    password: String,
    token: String,
    next: Option<String>,
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct CodesForm {
    codes: String,
}

async fn login_form(
    State(state): State<Portcullis>,
    Query(query): Query<NextQuery>,
    pending: Option<PendingLogin>,
    page: PageCtx,
) -> Response {
    let next = sign_in_next(&state, query.next.as_deref());
    let Some(pending) = pending else {
        let to = if page.auth.is_some() {
            next
        } else {
            "/auth/login".to_owned()
        };
        return Redirect::to(&to).into_response();
    };
    second_step_page(&state, page, &pending, StatusCode::OK, &next, None).await
}

/// The second step's page: the code form for an account with an
/// authenticator app, the passkey button for one with a passkey.
async fn second_step_page(
    state: &Portcullis,
    page: PageCtx,
    pending: &PendingLogin,
    status: StatusCode,
    next: &str,
    error: Option<&str>,
) -> Response {
    let methods = match state
        .auth()
        .two_factor()
        .methods(pending.resolved.user.id)
        .await
    {
        Ok(methods) => methods,
        Err(err) => return PageError::from(err).into_response(),
    };
    page.render(
        state,
        status,
        "login_2fa.html",
        json!({"next": next, "error": error, "totp": methods.totp,
               "passkey": methods.passkey && state.auth().passkeys().unavailable().is_none()}),
    )
}

async fn login(
    State(state): State<Portcullis>,
    Query(query): Query<NextQuery>,
    pending: Option<PendingLogin>,
    page: PageCtx,
    jar: CookieJar,
    client: ClientInfo,
    HtmlForm(form): HtmlForm<CodeForm>,
) -> Result<Response, PageError> {
    let next = sign_in_next(&state, form.next.as_deref().or(query.next.as_deref()));
    let Some(pending) = pending else {
        return Ok(Redirect::to("/auth/login").into_response());
    };
    match state
        .auth()
        .sessions()
        .complete_second_factor(&pending.resolved, &form.token, &client.context())
        .await
    {
        Ok(success) => {
            let remember = success.session.remember;
            let jar = Flash::LoggedIn.set(&state, jar).add(session::cookie_for(
                &state,
                &success.token,
                remember,
            ));
            Ok((jar, Redirect::to(&next)).into_response())
        }
        Err(Error::InvalidCode) => Ok(second_step_page(
            &state,
            page,
            &pending,
            StatusCode::UNAUTHORIZED,
            &next,
            Some(INVALID_CODE),
        )
        .await),
        Err(Error::SecondFactorAbandoned) => {
            let jar = Flash::CodeAttemptsExhausted
                .set(&state, jar)
                .add(session::removal(&state));
            Ok((jar, Redirect::to("/auth/login")).into_response())
        }
        Err(err @ Error::RateLimited { .. }) => {
            let api = crate::error::ApiError::from(err);
            let mut response = second_step_page(
                &state,
                page,
                &pending,
                api.status,
                &next,
                Some(&api.message),
            )
            .await;
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

/// The enrolment page for `enrolment`, with `error` if a code was refused.
fn enrolment_page(
    state: &Portcullis,
    page: PageCtx,
    status: StatusCode,
    enrolment: &Enrolment,
    error: Option<&str>,
) -> Result<Response, PageError> {
    let svg = qr::svg(&enrolment.otpauth_uri).map_err(PageError::internal)?;
    Ok(page.render(
        state,
        status,
        "enable_2fa.html",
        json!({"secret": enrolment.secret, "qr_svg": svg, "error": error}),
    ))
}

async fn enable_form(
    State(state): State<Portcullis>,
    RequireRecentLogin(auth): RequireRecentLogin,
    page: PageCtx,
) -> Result<Response, PageError> {
    let two_factor = state.auth().two_factor();
    // A passkey is a second factor too; this page is the authenticator app's.
    if two_factor.status(auth.user.id).await?.enabled {
        return Ok(Redirect::to("/auth/two-factor").into_response());
    }
    // A reload shows the same seed, so an app that scanned it still works.
    let enrolment = match two_factor.pending_enrolment(&auth.user).await? {
        Some(enrolment) => enrolment,
        None => {
            two_factor
                .begin_enrolment(&auth.user, &auth.session)
                .await?
        }
    };
    enrolment_page(&state, page, StatusCode::OK, &enrolment, None)
}

async fn verify(
    State(state): State<Portcullis>,
    RequireRecentLogin(auth): RequireRecentLogin,
    page: PageCtx,
    client: ClientInfo,
    HtmlForm(form): HtmlForm<CodeForm>,
) -> Result<Response, PageError> {
    let two_factor = state.auth().two_factor();
    match two_factor
        .confirm_enrolment(&auth.user, &auth.session, &form.token, &client.context())
        .await
    {
        Ok(codes) => Ok(page.render(
            &state,
            StatusCode::OK,
            "recovery_codes.html",
            json!({"codes": codes.0, "codes_text": codes.0.join(" ")}),
        )),
        Err(Error::InvalidCode) => match two_factor.pending_enrolment(&auth.user).await? {
            Some(enrolment) => enrolment_page(
                &state,
                page,
                StatusCode::UNPROCESSABLE_ENTITY,
                &enrolment,
                Some("That code is not right. Check the time on your device and try again."),
            ),
            None => Ok(Redirect::to("/auth/enable-2fa").into_response()),
        },
        Err(err) => Err(err.into()),
    }
}

async fn status(
    State(state): State<Portcullis>,
    auth: Authenticated,
    page: PageCtx,
) -> Result<Response, PageError> {
    let status = state.auth().two_factor().status(auth.user.id).await?;
    if !status.enabled {
        return Ok(Redirect::to("/auth/enable-2fa").into_response());
    }
    Ok(page.render(
        &state,
        StatusCode::OK,
        "two_factor.html",
        json!({"recovery_codes_left": status.recovery_codes_left}),
    ))
}

async fn disable_form(
    State(state): State<Portcullis>,
    RequireRecentLogin(auth): RequireRecentLogin,
    page: PageCtx,
) -> Response {
    // Authenticator app and recovery codes only: a passkey is managed on
    // its own page.
    if !state
        .auth()
        .two_factor()
        .status(auth.user.id)
        .await
        .is_ok_and(|s| s.enabled)
    {
        return Redirect::to("/profile").into_response();
    }
    page.render(
        &state,
        StatusCode::OK,
        "disable_2fa.html",
        json!({"errors": {}, "error": null}),
    )
}

async fn disable(
    State(state): State<Portcullis>,
    RequireRecentLogin(auth): RequireRecentLogin,
    page: PageCtx,
    jar: CookieJar,
    client: ClientInfo,
    HtmlForm(form): HtmlForm<PasswordForm>,
) -> Result<Response, PageError> {
    match state
        .auth()
        .two_factor()
        .disable(
            &auth.user,
            &auth.session,
            &form.password,
            &form.token,
            &client.context(),
        )
        .await
    {
        Ok(()) => Ok((
            Flash::TwoFactorDisabled.set(&state, jar),
            Redirect::to("/profile"),
        )
            .into_response()),
        Err(err) => Ok(super::FormFailure::from_error(err)?.render(
            page,
            &state,
            "disable_2fa.html",
            json!({}),
        )),
    }
}

async fn codes_form(
    State(state): State<Portcullis>,
    RequireRecentLogin(auth): RequireRecentLogin,
    page: PageCtx,
) -> Response {
    // Authenticator app and recovery codes only: a passkey is managed on
    // its own page.
    if !state
        .auth()
        .two_factor()
        .status(auth.user.id)
        .await
        .is_ok_and(|s| s.enabled)
    {
        return Redirect::to("/auth/enable-2fa").into_response();
    }
    page.render(
        &state,
        StatusCode::OK,
        "recovery_codes.html",
        json!({"codes": null, "error": null}),
    )
}

async fn regenerate(
    State(state): State<Portcullis>,
    RequireRecentLogin(auth): RequireRecentLogin,
    page: PageCtx,
    client: ClientInfo,
    HtmlForm(form): HtmlForm<PasswordForm>,
) -> Result<Response, PageError> {
    match state
        .auth()
        .two_factor()
        .regenerate_recovery_codes(&auth.user, &auth.session, &form.password, &client.context())
        .await
    {
        Ok(codes) => Ok(page.render(
            &state,
            StatusCode::OK,
            "recovery_codes.html",
            json!({"codes": codes.0, "codes_text": codes.0.join(" ")}),
        )),
        Err(Error::Validation(errors)) => Ok(page.render(
            &state,
            StatusCode::UNPROCESSABLE_ENTITY,
            "recovery_codes.html",
            json!({"codes": null, "error": errors.get("password")}),
        )),
        Err(err) => Err(err.into()),
    }
}

/// The codes just shown, back as a text file. Only strings shaped like
/// recovery codes are echoed, as a download, never rendered.
async fn download(
    _auth: Authenticated,
    HtmlForm(form): HtmlForm<CodesForm>,
) -> Result<Response, PageError> {
    let codes: Vec<&str> = form.codes.split_whitespace().collect();
    let shaped = |c: &&str| {
        c.len() == 11
            && c.char_indices().all(|(i, ch)| {
                if i == 5 {
                    ch == '-'
                } else {
                    ch.is_ascii_lowercase() || ('2'..='7').contains(&ch)
                }
            })
    };
    if codes.is_empty() || codes.len() > 20 || !codes.iter().all(shaped) {
        return Err(PageError::new(
            StatusCode::BAD_REQUEST,
            "These are not recovery codes.",
        ));
    }
    let mut text =
        String::from("Recovery codes: each works once, in place of a code from your app.\n\n");
    for code in codes {
        text.push_str(code);
        text.push('\n');
    }
    Ok((
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"recovery-codes.txt\"",
            ),
        ],
        text,
    )
        .into_response())
}

async fn reauth_form(
    State(state): State<Portcullis>,
    Query(query): Query<NextQuery>,
    auth: Authenticated,
    page: PageCtx,
) -> Result<Response, PageError> {
    let next = safe_next(query.next.as_deref()).to_owned();
    let linked = super::oidc::linked_providers(&state, &auth.user).await?;
    Ok(page.render(
        &state,
        StatusCode::OK,
        "reauthenticate.html",
        json!({"next": next, "errors": {}, "error": null, "linked_providers": linked}),
    ))
}

async fn reauth(
    State(state): State<Portcullis>,
    Query(query): Query<NextQuery>,
    auth: Authenticated,
    page: PageCtx,
    jar: CookieJar,
    client: ClientInfo,
    HtmlForm(form): HtmlForm<PasswordForm>,
) -> Result<Response, PageError> {
    let next = safe_next(form.next.as_deref().or(query.next.as_deref())).to_owned();
    match state
        .auth()
        .sessions()
        .reauthenticate(&auth.user, &auth.session, &form.password, &client.context())
        .await
    {
        Ok(()) => {
            Ok((Flash::Reauthenticated.set(&state, jar), Redirect::to(&next)).into_response())
        }
        Err(err) => {
            let linked = super::oidc::linked_providers(&state, &auth.user).await?;
            Ok(super::FormFailure::from_error(err)?.render(
                page,
                &state,
                "reauthenticate.html",
                json!({"next": next, "linked_providers": linked}),
            ))
        }
    }
}
