//! The Anthropic Messages API surface: `POST /v1/messages`, also under `/anthropic/v1`.
//! Clients authenticate the Anthropic way (`x-api-key`, `anthropic-version`); llmux uses its
//! own provider keys upstream and never forwards the client's.

use axum::extract::{Request, State};
use axum::response::Response;
use axum::routing::post;
use axum::Router;
use llmux_protocol::Dialect;
use llmux_providers::Operation;

use crate::error_response;
use crate::AppState;

/// Adds the Anthropic routes.
pub fn routes(router: Router<AppState>) -> Router<AppState> {
    router
        .route("/v1/messages", post(messages))
        .route("/anthropic/v1/messages", post(messages))
}

async fn messages(State(state): State<AppState>, req: Request) -> Response {
    super::serve_chat(
        state,
        Dialect::Anthropic,
        Operation::ChatCompletions,
        req,
        error_response::anthropic_stream_event,
    )
    .await
}
