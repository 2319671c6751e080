//! The Anthropic Messages API surface: `POST /v1/messages`, also under `/anthropic/v1`.
//! Clients authenticate the Anthropic way (`x-api-key`, `anthropic-version`); llmux uses its
//! own provider keys upstream and never forwards the client's.

use axum::extract::{Request, State};
use axum::response::Response;
use axum::routing::post;
use axum::Router;
use llmux_protocol::Dialect;
use llmux_providers::Operation;

use crate::{error_response, AppState};

/// Adds the Anthropic routes.
pub fn routes(router: Router<AppState>) -> Router<AppState> {
    router
        .route("/v1/messages", post(messages))
        .route("/anthropic/v1/messages", post(messages))
        .route("/v1/messages/count_tokens", post(count_tokens))
        .route("/anthropic/v1/messages/count_tokens", post(count_tokens))
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

/// `POST /v1/messages/count_tokens`: the provider's count for Anthropic providers, an estimate
/// (flagged by the `x-llmux-token-count: estimate` header) otherwise.
async fn count_tokens(State(state): State<AppState>, req: Request) -> Response {
    super::serve_count(
        state,
        Dialect::Anthropic,
        req,
        error_response::anthropic_stream_event,
        None,
        "input_tokens",
    )
    .await
}
