//! The web layer of Portcullis, embeddable in any axum application.
//!
//! It owns HTTP concerns only: the session cookie, CSRF, security headers,
//! extractors that guard routes, the HTML pages and the JSON API, and the
//! mapping of core errors to responses. Every decision is taken by the
//! services of `portcullis-core`.
//!
//! ```no_run
//! # async fn demo(auth: portcullis_core::AuthService) -> Result<(), Box<dyn std::error::Error>> {
//! use axum::{Router, routing::get};
//! use portcullis_axum::{CurrentUser, Portcullis, WebConfig};
//!
//! async fn hello(CurrentUser(user): CurrentUser) -> String {
//!     format!("Hello, {}!", user.username)
//! }
//!
//! let config = WebConfig::new("https://auth.example.com".parse()?, b"a secret of at least 32 bytes!!!".to_vec());
//! let portcullis = Portcullis::new(auth, config)?;
//! let app: Router = portcullis.wrap(
//!     Router::new()
//!         .route("/hello", get(hello))
//!         .merge(portcullis.routes()),
//! );
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
//! axum::serve(listener, app.into_make_service_with_connect_info::<std::net::SocketAddr>()).await?;
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod admin_query;
mod api;
mod assets;
mod caller;
mod client;
mod config;
mod cookies;
mod csrf;
mod error;
mod extract;
mod flash;
mod forward;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
pub mod guard;
mod headers;
mod health;
mod next;
mod openapi;
mod pages;
mod passkey_cookie;
mod qr;
mod request_metrics;
mod sent_to;
mod session;
mod state;
mod templates;
mod timeout;
mod views;

pub use caller::{Bearer, Caller, Credential};
pub use client::ClientInfo;
pub use config::WebConfig;
pub use csrf::CsrfToken;
pub use error::{ApiError, PageError};
pub use extract::{
    ApiJson, ApiPath, ApiQuery, CurrentUser, HtmlForm, LoginRequired, MaybeUser, PagePath,
};
pub use forward::ForwardAuth;
pub use guard::{
    Admin, Permissions, RequireConfirmed, RequirePermission, RequireRecentLogin, RequireRole,
    RequireTwoFactor,
};
pub use next::safe_next;
pub use session::{Authenticated, PendingLogin};
pub use state::{Portcullis, SetupError};
pub use templates::{TemplateError, template_environment};
