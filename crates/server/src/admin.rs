//! The admin listener: liveness, readiness, Prometheus metrics and the usage query API
//! (`/api/v1/...`); the UI joins it later.

use std::time::Instant;

use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;

use crate::AppState;

/// The admin router.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/ready", get(ready))
        .route("/metrics", get(metrics))
        .merge(crate::usage_api::routes())
        .merge(crate::admin_discovery::routes())
        .merge(crate::admin_config::routes())
        .with_state(state)
}

/// Liveness: the process is up and serving.
async fn health() -> Response {
    Json(json!({"status": "ok"})).into_response()
}

/// Readiness: a configuration snapshot is loaded.
async fn ready(State(state): State<AppState>) -> Response {
    let snapshot = state.gateway.snapshot();
    Json(json!({
        "status": "ready",
        "providers": snapshot.providers.len(),
        "models": snapshot.model_ids().count(),
    }))
    .into_response()
}

/// Prometheus metrics in the text format. The gauges are read from the current snapshot's
/// member registry.
async fn metrics(State(state): State<AppState>) -> Response {
    let snapshot = state.gateway.snapshot();
    let body = state
        .gateway
        .metrics()
        .render(&snapshot.registry, Instant::now());
    ([(CONTENT_TYPE, llmux_engine::metrics::CONTENT_TYPE)], body).into_response()
}
