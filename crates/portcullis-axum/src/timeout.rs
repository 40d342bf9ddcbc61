//! The request deadline: how long one request may take from the moment its
//! headers have been read until its answer is ready, reading the body and
//! running the handler included.
//!
//! When the deadline passes the work is dropped (as it is when a client
//! hangs up) and the answer says whose side was slow: `408 Request Timeout`
//! with `Connection: close` while the handler was waiting for more of the
//! body (the rest of it may still be on the wire, so the connection cannot
//! carry another request), `503 Service Unavailable` while the handler was
//! busy on its own. The layer sits inside the request log and the security
//! headers, so these answers are logged and rendered like any other.

use crate::error::PageError;
use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use http_body::{Frame, SizeHint};
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;
use tower::{Layer, Service};

/// Applies [`RequestTimeout`]; `None` applies nothing.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RequestTimeoutLayer {
    limit: Option<Duration>,
}

impl RequestTimeoutLayer {
    pub(crate) fn new(limit: Option<Duration>) -> Self {
        Self { limit }
    }
}

impl<S> Layer<S> for RequestTimeoutLayer {
    type Service = RequestTimeout<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RequestTimeout {
            inner,
            limit: self.limit,
        }
    }
}

/// The service [`RequestTimeoutLayer`] wraps around each route.
#[derive(Debug, Clone)]
pub(crate) struct RequestTimeout<S> {
    inner: S,
    limit: Option<Duration>,
}

type BoxFuture = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

impl<S> Service<Request> for RequestTimeout<S>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = BoxFuture;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        // Call the instance that was polled ready; keep a fresh clone.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let Some(limit) = self.limit else {
            return Box::pin(inner.call(request));
        };
        let waiting = Arc::new(AtomicBool::new(false));
        let request = request.map(|body| {
            Body::new(WatchedBody {
                inner: body,
                waiting: waiting.clone(),
            })
        });
        let work = inner.call(request);
        Box::pin(async move {
            match tokio::time::timeout(limit, work).await {
                Ok(answer) => answer,
                Err(_) if waiting.load(Ordering::Acquire) => Ok(body_too_slow()),
                Err(_) => Ok(handler_too_slow()),
            }
        })
    }
}

fn body_too_slow() -> Response {
    let mut response = PageError::new(
        StatusCode::REQUEST_TIMEOUT,
        "The request took too long to arrive. Please try again.",
    )
    .into_response();
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

fn handler_too_slow() -> Response {
    tracing::warn!("request abandoned: the handler exceeded the request timeout");
    PageError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "The server took too long to answer. Please try again.",
    )
    .into_response()
}

/// A request body that records whether its reader is waiting on the client:
/// set while a read is pending, cleared once a frame or the end arrives.
struct WatchedBody {
    inner: Body,
    waiting: Arc<AtomicBool>,
}

impl http_body::Body for WatchedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let poll = Pin::new(&mut self.inner).poll_frame(cx);
        self.waiting.store(poll.is_pending(), Ordering::Release);
        poll
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use axum::Router;
    use axum::routing::post;
    use tower::ServiceExt as _;

    fn app() -> Router {
        Router::new()
            .route("/echo", post(|body: Bytes| async move { body }))
            .route(
                "/sleep",
                post(|| async {
                    tokio::time::sleep(Duration::from_secs(3600)).await;
                    "late"
                }),
            )
            .layer(RequestTimeoutLayer::new(Some(Duration::from_millis(50))))
    }

    #[tokio::test]
    async fn a_body_that_stops_arriving_is_answered_408_and_the_connection_closed() {
        let request = Request::post("/echo").body(Body::new(Stalled)).unwrap();
        let response = app().oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::REQUEST_TIMEOUT);
        assert_eq!(response.headers()[header::CONNECTION], "close");
    }

    #[tokio::test]
    async fn a_handler_that_does_not_finish_is_answered_503() {
        let request = Request::post("/sleep").body(Body::empty()).unwrap();
        let response = app().oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    }

    #[tokio::test]
    async fn a_prompt_request_is_answered_by_its_handler() {
        let request = Request::post("/echo").body(Body::from("hi")).unwrap();
        let response = app().oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
    }

    /// A body whose next frame never comes.
    struct Stalled;

    impl http_body::Body for Stalled {
        type Data = Bytes;
        type Error = Infallible;

        fn poll_frame(
            self: Pin<&mut Self>,
            _cx: &mut Context<'_>,
        ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
            Poll::Pending
        }
    }
}
