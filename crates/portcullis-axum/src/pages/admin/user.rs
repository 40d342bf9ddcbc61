//! One account's page and every action on it: edit, delete, roles,
//! second-factor reset, the one-click actions, and its API tokens.

use super::users::{csrf, view, with_roles};
use super::{done, is_partial};
use crate::client::ClientInfo;
use crate::error::PageError;
use crate::extract::{HtmlForm, PagePath};
use crate::flash::Flash;
use crate::guard::Admin;
use crate::pages::PageCtx;
use crate::session::Authenticated;
use crate::state::Portcullis;
use crate::views::SessionView;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum_extra::extract::CookieJar;
use portcullis_core::access::{UsersManage, UsersRead};
use portcullis_core::domain::role::USERS_MANAGE;
use portcullis_core::{AccountAction, Error, UserEdit, UserId, UserWithRoles};
use serde::Deserialize;
use serde_json::json;

pub(super) fn router() -> Router<Portcullis> {
    Router::new()
        .route("/admin/users/{id}", get(show))
        .route("/admin/users/{id}/edit", post(edit))
        .route("/admin/users/{id}/delete", get(confirm_delete).post(delete))
        .route("/admin/users/{id}/roles", post(grant_role))
        .route("/admin/users/{id}/reset-2fa", post(reset_two_factor))
        .route(
            "/admin/users/{id}/passkeys/{passkey}/remove",
            post(remove_passkey),
        )
        .route("/admin/users/{id}/roles/{role}/revoke", post(revoke_role))
        .route("/admin/users/{id}/{action}", post(action))
}

async fn show(
    State(state): State<Portcullis>,
    Admin { caller, granted }: Admin<UsersRead>,
    page: PageCtx,
    PagePath(id): PagePath<i64>,
) -> Result<Response, PageError> {
    let accounts = state.auth().accounts();
    let detail = accounts.detail(&granted, UserId(id)).await?;
    let sessions: Vec<SessionView> = detail
        .sessions
        .iter()
        .map(|s| SessionView::new(s, caller.session()))
        .collect();
    let actor = granted.actor();
    // Offer only what would succeed: managing this account needs its
    // administrative permissions too.
    let can_manage = actor.may(USERS_MANAGE) && actor.may_act_on(&detail.permission_set());
    let grantable: Vec<String> = state
        .auth()
        .roles()
        .assignable(&granted)
        .await?
        .into_iter()
        .map(|r| r.name)
        .filter(|r| !detail.roles.contains(r))
        .collect();
    let all_permissions = detail.permission_set().is_all();
    let user = UserWithRoles {
        user: detail.user,
        roles: detail.roles,
    };
    let is_self = user.user.id == caller.user.id;
    let two_factor_enabled = detail.two_factor_enabled;
    let passkeys: Vec<crate::views::PasskeyView> = detail
        .passkeys
        .iter()
        .map(crate::views::PasskeyView::new)
        .collect();
    let tokens = super::tokens::section(&state, actor, user.user.id).await?;
    Ok(page.render(
        &state,
        StatusCode::OK,
        "admin/user.html",
        json!({
            "u": view(&state, &user),
            "sessions": sessions,
            "permissions": if all_permissions { vec!["every permission (admin)".to_owned()] } else { detail.permissions },
            "grantable": grantable,
            "can_manage": can_manage,
            "is_self": is_self,
            "two_factor_enabled": two_factor_enabled,
            "passkeys": passkeys,
            "tokens": tokens,
            "errors": {},
        }),
    ))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct EditForm {
    username: String,
    email: String,
    name: String,
}

async fn edit(
    State(state): State<Portcullis>,
    Admin { granted, .. }: Admin<UsersManage>,
    client: ClientInfo,
    jar: CookieJar,
    PagePath(id): PagePath<i64>,
    HtmlForm(form): HtmlForm<EditForm>,
) -> Result<Response, PageError> {
    let edit = UserEdit {
        username: form.username,
        email: Some(form.email),
        name: Some(form.name),
    };
    match state
        .auth()
        .accounts()
        .update(&granted, UserId(id), &edit, &client.context())
        .await
    {
        Ok(_) => Ok(done(
            &state,
            jar,
            Flash::AccountSaved,
            &format!("/admin/users/{id}"),
        )),
        Err(Error::Validation(errors)) => Err(PageError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            errors
                .iter()
                .map(|e| e.message.clone())
                .collect::<Vec<_>>()
                .join(" "),
        )),
        Err(err) => Err(err.into()),
    }
}

async fn confirm_delete(
    State(state): State<Portcullis>,
    Admin { granted, .. }: Admin<UsersManage>,
    page: PageCtx,
    PagePath(id): PagePath<i64>,
) -> Result<Response, PageError> {
    let user = with_roles(&state, &granted, id).await?;
    Ok(page.render(
        &state,
        StatusCode::OK,
        "admin/user_delete.html",
        json!({"u": view(&state, &user)}),
    ))
}

