//! `/account/tokens`: the user's personal access tokens. Making one needs a
//! recent login (a token outlives the session that made it); its secret is
//! shown once, on the page the form answers with, and never stored.

use super::{FormFailure, PageCtx};
use crate::client::ClientInfo;
use crate::error::PageError;
use crate::extract::PagePath;
use crate::flash::Flash;
use crate::guard::RequireRecentLogin;
use crate::session::Authenticated;
use crate::state::Portcullis;
use crate::views::TokenView;
use axum::Router;
use axum::extract::{FromRequest, Query, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum_extra::extract::CookieJar;
use portcullis_core::domain::api_token::{ApiTokenId, SELF_SERVICE_SCOPES, Scopes, TokenKind};
use portcullis_core::policy::Expiry;
use portcullis_core::services::tokens::TokenRequest;
use serde::Deserialize;
use serde_json::{Value, json};

pub(super) fn router() -> Router<Portcullis> {
    Router::new()
        .route("/account/tokens", get(list).post(create))
        .route("/account/tokens/{id}/revoke", post(revoke))
        .route("/account/tokens/revoke-all", post(revoke_all))
}

/// Lifetimes offered, in days; the default is the policy's.
const LIFETIMES: [i64; 4] = [7, 30, 90, 365];

#[derive(Deserialize)]
struct CreateForm {
    name: String,
    /// Ticked boxes, one field per scope.
    #[serde(default)]
    scope: Vec<String>,
    /// More scopes, separated by spaces or commas.
    #[serde(default)]
    other: String,
    /// Days, or `never`.
    #[serde(default)]
    expires: String,
}

/// The form, with repeated `scope` fields (which `HtmlForm` cannot read).
struct TokenForm(CreateForm);

impl FromRequest<Portcullis> for TokenForm {
    type Rejection = PageError;

    async fn from_request(request: Request, state: &Portcullis) -> Result<Self, Self::Rejection> {
        axum_extra::extract::Form::<CreateForm>::from_request(request, state)
            .await
            .map(|axum_extra::extract::Form(form)| Self(form))
            .map_err(|_| PageError::new(StatusCode::BAD_REQUEST, "The form could not be read."))
    }
}

#[derive(Deserialize)]
struct ListQuery {
    /// Set after a password change, to offer revoking the named tokens too.
    #[serde(default)]
    password_changed: Option<String>,
}

/// What the page shows besides the common context.
async fn context(state: &Portcullis, auth: &Authenticated) -> Result<Value, PageError> {
    let tokens = state.auth().tokens().list(auth.user.id).await?;
    let views: Vec<TokenView> = tokens.iter().map(TokenView::new).collect();
    let mut offered: Vec<String> = SELF_SERVICE_SCOPES
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    offered.extend(auth.permissions.listed().unwrap_or_default());
    let policy = state.auth().security().tokens;
    Ok(json!({
        "tokens": views,
        "named": tokens.iter().filter(|t| t.kind != TokenKind::Login).count(),
        "scopes": offered,
        "all_permissions": auth.permissions.is_all(),
        "lifetimes": LIFETIMES,
        "default_days": policy.default_lifetime.whole_days(),
        "allow_never": policy.allow_no_expiry,
        "form": {},
        "errors": {},
    }))
}

async fn list(
    State(state): State<Portcullis>,
    auth: Authenticated,
    page: PageCtx,
    Query(query): Query<ListQuery>,
) -> Result<Response, PageError> {
    let mut ctx = context(&state, &auth).await?;
    ctx["password_changed"] = json!(query.password_changed.is_some());
    Ok(page.render(&state, StatusCode::OK, "tokens.html", ctx))
}

fn expiry(given: &str) -> Expiry {
    match given.trim() {
        "" => Expiry::Default,
        "never" => Expiry::Never,
        days => days
            .parse::<i64>()
            .map_or(Expiry::In(time::Duration::ZERO), |d| {
                Expiry::In(time::Duration::days(d))
            }),
    }
}

async fn create(
    State(state): State<Portcullis>,
    RequireRecentLogin(auth): RequireRecentLogin,
    page: PageCtx,
    client: ClientInfo,
    TokenForm(form): TokenForm,
) -> Result<Response, PageError> {
    let mut scopes = form.scope.clone();
    scopes.extend(
        form.other
            .split([' ', ','])
            .filter(|s| !s.trim().is_empty())
            .map(str::to_owned),
    );
    let request = TokenRequest {
        name: form.name.clone(),
        scopes,
        expiry: expiry(&form.expires),
    };
    match state
        .auth()
        .tokens()
        .create_personal(&auth.user, &Scopes::Owner, &request, &client.context())
        .await
    {
        Ok(issued) => Ok(page.render(
            &state,
            StatusCode::CREATED,
            "token_created.html",
            json!({"token": TokenView::new(&issued.token), "secret": issued.secret.expose()}),
        )),
        Err(err) => {
            let mut ctx = context(&state, &auth).await?;
            ctx["form"] = json!({"name": form.name, "scope": form.scope, "other": form.other});
            Ok(FormFailure::from_error(err)?.render(page, &state, "tokens.html", ctx))
        }
    }
}

async fn revoke(
    State(state): State<Portcullis>,
    auth: Authenticated,
    client: ClientInfo,
    jar: CookieJar,
    PagePath(id): PagePath<i64>,
) -> Result<Response, PageError> {
    state
        .auth()
        .tokens()
        .revoke(auth.user.id, ApiTokenId(id), &client.context())
        .await?;
    let jar = Flash::TokenRevoked.set(&state, jar);
    Ok((jar, Redirect::to("/account/tokens")).into_response())
}

async fn revoke_all(
    State(state): State<Portcullis>,
    auth: Authenticated,
    client: ClientInfo,
    jar: CookieJar,
) -> Result<Response, PageError> {
    state
        .auth()
        .tokens()
        .revoke_all(auth.user.id, &client.context())
        .await?;
    let jar = Flash::TokensRevoked.set(&state, jar);
    Ok((jar, Redirect::to("/account/tokens")).into_response())
}
