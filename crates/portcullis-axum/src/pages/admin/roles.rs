//! `/admin/roles`: list, create, edit description and permissions, delete.

use super::done;
use crate::client::ClientInfo;
use crate::error::PageError;
use crate::extract::{HtmlForm, PagePath};
use crate::flash::Flash;
use crate::guard::Admin;
use crate::pages::PageCtx;
use crate::state::Portcullis;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum_extra::extract::CookieJar;
use portcullis_core::access::RolesManage;
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
    /// One permission per line.
    permissions: String,
    /// One role name per line.
    grantable_by: String,
}

/// One entry per non-empty line (a line is one permission or role name, so
/// `not a perm` stays one bad entry to name, not three).
fn lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .collect()
}

impl RoleForm {
    fn spec(&self, name: &str) -> RoleSpec {
        RoleSpec {
            name: name.to_owned(),
            description: self.description.clone(),
            permissions: lines(&self.permissions),
            grantable_by: lines(&self.grantable_by),
        }
    }
}

async fn list(
    State(state): State<Portcullis>,
    Admin { granted, .. }: Admin<RolesManage>,
    page: PageCtx,
) -> Result<Response, PageError> {
    let roles = state.auth().roles().list(&granted).await?;
    Ok(page.render(
        &state,
        StatusCode::OK,
        "admin/roles.html",
        json!({"roles": roles, "form": {}, "error": null}),
    ))
}

async fn create(
    State(state): State<Portcullis>,
    Admin { granted, .. }: Admin<RolesManage>,
    page: PageCtx,
    client: ClientInfo,
    jar: CookieJar,
    HtmlForm(form): HtmlForm<RoleForm>,
) -> Result<Response, PageError> {
    let spec = form.spec(&form.name);
    match state
        .auth()
        .roles()
        .create(&granted, &spec, &client.context())
        .await
    {
        Ok(role) => Ok(done(
            &state,
            jar,
            Flash::RoleCreated,
            &format!("/admin/roles/{}", urlencode(&role.name)),
        )),
        Err(err @ (Error::Validation(_) | Error::Forbidden(_))) => {
            let roles = state.auth().roles().list(&granted).await?;
            Ok(page.render(
                &state,
                StatusCode::UNPROCESSABLE_ENTITY,
                "admin/roles.html",
                json!({"roles": roles, "form": {"name": form.name, "description": form.description, "permissions": form.permissions, "grantable_by": form.grantable_by}, "error": message(err)}),
            ))
        }
        Err(err) => Err(err.into()),
    }
}

/// Every problem in words: a bad field names its value.
fn message(err: Error) -> String {
    match err {
        Error::Validation(errors) => errors
            .iter()
            .map(|e| e.message.clone())
            .collect::<Vec<_>>()
            .join(" "),
        other => crate::error::ApiError::from(other).message,
    }
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

async fn show(
    State(state): State<Portcullis>,
    Admin { granted, .. }: Admin<RolesManage>,
    page: PageCtx,
    PagePath(name): PagePath<String>,
) -> Result<Response, PageError> {
    let role = state.auth().roles().get(&granted, &name).await?;
    Ok(page.render(
        &state,
        StatusCode::OK,
        "admin/role.html",
        json!({"role": role, "permissions_text": role.permissions.join("\n"),
               "grantable_by_text": role.grantable_by.join("\n"),
               "path": urlencode(&role.name), "error": null}),
    ))
}

async fn update(
    State(state): State<Portcullis>,
    Admin { granted, .. }: Admin<RolesManage>,
    page: PageCtx,
    client: ClientInfo,
    jar: CookieJar,
    PagePath(name): PagePath<String>,
    HtmlForm(form): HtmlForm<RoleForm>,
) -> Result<Response, PageError> {
    let spec = form.spec(&name);
    match state
        .auth()
        .roles()
        .update(&granted, &spec, &client.context())
        .await
    {
        Ok(role) => Ok(done(
            &state,
            jar,
            Flash::RoleSaved,
            &format!("/admin/roles/{}", urlencode(&role.name)),
        )),
        Err(err @ (Error::Validation(_) | Error::Forbidden(_))) => {
            let role = state.auth().roles().get(&granted, &name).await?;
            Ok(page.render(
                &state,
                StatusCode::UNPROCESSABLE_ENTITY,
                "admin/role.html",
                json!({"role": role, "permissions_text": form.permissions,
                       "grantable_by_text": form.grantable_by,
                       "path": urlencode(&role.name), "error": message(err)}),
            ))
        }
        Err(err) => Err(err.into()),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct DeleteForm {
    /// `yes` once the administrator has agreed to take the role from its
    /// members (admin.js sets it after its dialog; without the script the
    /// confirmation page does).
    confirmed: String,
}

/// Deletes the role; one that still has members first asks, on a page of
/// its own, whether to take it from them.
async fn delete(
    State(state): State<Portcullis>,
    Admin { granted, .. }: Admin<RolesManage>,
    page: PageCtx,
    client: ClientInfo,
    jar: CookieJar,
    PagePath(name): PagePath<String>,
    HtmlForm(form): HtmlForm<DeleteForm>,
) -> Result<Response, PageError> {
    let role = state.auth().roles().get(&granted, &name).await?;
    if role.members > 0 && form.confirmed != "yes" {
        return Ok(page.render(
            &state,
            StatusCode::OK,
            "admin/role_delete.html",
            json!({"role": role, "path": urlencode(&role.name)}),
        ));
    }
    state
        .auth()
        .roles()
        .delete(&granted, &name, &client.context())
        .await?;
    Ok(done(&state, jar, Flash::RoleDeleted, "/admin/roles"))
}
