//! `GET /api/v1/docs`: a self-contained interactive page over `/api/v1/openapi.json` (vanilla
//! JavaScript, no CDN: llmux may run offline) listing every path and method with its
//! parameters, with a "Try it" button that calls the API with the token typed in.

use axum::http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};

/// The page, every script and style inline.
pub const PAGE: &str = include_str!("admin_docs/page.html");

/// Serves [`PAGE`]. The CSP allows only this origin (and the inline script and style), so
/// the page cannot load or send anything elsewhere.
pub async fn docs() -> Response {
    (
        [
            (CONTENT_TYPE, "text/html; charset=utf-8"),
            (CACHE_CONTROL, "no-cache"),
            (
                CONTENT_SECURITY_POLICY,
                "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'",
            ),
        ],
        PAGE,
    )
        .into_response()
}
