//! The stylesheet, the small scripts and the icon, embedded in the binary
//! and served with a cache lifetime.

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;

const CSS: &str = include_str!("../static/app.css");
const ADMIN_JS: &str = include_str!("../static/admin.js");
const PASSWORD_JS: &str = include_str!("../static/password.js");
const PASSKEYS_JS: &str = include_str!("../static/passkeys.js");
const TIME_JS: &str = include_str!("../static/time.js");
const FAVICON: &str = include_str!("../static/favicon.svg");

pub(crate) fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route(
            "/static/app.css",
            get(|| async { asset(CSS, "text/css; charset=utf-8") }),
        )
        .route(
            "/static/admin.js",
            get(|| async { asset(ADMIN_JS, "text/javascript; charset=utf-8") }),
        )
        .route(
            "/static/password.js",
            get(|| async { asset(PASSWORD_JS, "text/javascript; charset=utf-8") }),
        )
        .route(
            "/static/passkeys.js",
            get(|| async { asset(PASSKEYS_JS, "text/javascript; charset=utf-8") }),
        )
        .route(
            "/static/time.js",
            get(|| async { asset(TIME_JS, "text/javascript; charset=utf-8") }),
        )
        .route(
            "/favicon.svg",
            get(|| async { asset(FAVICON, "image/svg+xml") }),
        )
        // Browsers ask for /favicon.ico on their own, whatever the page
        // links; the one icon there is answers there too.
        .route(
            "/favicon.ico",
            get(|| async { Redirect::permanent("/favicon.svg") }),
        )
}

fn asset(body: &'static str, content_type: &'static str) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    response
}
