//! `GET /metrics` in the Prometheus text format, on `metrics.listen` only:
//! its own listener, never the public one, since what it tells (traffic,
//! failed logins, queue depths) is for the operator.
//!
//! Counters and histograms are recorded where things happen (requests in
//! the web layer, logins and lockouts from the audit events, the password
//! hashing queue, mail delivery); the levels that are cheaper to read than
//! to track (database pool use, live sessions, the mail queue) are read
//! when Prometheus asks.

use crate::startup::Services;
use anyhow::Context as _;
use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::net::SocketAddr;
use std::sync::OnceLock;
use tokio::net::TcpListener;

/// Latency buckets, in seconds: 0.5 ms to 10 s.
const BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The process's recorder. A process has one global recorder; servers
/// built later in the same process (tests) share it.
static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

fn handle() -> anyhow::Result<PrometheusHandle> {
    if let Some(handle) = HANDLE.get() {
        return Ok(handle.clone());
    }
    let recorder = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_seconds".to_owned()), &BUCKETS)
        .context("metrics buckets")?
        .build_recorder();
    let handle = recorder.handle();
    // Another thread may have won; then its recorder is the one in use.
    if metrics::set_global_recorder(recorder).is_err() {
        return HANDLE
            .get()
            .cloned()
            .context("a metrics recorder not ours is installed");
    }
    describe();
    Ok(HANDLE.get_or_init(|| handle).clone())
}

/// The `# HELP` lines.
fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram};
    describe_counter!(
        "portcullis_http_requests_total",
        "Requests answered, by method, route template and status"
    );
    describe_histogram!(
        "portcullis_http_request_duration_seconds",
        "Time to answer a request, by method and route template"
    );
    describe_counter!(
        "portcullis_logins_total",
        "Login attempts by outcome: succeeded, failed, second_factor_failed"
    );
    describe_counter!(
        "portcullis_lockouts_total",
        "Accounts locked after too many failed logins"
    );
    describe_counter!(
        "portcullis_rate_limited_total",
        "Requests refused by a rate limit"
    );
    describe_counter!(
        "portcullis_audit_events_total",
        "Audit log events written, by kind"
    );
    describe_gauge!(
        "portcullis_password_hash_waiting",
        "Password hashes waiting for a hashing thread"
    );
    describe_histogram!(
        "portcullis_password_hash_wait_seconds",
        "Time a password hash waited for a hashing thread"
    );
    describe_gauge!(
        "portcullis_mail_queue_depth",
        "Emails queued and not yet handed to the mail server"
    );
    describe_gauge!(
        "portcullis_mail_failed",
        "Emails given up on and kept in the queue (portcullis mail list --state failed)"
    );
    describe_counter!(
        "portcullis_mail_sent_total",
        "Emails the mail server accepted"
    );
    describe_counter!(
        "portcullis_mail_retries_total",
        "Failed delivery attempts that will be retried"
    );
    describe_counter!(
        "portcullis_mail_failures_total",
        "Emails given up on, by reason"
    );
    describe_gauge!(
        "portcullis_db_pool_connections",
        "Database pool connections, idle or in use"
    );
    describe_gauge!(
        "portcullis_sessions_active",
        "Live sessions (not expired, not idle past the timeout)"
    );
}

#[derive(Clone)]
struct Scrape {
    handle: PrometheusHandle,
    services: Services,
}

/// The metrics listener, bound and ready to serve.
pub struct MetricsServer {
    listener: TcpListener,
    router: Router,
}

impl std::fmt::Debug for MetricsServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MetricsServer")
            .field("listener", &self.listener)
            .finish_non_exhaustive()
    }
}

impl MetricsServer {
    /// Installs the recorder and binds `listen`.
    pub async fn bind(listen: SocketAddr, services: Services) -> anyhow::Result<Self> {
        let handle = handle()?;
        let listener = TcpListener::bind(listen)
            .await
            .with_context(|| format!("could not listen on {listen} (metrics.listen)"))?;
        let router = Router::new()
            .route("/metrics", get(render))
            .with_state(Scrape { handle, services });
        Ok(Self { listener, router })
    }

    /// The address bound (useful with port 0).
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.listener.local_addr().ok()
    }

    /// Serves until the task is dropped or aborted.
    pub async fn serve(self) {
        if let Err(err) = axum::serve(self.listener, self.router).await {
            tracing::error!(error = %err, "the metrics listener stopped");
        }
    }
}

async fn render(State(scrape): State<Scrape>) -> impl IntoResponse {
    let (size, idle) = scrape.services.database.pool_use();
    let idle = u32::try_from(idle).unwrap_or(u32::MAX);
    metrics::gauge!("portcullis_db_pool_connections", "state" => "idle").set(f64::from(idle));
    metrics::gauge!("portcullis_db_pool_connections", "state" => "in_use")
        .set(f64::from(size.saturating_sub(idle)));
    match scrape.services.auth.sessions().count_live().await {
        Ok(live) => metrics::gauge!("portcullis_sessions_active").set(live as f64),
        Err(err) => tracing::warn!(error = %err, "could not count live sessions for the metrics"),
    }
    match scrape.services.auth.mail().counts().await {
        Ok(counts) => {
            metrics::gauge!("portcullis_mail_queue_depth").set(counts.queued as f64);
            metrics::gauge!("portcullis_mail_failed").set(counts.failed as f64);
        }
        Err(err) => tracing::warn!(error = %err, "could not count queued mail for the metrics"),
    }
    scrape.handle.run_upkeep();
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        scrape.handle.render(),
    )
}
