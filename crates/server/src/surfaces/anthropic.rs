//! The Anthropic Messages API surface: `POST /v1/messages`, also under `/anthropic/v1`.
//! Clients authenticate the Anthropic way (`x-api-key`, `anthropic-version`); llmux uses its
//! own provider keys upstream and never forwards the client's.

use axum::extract::{Request, State};
use axum::response::Response;
use axum::routing::post;
use axum::Router;
use llmux_protocol::Dialect;
use llmux_providers::Operation;

use http::HeaderValue;
use llmux_engine::count::Counted;
use serde_json::json;

use crate::{error_response, request_id, AppState};

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
    let id = request_id::from_headers(req.headers());
    let result = async {
        let inbound = super::read_inbound(
            &state,
            Dialect::Anthropic,
            Operation::ChatCompletions,
            req,
            error_response::anthropic_stream_event,
            None,
        )
        .await?;
        state.gateway.count_tokens(inbound).await
    }
    .await;
    match result {
        Ok(counted) => {
            let mut resp = super::json_response(&json!({ "input_tokens": counted.tokens() }), id);
            if let Counted::Estimate(_) = counted {
                resp.headers_mut().insert(
                    super::TOKEN_COUNT_HEADER,
                    HeaderValue::from_static("estimate"),
                );
            }
            resp
        }
        Err(err) => error_response::response(Dialect::Anthropic, &err, id),
    }
}
