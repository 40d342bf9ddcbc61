//! The HTTP server: an accept loop over hyper's HTTP/1 connections that
//! bounds what one client can hold.
//!
//! It keeps what `axum::serve` gave the router (the peer address as
//! `ConnectInfo<SocketAddr>` on every request, graceful shutdown, any bound
//! listener including port 0) and adds the limits `axum::serve` lacks: a
//! deadline for request headers and for idling between requests (see
//! [`watchdog`]), and a cap on open connections, past which a connection is
//! answered `503` and closed (see [`refuse`]). The request deadline itself
//! lives in the web layer, inside the request log.
//!
//! Only HTTP/1.x is spoken. `axum::serve` also took HTTP/2 with prior
//! knowledge (h2c); browsers never use it, reverse proxies speak HTTP/1.1 to
//! their upstreams by default, and the deadlines here are written for one
//! request at a time per connection.

mod refuse;
mod watchdog;

pub(crate) use refuse::MAX_REFUSING;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::ConnectInfo;
use axum::http::{Request, Response};
use http_body::{Frame, SizeHint};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio::task::JoinSet;
use tower::ServiceExt as _;
use watchdog::{InFlight, Timeouts, Tracker};

/// What the server holds each connection to.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub header_read_timeout: Duration,
    pub keepalive_timeout: Duration,
    pub max_connections: usize,
    /// How long a stopping server waits for requests in flight.
    pub drain: Duration,
}

/// How often, at most, reaching the connection cap is logged.
const CAP_REPORT_INTERVAL: Duration = Duration::from_secs(60);

/// Serves `router` on `listener` until `shutdown` resolves, then stops
/// accepting, lets requests in flight finish for up to `limits.drain`, and
/// closes what is left.
pub(crate) async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) {
    let mut http = http1::Builder::new();
    // The watchdog keeps the header deadline; hyper's own would also cut
    // idle keep-alive connections at the (shorter) header timeout.
    http.timer(TokioTimer::new()).header_read_timeout(None);
    let timeouts = Timeouts {
        header_read: limits.header_read_timeout,
        keepalive: limits.keepalive_timeout,
    };
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    let refusing = Arc::new(Semaphore::new(MAX_REFUSING));
    let (stop, stopping) = watch::channel(());
    let mut tasks = JoinSet::new();
    let mut refused = 0u64;
    let mut last_report: Option<tokio::time::Instant> = None;
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            biased;
            () = &mut shutdown => break,
            Some(_) = tasks.join_next(), if !tasks.is_empty() => continue,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    accept_failed(&err).await;
                    continue;
                }
            },
        };
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            refused += 1;
            if last_report.is_none_or(|at| at.elapsed() >= CAP_REPORT_INTERVAL) {
                tracing::warn!(
                    max_connections = limits.max_connections,
                    refused,
                    "connection cap reached: new connections are answered 503"
                );
                last_report = Some(tokio::time::Instant::now());
                refused = 0;
            }
            refuse::refuse(stream, &refusing, &mut tasks);
            continue;
        };
        let connection = Connection {
            stream,
            peer,
            router: router.clone(),
            http: http.clone(),
            timeouts,
            stopping: stopping.clone(),
            _permit: permit,
        };
        tasks.spawn(connection.run());
    }

    drop(listener);
    let _ = stop.send(());
    let drained = tokio::time::timeout(limits.drain, async {
        while tasks.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!(
            connections = tasks.len(),
            "closing connections still busy after the shutdown grace period"
        );
    }
    tasks.shutdown().await;
}

/// Errors such as a client resetting before `accept` returned concern that
/// client only; others (out of descriptors, memory) are the server's, and
/// retrying at once would spin.
async fn accept_failed(err: &std::io::Error) {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(
        err.kind(),
        ConnectionAborted | ConnectionRefused | ConnectionReset
    ) {
        return;
    }
    tracing::error!(error = %err, "could not accept a connection");
    tokio::time::sleep(Duration::from_millis(100)).await;
}

/// One accepted connection and what it needs.
struct Connection {
    stream: TcpStream,
    peer: SocketAddr,
    router: Router,
    http: http1::Builder,
    timeouts: Timeouts,
    stopping: watch::Receiver<()>,
    _permit: OwnedSemaphorePermit,
}

impl Connection {
    async fn run(mut self) {
        // Answers are small and written whole; do not hold them back.
        let _ = self.stream.set_nodelay(true);
        let tracker = Tracker::new(self.timeouts);
        let service = Handler {
            router: self.router,
            peer: self.peer,
            tracker: tracker.clone(),
        };
        let io = TokioIo::new(tracker.watch(self.stream));
        let connection = self.http.serve_connection(io, service);
        tokio::pin!(connection);
        let expired = tracker.expired();
        tokio::pin!(expired);
        let mut shutting_down = false;
        loop {
            tokio::select! {
                result = connection.as_mut() => {
                    if let Err(err) = result {
                        tracing::debug!(peer = %self.peer, error = %err, "connection ended with an error");
                    }
                    return;
                }
                why = &mut expired => {
                    // Dropping the connection closes the socket; nothing is
                    // in flight in either phase that expires.
                    tracing::debug!(peer = %self.peer, ?why, "connection timed out");
                    return;
                }
                _ = self.stopping.changed(), if !shutting_down => {
                    shutting_down = true;
                    connection.as_mut().graceful_shutdown();
                }
            }
        }
    }
}

/// The router as hyper calls it: with the peer address, and with the
/// connection busy until the response body has been written.
#[derive(Clone)]
struct Handler {
    router: Router,
    peer: SocketAddr,
    tracker: Tracker,
}

type HandlerFuture =
    Pin<Box<dyn Future<Output = Result<Response<TrackedBody>, Infallible>> + Send>>;

impl hyper::service::Service<Request<Incoming>> for Handler {
    type Response = Response<TrackedBody>;
    type Error = Infallible;
    type Future = HandlerFuture;

    fn call(&self, mut request: Request<Incoming>) -> Self::Future {
        let in_flight = self.tracker.begin();
        request.extensions_mut().insert(ConnectInfo(self.peer));
        let answer = self.router.clone().oneshot(request);
        Box::pin(async move {
            let response = answer.await?;
            Ok(response.map(|body| TrackedBody {
                body,
                _in_flight: in_flight,
            }))
        })
    }
}

/// A response body that keeps its connection busy until hyper drops it,
/// which it does once the body has been written out.
struct TrackedBody {
    body: Body,
    _in_flight: InFlight,
}

impl http_body::Body for TrackedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}
