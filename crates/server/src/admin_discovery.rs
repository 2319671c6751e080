//! Endpoint discovery on the admin listener: `POST /api/v1/discovery/scan` scans now and
//! returns what it found, `GET /api/v1/discovery` returns the last scan. The scanning itself
//! lives in the binary, reached through [`DiscoveryControl`].

use std::future::Future;
use std::pin::Pin;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use llmux_engine::discovery::ScanReport;
use serde_json::json;

use crate::AppState;

/// What the admin API needs of the running discovery.
pub trait DiscoveryControl: Send + Sync {
    /// Scans now, applies the result to the running gateway, and returns the report.
    fn scan_now(&self) -> Pin<Box<dyn Future<Output = ScanReport> + Send + '_>>;
    /// The report of the last scan, if any ran.
    fn last_scan(&self) -> Option<ScanReport>;
}

/// The discovery routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/discovery", get(last))
        .route("/api/v1/discovery/scan", post(scan))
}

async fn scan(State(state): State<AppState>) -> Response {
    match &state.discovery {
        Some(d) => Json(d.scan_now().await).into_response(),
        None => off(),
    }
}

async fn last(State(state): State<AppState>) -> Response {
    match state.discovery.as_ref().map(|d| d.last_scan()) {
        Some(Some(report)) => Json(report).into_response(),
        Some(None) => (
            StatusCode::NOT_FOUND,
            Json(json!({"error": {"message": "no scan has run yet; POST /api/v1/discovery/scan runs one"}})),
        )
            .into_response(),
        None => off(),
    }
}

fn off() -> Response {
    (
        StatusCode::NOT_FOUND,
        Json(json!({"error": {"message": "endpoint discovery is not running in this process"}})),
    )
        .into_response()
}
