//! Unauthenticated operations routes: liveness, readiness, metrics.

use axum::{extract::State, http::header, http::StatusCode, response::IntoResponse, routing::get, Json, Router};
use serde_json::json;

use super::AppState;
use crate::telemetry;

/// The routes of this module (the OpenAPI document is added by the caller).
pub fn router() -> Router<AppState> {
    Router::new().route("/healthz", get(healthz)).route("/readyz", get(readyz)).route("/metrics", get(metrics))
}

async fn healthz() -> Json<serde_json::Value> {
    Json(json!({"status": "ok"}))
}

/// The health probe's last word (`store::probe`), at once: ready while the
/// database answered its last ping in time.
async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<serde_json::Value>) {
    if state.health.is_up() {
        (StatusCode::OK, Json(json!({"status": "ready"})))
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, Json(json!({"status": "store unavailable"})))
    }
}

async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    match state.store.gauges().await {
        Ok(g) => {
            metrics::gauge!("herald_deliveries_pending").set(g.pending_deliveries as f64);
            metrics::gauge!("herald_endpoints_disabled").set(g.disabled_endpoints as f64);
        }
        Err(e) => tracing::warn!(error = %e, "failed to read gauges from the store"),
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], telemetry::metrics_handle().render())
}
