//! `/healthz` (the process answers) and `/readyz` (the database answers and
//! the mail worker runs), for load balancers and orchestrators.

use crate::state::Portcullis;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;

pub(crate) fn router() -> Router<Portcullis> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
}

async fn healthz() -> &'static str {
    "ok"
}

async fn readyz(State(state): State<Portcullis>) -> (StatusCode, &'static str) {
    if let Err(err) = state.auth().ready().await {
        tracing::warn!(error = %err, "readiness check failed");
        return (StatusCode::SERVICE_UNAVAILABLE, "database unavailable");
    }
    if !state.auth().mail_alive() {
        tracing::error!("readiness check failed: the mail worker has stopped");
        return (StatusCode::SERVICE_UNAVAILABLE, "mail worker stopped");
    }
    (StatusCode::OK, "ready")
}
