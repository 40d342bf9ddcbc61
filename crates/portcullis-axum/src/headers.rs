//! Response headers every answer carries, error-page rendering, request
//! ids, and the one log line per request.
//!
//! The log line names the route template (`/auth/reset-password/{token}`),
//! never the path the client sent: paths of emailed links carry live tokens.

use crate::error::{ApiError, PageError, wants_json};
use crate::state::Portcullis;
use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tower_http::LatencyUnit;
use tower_http::classify::{ServerErrorsAsFailures, SharedClassifier};
use tower_http::trace::{DefaultOnResponse, MakeSpan, TraceLayer};
use tracing::{Level, Span};

/// Scripts, styles, images and forms from this origin only; no plugins, no
/// `<base>` rewriting, no framing by other sites.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self'; form-action 'self'; object-src 'none'; base-uri 'none'; \
                   frame-ancestors 'none'";

/// Two years, the preload-list minimum.
const HSTS: &str = "max-age=63072000; includeSubDomains";

/// Renders page errors and sets the security headers.
pub(crate) async fn security(
    State(state): State<Portcullis>,
    request: Request,
    next: Next,
) -> Response {
    let json = wants_json(request.uri(), request.headers());
    let mut response = next.run(request).await;
    if let Some(error) = response.extensions_mut().remove::<PageError>() {
        let viewer = response
            .extensions_mut()
            .remove::<crate::session::ErrorViewer>();
        let headers = std::mem::take(response.headers_mut());
        response = if json {
            let mut api = ApiError::new(error.status, code_for(error.status), error.message);
            api.retry_after = error.retry_after;
            api.into_response()
        } else {
            crate::pages::render_error(&state, &error, viewer.as_ref())
        };
        for (name, value) in headers.iter() {
            if name == header::SET_COOKIE
                || name == header::RETRY_AFTER
                || name == header::ALLOW
                || name == header::CONNECTION
            {
                response.headers_mut().append(name.clone(), value.clone());
            }
        }
    }

    // A body refused for its size is left unread on the connection; make
    // the client open a new one rather than reuse this one mid-body.
    if response.status() == StatusCode::PAYLOAD_TOO_LARGE {
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    let headers = response.headers_mut();
    let set = |headers: &mut axum::http::HeaderMap, name: HeaderName, value: &'static str| {
        headers
            .entry(name)
            .or_insert(HeaderValue::from_static(value));
    };
    set(headers, header::CONTENT_SECURITY_POLICY, CSP);
    set(headers, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(headers, header::X_FRAME_OPTIONS, "DENY");
    set(
        headers,
        header::REFERRER_POLICY,
        "strict-origin-when-cross-origin",
    );
    set(
        headers,
        HeaderName::from_static("cross-origin-opener-policy"),
        "same-origin",
    );
    set(
        headers,
        HeaderName::from_static("permissions-policy"),
        "camera=(), microphone=(), geolocation=()",
    );
    // Nothing Portcullis answers is meant for shared caches; static assets
    // set their own policy before reaching here.
    set(headers, header::CACHE_CONTROL, "no-store");
    if state.inner.config.is_https() {
        set(headers, header::STRICT_TRANSPORT_SECURITY, HSTS);
    }
    response
}

fn code_for(status: StatusCode) -> &'static str {
    match status {
        StatusCode::BAD_REQUEST => "bad_request",
        StatusCode::UNAUTHORIZED => "unauthenticated",
        StatusCode::FORBIDDEN => "forbidden",
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::REQUEST_TIMEOUT => "request_timeout",
        StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        StatusCode::UNPROCESSABLE_ENTITY => "validation_failed",
        StatusCode::TOO_MANY_REQUESTS => "rate_limited",
        StatusCode::SERVICE_UNAVAILABLE => "unavailable",
        s if s.is_server_error() => "internal_error",
        _ => "error",
    }
}

/// The request-id header, read from clients and echoed in every answer.
const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// What the log line says for a request no route matched (its path may be
/// anything a client typed, tokens included).
pub(crate) const UNMATCHED: &str = "<unmatched>";

/// Keeps a client's `X-Request-Id` only if it is a single value of 1-64
/// characters from `[A-Za-z0-9._-]`; otherwise removes it, so that a fresh
/// id is minted and that id is what the log and the answer carry. The id
/// is written into every log line of the request: a client must not be able
/// to put markup, control characters or kilobytes there.
pub(crate) fn accept_request_id(mut request: Request) -> Request {
    let headers = request.headers_mut();
    let mut values = headers.get_all(&REQUEST_ID).iter();
    let acceptable = match (values.next(), values.next()) {
        (None, _) => return request,
        (Some(value), None) => is_acceptable_request_id(value.as_bytes()),
        (Some(_), Some(_)) => false,
    };
    if !acceptable {
        headers.remove(&REQUEST_ID);
    }
    request
}

fn is_acceptable_request_id(id: &[u8]) -> bool {
    (1..=64).contains(&id.len())
        && id
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// Names each request's span with its method, route template (never the
/// path or query, which may carry tokens) and request id. The trace layer
/// wraps each route, so routing has already recorded the template.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RequestSpan;

impl MakeSpan<Body> for RequestSpan {
    fn make_span(&mut self, request: &Request) -> Span {
        let id = request
            .headers()
            .get(&REQUEST_ID)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("-");
        let route = request
            .extensions()
            .get::<MatchedPath>()
            .map_or(UNMATCHED, MatchedPath::as_str);
        tracing::info_span!("request", method = %request.method(), route = %route, request_id = %id)
    }
}

/// One INFO line per request when the response is sent: status and latency,
/// inside the span that carries method, route and request id.
pub(crate) fn trace_layer()
-> TraceLayer<SharedClassifier<ServerErrorsAsFailures>, RequestSpan, (), DefaultOnResponse> {
    TraceLayer::new_for_http()
        .make_span_with(RequestSpan)
        .on_request(())
        .on_response(
            DefaultOnResponse::new()
                .level(Level::INFO)
                .latency_unit(LatencyUnit::Micros),
        )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn with_ids(ids: &[&[u8]]) -> Request {
        let mut request = Request::new(Body::empty());
        for id in ids {
            request
                .headers_mut()
                .append(&REQUEST_ID, HeaderValue::from_bytes(id).unwrap());
        }
        accept_request_id(request)
    }

    #[test]
    fn a_plain_request_id_is_kept() {
        for id in ["a", "req-42_x.Y", &"7".repeat(64)] {
            let request = with_ids(&[id.as_bytes()]);
            assert_eq!(request.headers()[&REQUEST_ID], id);
        }
    }

    #[test]
    fn a_long_odd_or_repeated_request_id_is_dropped() {
        for ids in [
            &[&b"<script>"[..]][..],
            &[&b"a b"[..]],
            &[&b"tab\there"[..]],
            &["8".repeat(65).as_bytes()],
            &[&b"caf\xc3\xa9"[..]],
            &[&b""[..]],
            &[&b"one"[..], &b"two"[..]],
        ] {
            let request = with_ids(ids);
            assert!(!request.headers().contains_key(&REQUEST_ID), "{ids:?}");
        }
    }
}
