//! Client API surfaces, one module per API. Each adds its routes to the data-plane router.

pub mod anthropic;
pub mod openai;

use axum::body::Body;
use axum::extract::Request;
use axum::response::Response;
use axum::Router;
use llmux_engine::passthrough::{ErrorEvent, Inbound};
use llmux_protocol::Dialect;
use llmux_providers::Operation;

use crate::read_body::read_body;
use crate::{error_response, request_id, AppState};

/// Adds one surface's routes to the data-plane router.
pub type AddRoutes = fn(Router<AppState>) -> Router<AppState>;

/// The surfaces served on the data plane, in registration order.
pub const SURFACES: &[AddRoutes] = &[openai::routes, anthropic::routes];

/// The data-plane router with every surface.
pub fn router(state: AppState) -> Router {
    let mut router = Router::new();
    for add in SURFACES {
        router = add(router);
    }
    router
        .fallback(openai::not_found)
        .method_not_allowed_fallback(openai::method_not_allowed)
        .with_state(state)
}

/// Serves one inference request of any client API: reads the body within the limit, hands it
/// to the engine, and renders errors in the client's dialect.
pub(crate) async fn serve_chat(
    state: AppState,
    dialect: Dialect,
    op: Operation,
    req: Request,
    error_event: ErrorEvent,
) -> Response {
    let (parts, body) = req.into_parts();
    let request_id = request_id::from_headers(&parts.headers);
    let limit = state.gateway.snapshot().config.server.body_limit;
    let result = async {
        let body = read_body(&parts.headers, body, limit).await?;
        let inbound = Inbound {
            dialect,
            op,
            headers: parts.headers,
            body,
            request_id: request_id.clone(),
            error_event,
        };
        state.gateway.chat(inbound).await
    }
    .await;
    match result {
        Ok(resp) => {
            let mut resp = resp.map(Body::new);
            resp.headers_mut().insert(request_id::HEADER, request_id);
            resp
        }
        Err(err) => error_response::response(dialect, &err, request_id),
    }
}
