//! `/healthz` (the process answers) and `/readyz` (the database answers), for
//! load balancers and orchestrators.

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
    match state.auth().ready().await {
        Ok(()) => (StatusCode::OK, "ready"),
        Err(err) => {
            tracing::warn!(error = %err, "readiness check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
        }
    }
}
