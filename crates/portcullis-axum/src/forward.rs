//! `/auth/verify`: forward authentication for a reverse proxy (nginx
//! `auth_request`, Traefik `forwardAuth`, Caddy `forward_auth`, HAProxy).
//! The proxy asks whether the request it holds may pass; the answer is 200
//! with `Remote-User`, `Remote-Email`, `Remote-Name` and `Remote-Groups`
//! (the names Authelia uses, so existing proxy snippets work), 401 when no
//! one is signed in (or, for proxies that pass the answer on, a redirect to
//! the login page), or 403.
//!
//! Only the proxies in `trusted_proxies` are answered, judged by the
//! socket's peer: anyone else could describe any request they like. Which
//! headers describe the original request depends on the configured proxy
//! (see [`portcullis_core::policy::forward`]); the request is parsed
//! strictly and whatever does not parse is refused.

use crate::caller::Caller;
use crate::state::Portcullis;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use portcullis_core::policy::forward::{
    OriginalRequest, ProxyKind, Rules, Subject, Verdict, original_request,
};
use std::net::SocketAddr;

/// Forward authentication as configured.
#[derive(Debug, Clone)]
pub struct ForwardAuth {
    /// The proxy in front, which decides the headers read.
    pub proxy: ProxyKind,
    /// Who may reach what.
    pub rules: Rules,
}

/// The answer to one `/auth/verify` request.
pub(crate) async fn verify(
    State(state): State<Portcullis>,
    caller: Option<Caller>,
    request: axum::extract::Request,
) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .copied();
    let headers = request.headers();
    let Some(forward) = &state.config().forward_auth else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let trusted = peer.is_some_and(|ConnectInfo(addr)| {
        let ip = match addr.ip() {
            std::net::IpAddr::V6(v6) => v6
                .to_ipv4_mapped()
                .map_or(std::net::IpAddr::V6(v6), std::net::IpAddr::V4),
            v4 => v4,
        };
        state
            .config()
            .trusted_proxies
            .iter()
            .any(|n| n.contains(&ip))
    });
    if !trusted {
        return (StatusCode::FORBIDDEN, "not a trusted proxy").into_response();
    }
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let original = match original_request(forward.proxy, header) {
        Ok(original) => original,
        Err(refusal) => {
            tracing::info!(%refusal, "forward auth: the proxied request does not parse");
            return (StatusCode::FORBIDDEN, "the proxied request is refused").into_response();
        }
    };
    let roles: Vec<String> = caller
        .as_ref()
        .map(|c| c.roles.iter().map(|r| r.name.clone()).collect())
        .unwrap_or_default();
    let subject = caller.as_ref().map(|c| Subject {
        roles: &roles,
        permissions: &c.permissions,
        confirmed: c.user.confirmed_at.is_some(),
        two_factor: c
            .session()
            .is_some_and(|s| s.assurance >= portcullis_core::domain::session::Assurance::TwoFactor),
    });
    match forward.rules.decide(&original, subject.as_ref()) {
        Verdict::Allow { identify } => {
            let mut response = StatusCode::OK.into_response();
            let out = response.headers_mut();
            let mut put = |name: &'static str, value: &str| {
                let value = HeaderValue::from_str(value).unwrap_or(HeaderValue::from_static(""));
                out.insert(name, value);
            };
            // All four always, empty when no one is named (a bypass): a
            // proxy that copies them (Caddy 2.6's copy_headers) would
            // otherwise pass its own placeholder text on as the value.
            let named = caller.as_ref().filter(|_| identify);
            put(
                "remote-user",
                named.map_or("", |c| c.user.username.as_str()),
            );
            put(
                "remote-email",
                named.and_then(|c| c.user.email.as_deref()).unwrap_or(""),
            );
            put(
                "remote-name",
                named.and_then(|c| c.user.name.as_deref()).unwrap_or(""),
            );
            let groups = if named.is_some() {
                roles.join(",")
            } else {
                String::new()
            };
            put("remote-groups", &groups);
            response
        }
        Verdict::Unauthenticated => unauthenticated(&state, forward.proxy, &original, headers),
        Verdict::Forbidden => (StatusCode::FORBIDDEN, "forbidden").into_response(),
    }
}

/// 401 when the original request is not for a page. For a page, proxies
/// that hand the answer to the browser get a redirect to the login page;
/// nginx, which can only turn a 401 into a redirect itself, gets the 401
/// with the login URL in `Location` (its snippet's `error_page` reads it).
/// The login URL is built from `public_url`, never from request headers.
fn unauthenticated(
    state: &Portcullis,
    proxy: ProxyKind,
    original: &OriginalRequest,
    headers: &HeaderMap,
) -> Response {
    let wants_html = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"));
    if !wants_html {
        return (StatusCode::UNAUTHORIZED, "sign in first").into_response();
    }
    let status = if proxy == ProxyKind::Nginx {
        StatusCode::UNAUTHORIZED
    } else {
        StatusCode::FOUND
    };
    let mut login = state.config().public_url.clone();
    login.set_path(&format!(
        "{}auth/login",
        state
            .config()
            .public_url
            .path()
            .trim_end_matches('/')
            .to_owned()
            + "/"
    ));
    login
        .query_pairs_mut()
        .clear()
        .append_pair("next", &original.url());
    (status, [(header::LOCATION, login.to_string())]).into_response()
}
