//! `/auth/forgot-password`, `/auth/reset-password/<token>` and
//! `/auth/change-password`.
//!
//! The forgot-password answer is one page whatever the address. The reset
//! link is only read on GET (mail scanners prefetch links) and spent on
//! POST; its page is served with `Referrer-Policy: no-referrer` so the
//! token in its URL never leaves in a `Referer`.

use super::{FormFailure, PageCtx, email_request_answer};
use crate::client::ClientInfo;
use crate::error::{INVALID_TOKEN, PageError, RESET_SENT};
use crate::extract::HtmlForm;
use crate::flash::Flash;
use crate::guard::RequireRecentLogin;
use crate::state::Portcullis;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum_extra::extract::CookieJar;
use portcullis_core::PasswordChange;
use portcullis_core::domain::api_token::TokenKind;
use serde::Deserialize;
use serde_json::{Value, json};

pub(super) fn router() -> Router<Portcullis> {
    Router::new()
        .route("/auth/forgot-password", get(forgot_form).post(forgot))
        .route("/auth/reset-password/{token}", get(reset_form).post(reset))
        .route("/auth/change-password", get(change_form).post(change))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct EmailForm {
    email: String,
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct ResetForm {
    password: String,
    password_confirm: String,
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct ChangeForm {
    current_password: String,
    new_password: String,
    confirm_password: String,
}

async fn forgot_form(State(state): State<Portcullis>, page: PageCtx) -> Response {
    page.render(
        &state,
        StatusCode::OK,
        "forgot_password.html",
        json!({"email": "", "errors": {}}),
    )
}

async fn forgot(
    State(state): State<Portcullis>,
    page: PageCtx,
    client: ClientInfo,
    HtmlForm(form): HtmlForm<EmailForm>,
) -> Result<Response, PageError> {
    let result = state
        .auth()
        .email()
        .request_password_reset(&form.email, &client.context())
        .await;
    email_request_answer(
        &state,
        page,
        "forgot_password.html",
        &form.email,
        result,
        RESET_SENT,
    )
}

fn no_referrer(mut response: Response) -> Response {
    response.headers_mut().insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}

fn reset_page(
    state: &Portcullis,
    page: PageCtx,
    status: StatusCode,
    token: &str,
    errors: Value,
    error: Option<String>,
) -> Response {
    let valid = status != StatusCode::BAD_REQUEST;
    no_referrer(page.render(
        state,
        status,
        "reset_password.html",
        json!({"token": if valid { token } else { "" }, "valid": valid, "errors": errors, "error": error}),
    ))
}

async fn reset_form(
    State(state): State<Portcullis>,
    Path(token): Path<String>,
    page: PageCtx,
) -> Result<Response, PageError> {
    let status = if state.auth().email().reset_token_is_valid(&token).await? {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let error = (status != StatusCode::OK).then(|| INVALID_TOKEN.to_owned());
    Ok(reset_page(&state, page, status, &token, json!({}), error))
}

async fn reset(
    State(state): State<Portcullis>,
    Path(token): Path<String>,
    page: PageCtx,
    jar: CookieJar,
    client: ClientInfo,
    HtmlForm(form): HtmlForm<ResetForm>,
) -> Result<Response, PageError> {
    match state
        .auth()
        .email()
        .reset_password(
            &token,
            &form.password,
            &form.password_confirm,
            &client.context(),
        )
        .await
    {
        Ok(()) => Ok(no_referrer(
            (
                Flash::PasswordReset.set(&state, jar),
                Redirect::to("/auth/login"),
            )
                .into_response(),
        )),
        Err(err) => {
            let failure = FormFailure::from_error(err)?;
            let response = reset_page(
                &state,
                page,
                failure.status,
                &token,
                failure.errors.clone(),
                failure.message.clone(),
            );
            Ok(failure.finish(response))
        }
    }
}

async fn change_form(
    State(state): State<Portcullis>,
    RequireRecentLogin(_auth): RequireRecentLogin,
    page: PageCtx,
) -> Response {
    page.render(
        &state,
        StatusCode::OK,
        "change_password.html",
        json!({"errors": {}}),
    )
}

async fn change(
    State(state): State<Portcullis>,
    RequireRecentLogin(auth): RequireRecentLogin,
    page: PageCtx,
    jar: CookieJar,
    client: ClientInfo,
    HtmlForm(form): HtmlForm<ChangeForm>,
) -> Result<Response, PageError> {
    let change = PasswordChange {
        current_password: &form.current_password,
        new_password: &form.new_password,
        confirm_password: &form.confirm_password,
    };
    match state
        .auth()
        .email()
        .change_password(&auth.user, &auth.session, change, &client.context())
        .await
    {
        Ok(()) => {
            // Named tokens survive a password change: offer to end them too.
            let named = state
                .auth()
                .tokens()
                .list(auth.user.id)
                .await?
                .iter()
                .any(|t| t.kind != TokenKind::Login);
            let to = if named {
                "/account/tokens?password_changed=1"
            } else {
                "/profile"
            };
            Ok((Flash::PasswordChanged.set(&state, jar), Redirect::to(to)).into_response())
        }
        Err(err) => Ok(FormFailure::from_error(err)?.render(
            page,
            &state,
            "change_password.html",
            json!({}),
        )),
    }
}
