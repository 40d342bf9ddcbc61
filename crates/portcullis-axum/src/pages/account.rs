//! The home page and the pages only a logged-in user may see.

use super::PageCtx;
use crate::error::PageError;
use crate::session::Authenticated;
use crate::state::Portcullis;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use serde_json::json;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

pub(super) fn router() -> Router<Portcullis> {
    Router::new()
        .route("/", get(index))
        .route("/profile", get(profile))
        .route("/dashboard", get(dashboard))
}

/// Home: what to do next. In development mode, until an administrator
/// exists, it says how to make one.
async fn index(State(state): State<Portcullis>, page: PageCtx) -> Result<Response, PageError> {
    let needs_admin =
        state.config().dev_mode && !state.auth().accounts().administrator_exists().await?;
    let two_factor = page.auth.as_ref().map(|a| a.two_factor);
    Ok(page.render(
        &state,
        StatusCode::OK,
        "index.html",
        json!({"needs_admin": needs_admin, "two_factor": two_factor}),
    ))
}

async fn profile(
    State(state): State<Portcullis>,
    auth: Authenticated,
    page: PageCtx,
) -> Result<Response, PageError> {
    // Roles and the second factor came with the session; only an account
    // with a second factor costs more queries (what its factors are).
    let roles = &auth.roles;
    let user = &auth.user;
    let (totp, recovery_codes_left, passkeys) = if auth.two_factor {
        let status = state.auth().two_factor().status(user.id).await?;
        let passkeys = state.auth().passkeys().list(user.id).await?.len();
        (status.enabled, status.recovery_codes_left, passkeys)
    } else {
        (false, 0, 0)
    };
    let pending_email = state.auth().email().pending_email_change(user).await?;
    Ok(page.render(
        &state,
        StatusCode::OK,
        "profile.html",
        json!({
            "user": {
                "username": user.username,
                "email": user.email,
                "confirmed": user.confirmed_at.is_some(),
                "created_at": when(Some(user.created_at)),
                "last_login_at": when(user.last_login_at),
                "last_login_ip": user.last_login_ip,
                "current_login_at": when(user.current_login_at),
                "current_login_ip": user.current_login_ip,
                "login_count": user.login_count,
            },
            "roles": roles.iter().map(|r| &r.name).collect::<Vec<_>>(),
            // Decided by permission: a delegated administrator gets the link too.
            "can_administer": auth.permissions.administers_anything(),
            "pending_email": pending_email.map(|p| json!({
                "address": p.new_email,
                "sent_at": when(Some(p.sent_at)),
            })),
            "two_factor": {"enabled": auth.two_factor, "totp": totp,
                           "recovery_codes_left": recovery_codes_left, "passkeys": passkeys},
        }),
    ))
}

async fn dashboard(
    State(state): State<Portcullis>,
    auth: Authenticated,
    page: PageCtx,
) -> Response {
    let session = &auth.session;
    page.render(
        &state,
        StatusCode::OK,
        "dashboard.html",
        json!({
            "session": {
                "created_at": when(Some(session.created_at)),
                "expires_at": when(Some(session.expires_at)),
                "remember": session.remember,
                "ip": session.ip,
            },
            "login_count": auth.user.login_count,
        }),
    )
}

/// A timestamp as shown on pages (UTC, RFC 3339), or `None`.
fn when(at: Option<OffsetDateTime>) -> Option<String> {
    at.and_then(|t| t.replace_nanosecond(0).ok()?.format(&Rfc3339).ok())
}