async fn delete(
    State(state): State<Portcullis>,
    Admin { granted, .. }: Admin<UsersManage>,
    client: ClientInfo,
    jar: CookieJar,
    PagePath(id): PagePath<i64>,
) -> Result<Response, PageError> {
    state
        .auth()
        .accounts()
        .delete(&granted, UserId(id), &client.context())
        .await?;
    Ok(done(&state, jar, Flash::AccountDeleted, "/admin/users"))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RoleForm {
    role: String,
}

async fn grant_role(
    State(state): State<Portcullis>,
    Admin { granted, .. }: Admin<UsersManage>,
    client: ClientInfo,
    jar: CookieJar,
    PagePath(id): PagePath<i64>,
    HtmlForm(form): HtmlForm<RoleForm>,
) -> Result<Response, PageError> {
    state
        .auth()
        .accounts()
        .grant_role(&granted, UserId(id), &form.role, &client.context())
        .await?;
    Ok(done(
        &state,
        jar,
        Flash::RoleGranted,
        &format!("/admin/users/{id}"),
    ))
}

async fn revoke_role(
    State(state): State<Portcullis>,
    Admin { granted, .. }: Admin<UsersManage>,
    client: ClientInfo,
    jar: CookieJar,
    PagePath((id, role)): PagePath<(i64, String)>,
) -> Result<Response, PageError> {
    state
        .auth()
        .accounts()
        .revoke_role(&granted, UserId(id), &role, &client.context())
        .await?;
    Ok(done(
        &state,
        jar,
        Flash::RoleRemoved,
        &format!("/admin/users/{id}"),
    ))
}

/// Removes the account's second factors and ends its sessions.
async fn reset_two_factor(
    State(state): State<Portcullis>,
    Admin { granted, .. }: Admin<UsersManage>,
    client: ClientInfo,
    jar: CookieJar,
    PagePath(id): PagePath<i64>,
) -> Result<Response, PageError> {
    state
        .auth()
        .accounts()
        .reset_two_factor(&granted, UserId(id), &client.context())
        .await?;
    Ok(done(
        &state,
        jar,
        Flash::AccountTwoFactorReset,
        &format!("/admin/users/{id}"),
    ))
}

/// Removes one passkey of the account (its owner lost the device).
async fn remove_passkey(
    State(state): State<Portcullis>,
    Admin { granted, .. }: Admin<UsersManage>,
    client: ClientInfo,
    jar: CookieJar,
    PagePath((id, passkey)): PagePath<(i64, i64)>,
) -> Result<Response, PageError> {
    state
        .auth()
        .accounts()
        .remove_passkey(
            &granted,
            UserId(id),
            portcullis_core::domain::passkey::PasskeyId(passkey),
            &client.context(),
        )
        .await?;
    Ok(done(
        &state,
        jar,
        Flash::AccountPasskeyRemoved,
        &format!("/admin/users/{id}"),
    ))
}

/// `activate`, `deactivate`, `unlock`, `revoke-sessions`. From the table
/// with `HX-Request`, the answer is the updated row, carrying the notice
/// that the flash would otherwise show.
async fn action(
    State(state): State<Portcullis>,
    Admin { granted, .. }: Admin<UsersManage>,
    auth: Authenticated,
    client: ClientInfo,
    headers: HeaderMap,
    jar: CookieJar,
    PagePath((id, action)): PagePath<(i64, String)>,
) -> Result<Response, PageError> {
    let action = AccountAction::parse(&action)
        .ok_or_else(|| PageError::new(StatusCode::NOT_FOUND, "No such action."))?;
    state
        .auth()
        .accounts()
        .apply(&granted, action, UserId(id), &client.context())
        .await?;
    let flash = match action {
        AccountAction::Activate => Flash::AccountActivated,
        AccountAction::Deactivate => Flash::AccountDeactivated,
        AccountAction::Unlock => Flash::AccountUnlocked,
        AccountAction::RevokeSessions => Flash::AccountSessionsEnded,
    };
    if is_partial(&headers) {
        let user = with_roles(&state, &granted, id).await?;
        let notice = format!("{}: {}", user.user.username, flash.view().message);
        let html = state
            .inner
            .templates
            .render(
                "admin/user_row.html",
                &json!({
                    "u": view(&state, &user), "can_manage": true,
                    "csrf_token": csrf(&auth, &state),
                    "current_user": {"id": auth.user.id}, "notice": notice,
                }),
            )
            .map_err(PageError::internal)?;
        return Ok(Html(html).into_response());
    }
    Ok(done(&state, jar, flash, &format!("/admin/users/{id}")))
}
