//! The admin listener: liveness, readiness, Prometheus metrics, the usage query API
//! (`/api/v1/...`), the audit log, provider probes and the docs page, behind the admin auth
//! layer (`admin_auth::guard`); the UI joins it later.

use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
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
        .route("/api/v1/audit", get(crate::audit::list))
        .route(
            crate::admin_auth::LOGIN_PATH,
            post(crate::admin_login::login),
        )
        .route(crate::admin_auth::DOCS_PATH, get(crate::admin_docs::docs))
        .route(
            "/api/v1/providers/{id}/test",
            post(crate::provider_test::test_provider),
        )
        .merge(crate::admin_discovery::routes())
        .merge(crate::admin_config::routes())
        .merge(crate::admin_keys::routes())
        // Last: the guard covers every route above (it lets the open ones through itself).
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::admin_auth::guard,
        ))
        .with_state(state)
}

/// Liveness: the process is up and serving.
async fn health() -> Response {
    Json(json!({"status": "ok"})).into_response()
}

/// How long `/ready` waits for the usage store's answer.
const READY_STORE_TIMEOUT: Duration = Duration::from_secs(2);

/// Readiness: a configuration snapshot is loaded and the usage store (when on) answers a
/// cheap query (an empty time range); else 503 with the reason.
async fn ready(State(state): State<AppState>) -> Response {
    if let Some(store) = state.usage.clone() {
        let now = i64::try_from(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_millis()),
        )
        .unwrap_or(i64::MAX);
        let filter = llmux_store::Filter {
            from_ms: Some(now),
            to_ms: Some(now),
            ..Default::default()
        };
        let probe = tokio::task::spawn_blocking(move || store.summary(&filter));
        let reason = match tokio::time::timeout(READY_STORE_TIMEOUT, probe).await {
            Ok(Ok(Ok(_))) => None,
            Ok(Ok(Err(e))) => Some(format!("usage store: {e}")),
            Ok(Err(e)) => Some(format!("usage store check failed: {e}")),
            Err(_) => Some(format!(
                "usage store: no answer within {READY_STORE_TIMEOUT:?}"
            )),
        };
        if let Some(reason) = reason {
            let body = json!({"status": "not_ready", "reason": reason});
            return (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response();
        }
    }
    let snapshot = state.gateway.snapshot();
    Json(json!({
        "status": "ready",
        "providers": snapshot.providers.len(),
        "models": snapshot.model_ids().count(),
        "usage_store": state.usage.is_some(),
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
