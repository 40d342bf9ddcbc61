//! Service accounts and other accounts' tokens in the administration pages:
//! making a service account, minting its tokens (shown once), and listing
//! and revoking any account's tokens, under the same containment rules as
//! the API.

use super::done;
use super::users::assignable;
use crate::client::ClientInfo;
use crate::error::PageError;
use crate::extract::{HtmlForm, PagePath};
use crate::flash::Flash;
use crate::guard::Admin;
use crate::pages::{FormFailure, PageCtx};
use crate::state::Portcullis;
use crate::views::TokenView;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum_extra::extract::CookieJar;
use portcullis_core::access::{Actor, TokensManage, UsersManage};
use portcullis_core::domain::api_token::ApiTokenId;
use portcullis_core::policy::Expiry;
use portcullis_core::services::tokens::TokenRequest;
use portcullis_core::{Error, UserId};
use serde::Deserialize;
use serde_json::{Value, json};

pub(super) fn router() -> Router<Portcullis> {
    Router::new()
        .route("/admin/service-accounts/new", get(new_form))
        .route("/admin/service-accounts", post(create))
        .route("/admin/users/{id}/tokens", post(mint))
        .route("/admin/users/{id}/tokens/{token}/revoke", post(revoke))
        .route("/admin/users/{id}/tokens/revoke-all", post(revoke_all))
}

/// The tokens section of an account's page: `null` unless `actor` may
/// manage that account's tokens.
pub(super) async fn section(
    state: &Portcullis,
    actor: &Actor,
    id: UserId,
) -> Result<Value, PageError> {
    let Ok(granted) = actor.authorize::<TokensManage>() else {
        return Ok(Value::Null);
    };
    match state.auth().tokens().list_of(&granted, id).await {
        Ok(tokens) => Ok(json!(tokens.iter().map(TokenView::new).collect::<Vec<_>>())),
        Err(Error::Forbidden(_)) => Ok(Value::Null),
        Err(err) => Err(err.into()),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ServiceForm {
    username: String,
    role: String,
}

async fn new_form(
    State(state): State<Portcullis>,
    Admin { granted, .. }: Admin<UsersManage>,
    page: PageCtx,
) -> Result<Response, PageError> {
    let roles = assignable(&state, &granted).await?;
    Ok(page.render(
        &state,
        StatusCode::OK,
        "admin/service_new.html",
        json!({"form": {}, "errors": {}, "roles": roles}),
    ))
}

async fn create(
    State(state): State<Portcullis>,
    Admin { granted, .. }: Admin<UsersManage>,
    page: PageCtx,
    client: ClientInfo,
    jar: CookieJar,
    HtmlForm(form): HtmlForm<ServiceForm>,
) -> Result<Response, PageError> {
    let roles: Vec<String> = Some(form.role.clone())
        .filter(|r| !r.is_empty())
        .into_iter()
        .collect();
    match state
        .auth()
        .accounts()
        .create_service(&granted, &form.username, &roles, &client.context())
        .await
    {
        Ok(user) => Ok(done(
            &state,
            jar,
            Flash::AccountCreated,
            &format!("/admin/users/{}", user.id),
        )),
        Err(err @ Error::Forbidden(_)) => Err(err.into()),
        Err(err) => {
            let roles = assignable(&state, &granted).await?;
            Ok(FormFailure::from_error(err)?.render(
                page,
                &state,
                "admin/service_new.html",
                json!({"form": {"username": form.username, "role": form.role}, "roles": roles}),
            ))
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct MintForm {
    name: String,
    /// Scopes separated by spaces or commas.
    scopes: String,
    /// Days; empty for the default.
    days: String,
}

async fn mint(
    State(state): State<Portcullis>,
    Admin { granted, .. }: Admin<TokensManage>,
    page: PageCtx,
    client: ClientInfo,
    PagePath(id): PagePath<i64>,
    HtmlForm(form): HtmlForm<MintForm>,
) -> Result<Response, PageError> {
    let expiry = match form.days.trim() {
        "" => Expiry::Default,
        "never" => Expiry::Never,
        days => Expiry::In(time::Duration::days(days.parse().unwrap_or(0))),
    };
    let request = TokenRequest {
        name: form.name,
        scopes: form
            .scopes
            .split([' ', ','])
            .filter(|s| !s.trim().is_empty())
            .map(str::to_owned)
            .collect(),
        expiry,
    };
    let issued = state
        .auth()
        .tokens()
        .create_service(&granted, UserId(id), &request, &client.context())
        .await?;
    Ok(page.render(
        &state,
        StatusCode::CREATED,
        "token_created.html",
        json!({
            "token": TokenView::new(&issued.token),
            "secret": issued.secret.expose(),
            "back": format!("/admin/users/{id}"),
        }),
    ))
}

async fn revoke(
    State(state): State<Portcullis>,
    Admin { granted, .. }: Admin<TokensManage>,
    client: ClientInfo,
    jar: CookieJar,
    PagePath((id, token)): PagePath<(i64, i64)>,
) -> Result<Response, PageError> {
    state
        .auth()
        .tokens()
        .revoke_of(&granted, UserId(id), ApiTokenId(token), &client.context())
        .await?;
    Ok(done(
        &state,
        jar,
        Flash::AccountTokenRevoked,
        &format!("/admin/users/{id}"),
    ))
}

async fn revoke_all(
    State(state): State<Portcullis>,
    Admin { granted, .. }: Admin<TokensManage>,
    client: ClientInfo,
    jar: CookieJar,
    PagePath(id): PagePath<i64>,
) -> Result<Response, PageError> {
    state
        .auth()
        .tokens()
        .revoke_all_of(&granted, UserId(id), &client.context())
        .await?;
    Ok(done(
        &state,
        jar,
        Flash::AccountTokensRevoked,
        &format!("/admin/users/{id}"),
    ))
}
