//! `/auth/confirm/<token>`, `/auth/resend-confirmation`,
//! `/auth/change-email` and `/auth/change-email/<token>`.
//!
//! Links from emails are only read on GET and spent by the button their
//! page shows (mail scanners prefetch links).

use super::{FormFailure, PageCtx, email_request_answer};
use crate::client::ClientInfo;
use crate::error::{CONFIRMATION_SENT, INVALID_TOKEN, PageError};
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
use serde::Deserialize;
use serde_json::json;

pub(super) fn router() -> Router<Portcullis> {
    Router::new()
        .route("/auth/confirm/{token}", get(confirm_form).post(confirm))
        .route("/auth/resend-confirmation", get(resend_form).post(resend))
        .route("/auth/change-email", get(change_form).post(change))
        .route(
            "/auth/change-email/{token}",
            get(change_confirm_form).post(change_confirm),
        )
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct EmailForm {
    email: String,
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct ChangeForm {
    email: String,
    password: String,
}

/// The page of a link: a button that spends it, or "invalid or expired".
pub(super) fn link_page(
    state: &Portcullis,
    page: PageCtx,
    valid: bool,
    action: &str,
    what: &str,
) -> Response {
    link_page_for(state, page, valid, action, what, None)
}

/// [`link_page`] naming the address the link is about (`label` then
/// `address`), for a live link.
fn link_page_for(
    state: &Portcullis,
    page: PageCtx,
    valid: bool,
    action: &str,
    what: &str,
    address: Option<(&str, &str)>,
) -> Response {
    let (status, error) = if valid {
        (StatusCode::OK, None)
    } else {
        (StatusCode::BAD_REQUEST, Some(INVALID_TOKEN))
    };
    let mut response = page.render(
        state,
        status,
        "confirm_link.html",
        json!({"action": if valid { action } else { "" }, "what": what, "error": error,
               "address_label": address.map(|a| a.0),
               "address": address.filter(|_| valid).map(|a| a.1)}),
    );
    response.headers_mut().insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}

async fn confirm_form(
    State(state): State<Portcullis>,
    Path(token): Path<String>,
    page: PageCtx,
) -> Result<Response, PageError> {
    // The account a live link is for; none for an invalid one.
    let account = state.auth().email().confirm_token_account(&token).await?;
    let address = account.as_ref().and_then(|u| u.mailbox());
    let action = format!("/auth/confirm/{token}");
    Ok(link_page_for(
        &state,
        page,
        account.is_some(),
        &action,
        "Confirm your email address",
        address.map(|a| ("The address to confirm:", a)),
    ))
}

async fn confirm(
    State(state): State<Portcullis>,
    Path(token): Path<String>,
    page: PageCtx,
    jar: CookieJar,
    client: ClientInfo,
) -> Result<Response, PageError> {
    match state
        .auth()
        .email()
        .confirm_email(&token, &client.context())
        .await
    {
        Ok(_) => {
            let to = if page.auth.is_some() {
                "/profile"
            } else {
                "/auth/login"
            };
            Ok((Flash::EmailConfirmed.set(&state, jar), Redirect::to(to)).into_response())
        }
        Err(portcullis_core::Error::InvalidToken) => Ok(link_page(
            &state,
            page,
            false,
            "",
            "Confirm your email address",
        )),
        Err(err) => Err(err.into()),
    }
}

async fn resend_form(State(state): State<Portcullis>, page: PageCtx) -> Response {
    page.render(
        &state,
        StatusCode::OK,
        "resend_confirmation.html",
        json!({"email": "", "errors": {}}),
    )
}

async fn resend(
    State(state): State<Portcullis>,
    page: PageCtx,
    client: ClientInfo,
    HtmlForm(form): HtmlForm<EmailForm>,
) -> Result<Response, PageError> {
    let result = state
        .auth()
        .email()
        .resend_confirmation(&form.email, &client.context())
        .await;
    email_request_answer(
        &state,
        page,
        "resend_confirmation.html",
        &form.email,
        result,
        CONFIRMATION_SENT,
    )
}

async fn change_form(
    State(state): State<Portcullis>,
    RequireRecentLogin(_auth): RequireRecentLogin,
    page: PageCtx,
) -> Response {
    page.render(
        &state,
        StatusCode::OK,
        "change_email.html",
        json!({"email": "", "errors": {}}),
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
    match state
        .auth()
        .email()
        .request_email_change(&auth.user, &form.password, &form.email, &client.context())
        .await
    {
        Ok(()) => Ok((
            Flash::EmailChangeSent.set(&state, jar),
            Redirect::to("/profile"),
        )
            .into_response()),
        Err(err) => Ok(FormFailure::from_error(err)?.render(
            page,
            &state,
            "change_email.html",
            json!({"email": form.email}),
        )),
    }
}

async fn change_confirm_form(
    State(state): State<Portcullis>,
    Path(token): Path<String>,
    page: PageCtx,
) -> Result<Response, PageError> {
    let address = state
        .auth()
        .email()
        .email_change_token_address(&token)
        .await?;
    let action = format!("/auth/change-email/{token}");
    Ok(link_page_for(
        &state,
        page,
        address.is_some(),
        &action,
        "Confirm your new email address",
        address.as_deref().map(|a| ("Your new address:", a)),
    ))
}

async fn change_confirm(
    State(state): State<Portcullis>,
    Path(token): Path<String>,
    page: PageCtx,
    jar: CookieJar,
    client: ClientInfo,
) -> Result<Response, PageError> {
    match state
        .auth()
        .email()
        .confirm_email_change(&token, &client.context())
        .await
    {
        Ok(_) => {
            let to = if page.auth.is_some() {
                "/profile"
            } else {
                "/auth/login"
            };
            Ok((Flash::EmailChanged.set(&state, jar), Redirect::to(to)).into_response())
        }
        Err(portcullis_core::Error::InvalidToken) => Ok(link_page(
            &state,
            page,
            false,
            "",
            "Confirm your new email address",
        )),
        Err(err @ portcullis_core::Error::Taken(_)) => {
            let failure = FormFailure::from_error(err)?;
            Ok(page.render(
                &state,
                failure.status,
                "confirm_link.html",
                json!({"action": "", "what": "Confirm your new email address",
                       "error": "That address now belongs to another account."}),
            ))
        }
        Err(err) => Err(err.into()),
    }
}
