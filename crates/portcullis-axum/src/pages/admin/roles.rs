//! `/admin/roles`: list, create, edit description and permissions, delete.

use crate::client::ClientInfo;
use crate::error::PageError;
use crate::extract::HtmlForm;
use crate::guard::Permissions;
use crate::pages::PageCtx;
use crate::state::Portcullis;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use portcullis_core::domain::role::ROLES_MANAGE;
use portcullis_core::{Error, RoleSpec};
use serde::Deserialize;
use serde_json::json;

pub(super) fn router() -> Router<Portcullis> {
    Router::new()
        .route("/admin/roles", get(list).post(create))
        .route("/admin/roles/{name}", get(show).post(update))
        .route("/admin/roles/{name}/delete", post(delete))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RoleForm {
    name: String,
    description: String,
    /// One permission per line or separated by spaces/commas.
    permissions: String,
}

fn permissions(text: &str) -> Vec<String> {
    text.split(|c: char| c.is_whitespace() || c == ',')
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .collect()
}

async fn list(
    State(state): State<Portcullis>,
    perms: Permissions,
    page: PageCtx,
) -> Result<Response, PageError> {
    perms.require_page(ROLES_MANAGE)?;
    let roles = state.auth().list_roles().await?;
    Ok(page.render(
        &state,
        StatusCode::OK,
        "admin/roles.html",
        json!({"roles": roles, "form": {}, "error": null}),
    ))
}

async fn create(
    State(state): State<Portcullis>,
    perms: Permissions,
    page: PageCtx,
    client: ClientInfo,
    HtmlForm(form): HtmlForm<RoleForm>,
) -> Result<Response, PageError> {
    perms.require_page(ROLES_MANAGE)?;
    let spec = RoleSpec {
        name: form.name.clone(),
        description: form.description.clone(),
        permissions: permissions(&form.permissions),
    };
    match state
        .auth()
        .create_role(Some(perms.auth.user.id), &spec, &client.context())
        .await
    {
        Ok(role) => {
            Ok(Redirect::to(&format!("/admin/roles/{}", urlencode(&role.name))).into_response())
        }
        Err(Error::Validation(errors)) => {
            let roles = state.auth().list_roles().await?;
            let message: Vec<String> = errors.iter().map(|e| e.message.clone()).collect();
            Ok(page.render(
                &state,
                StatusCode::UNPROCESSABLE_ENTITY,
                "admin/roles.html",
                json!({"roles": roles, "form": {"name": form.name, "description": form.description, "permissions": form.permissions}, "error": message.join(" ")}),
            ))
        }
        Err(err) => Err(err.into()),
    }
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

async fn show(
    State(state): State<Portcullis>,
    perms: Permissions,
    page: PageCtx,
    Path(name): Path<String>,
) -> Result<Response, PageError> {
    perms.require_page(ROLES_MANAGE)?;
    let role = state.auth().role(&name).await?;
    Ok(page.render(
        &state,
        StatusCode::OK,
        "admin/role.html",
        json!({"role": role, "permissions_text": role.permissions.join("\n"), "path": urlencode(&role.name), "error": null}),
    ))
}

async fn update(
    State(state): State<Portcullis>,
    perms: Permissions,
    page: PageCtx,
    client: ClientInfo,
    Path(name): Path<String>,
    HtmlForm(form): HtmlForm<RoleForm>,
) -> Result<Response, PageError> {
    perms.require_page(ROLES_MANAGE)?;
    let spec = RoleSpec {
        name: name.clone(),
        description: form.description.clone(),
        permissions: permissions(&form.permissions),
    };
    match state
        .auth()
        .update_role(Some(perms.auth.user.id), &spec, &client.context())
        .await
    {
        Ok(role) => {
            Ok(Redirect::to(&format!("/admin/roles/{}", urlencode(&role.name))).into_response())
        }
        Err(err @ (Error::Validation(_) | Error::Forbidden(_))) => {
            let role = state.auth().role(&name).await?;
            let message = crate::error::ApiError::from(err).message;
            Ok(page.render(
                &state,
                StatusCode::UNPROCESSABLE_ENTITY,
                "admin/role.html",
                json!({"role": role, "permissions_text": form.permissions, "path": urlencode(&role.name), "error": message}),
            ))
        }
        Err(err) => Err(err.into()),
    }
}

async fn delete(
    State(state): State<Portcullis>,
    perms: Permissions,
    client: ClientInfo,
    Path(name): Path<String>,
) -> Result<Response, PageError> {
    perms.require_page(ROLES_MANAGE)?;
    state
        .auth()
        .delete_role(Some(perms.auth.user.id), &name, &client.context())
        .await?;
    Ok(Redirect::to("/admin/roles").into_response())
}
