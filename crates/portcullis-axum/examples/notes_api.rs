//! An axum application that protects its own routes with Portcullis, for
//! browsers (session cookie) and scripts (API token) with the same
//! extractors.
//!
//! ```text
//! cargo run -p portcullis-axum --example notes_api
//! ```
//!
//! It listens on 127.0.0.1:3000 with an in-memory SQLite database and one
//! account, `writer` (password printed at start), holding a role with
//! `notes:read` and `notes:write`. Then:
//!
//! ```text
//! TOKEN=$(curl -s localhost:3000/api/token -H 'content-type: application/json' \
//!   -d '{"username": "writer", "password": "<printed>"}' | jq -r .token)
//! curl -s localhost:3000/notes -H "Authorization: Bearer $TOKEN"
//! curl -s localhost:3000/notes -H "Authorization: Bearer $TOKEN" -d 'buy milk'
//! ```
//!
//! A personal token with only `notes:read` (made at /account/tokens after
//! logging in with a browser) may read but gets 403 `insufficient_scope`
//! when it writes; a browser session may do both, with its CSRF token.

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use portcullis_axum::guard::RequirePermission;
use portcullis_axum::{CurrentUser, Portcullis, WebConfig};
use portcullis_core::access::{Actor, RolesManage, UsersManage};
use portcullis_core::{AuthService, RequestContext, RoleSpec};
use portcullis_store::{Database, StoreConfig};
use std::sync::{Arc, Mutex};

portcullis_axum::permission!(ReadNotes = "notes:read");
portcullis_axum::permission!(WriteNotes = "notes:write");

/// The application's own state: its notes.
type Notes = Arc<Mutex<Vec<String>>>;

async fn list(State(notes): State<Notes>, _: RequirePermission<ReadNotes>) -> String {
    notes.lock().map(|n| n.join("\n")).unwrap_or_default()
}

async fn add(
    State(notes): State<Notes>,
    RequirePermission(user, ..): RequirePermission<WriteNotes>,
    body: String,
) -> String {
    if let Ok(mut notes) = notes.lock() {
        notes.push(format!("{}: {}", user.username, body.trim()));
    }
    "noted\n".to_owned()
}

async fn whoami(CurrentUser(user): CurrentUser) -> String {
    format!("{}\n", user.username)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let db = Database::connect(&StoreConfig::new("sqlite::memory:")).await?;
    db.migrate().await?;
    let secret: Vec<u8> = (0..32).map(|_| rand::random::<u8>()).collect();
    let auth = AuthService::builder(db.store())
        .secret(&secret, &[])
        .build()?;
    let password = seed(&auth).await?;

    let portcullis = Portcullis::new(
        auth,
        WebConfig::new("http://127.0.0.1:3000/".parse()?, secret),
    )?;
    let notes: Notes = Arc::default();
    let app = Router::new()
        .route("/notes", get(list).post(add))
        .route("/whoami", get(whoami))
        .with_state(notes)
        .merge(portcullis.routes());
    let app = portcullis.wrap(app);

    let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
    println!("Listening on http://127.0.0.1:3000 — log in as writer / {password}");
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .await?;
    Ok(())
}

/// The role and the account the example starts with; returns the password.
async fn seed(auth: &AuthService) -> Result<String, Box<dyn std::error::Error>> {
    // Setting up is the operator's business: the system actor.
    let system = Actor::system();
    let ctx = RequestContext::cli();
    let roles: portcullis_core::Authorized<RolesManage> = system.authorize()?;
    auth.roles()
        .create(
            &roles,
            &RoleSpec {
                name: "writer".into(),
                permissions: vec!["notes:read".into(), "notes:write".into()],
                ..RoleSpec::default()
            },
            &ctx,
        )
        .await?;
    let password = format!("notes-{:016x}", rand::random::<u64>());
    let registration = auth
        .registration()
        .parse("writer", "writer@example.com", &password, &password)
        .map_err(portcullis_core::Error::from)?;
    let users: portcullis_core::Authorized<UsersManage> = system.authorize()?;
    auth.accounts()
        .create(&users, registration, &["writer".into()], true, &ctx)
        .await?;
    Ok(password)
}
