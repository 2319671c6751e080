//! The OpenAI Responses API surface: `POST /v1/responses` (streamed as typed events
//! `response.created` … `response.completed`), and `GET` / `DELETE /v1/responses/{id}` for the
//! responses llmux holds, also under `/openai/v1`. OpenAI providers serve it natively; every
//! other provider through translation, with llmux keeping the conversation for
//! `previous_response_id`. Ids llmux does not hold are asked of the OpenAI providers, which
//! keep the responses they served natively.

use axum::extract::{Path, Request, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use http::{HeaderMap, HeaderValue, Method};
use llmux_engine::{ErrorKind, GatewayError};
use llmux_protocol::Dialect;
use llmux_providers::Operation;
use serde_json::json;

use crate::{error_response, request_id, AppState};

/// Adds the Responses routes.
pub fn routes(mut router: Router<AppState>) -> Router<AppState> {
    for prefix in ["/v1", "/openai/v1"] {
        router = router
            .route(&format!("{prefix}/responses"), post(create))
            .route(
                &format!("{prefix}/responses/{{id}}"),
                get(retrieve).delete(delete),
            );
    }
    router
}

async fn create(State(state): State<AppState>, req: Request) -> Response {
    super::serve_chat(
        state,
        Dialect::OpenAiResponses,
        Operation::ChatCompletions,
        req,
        stream_event,
    )
    .await
}

/// One `event: error` carrying `err`, for a Responses stream that fails after it started.
pub fn stream_event(err: &GatewayError) -> bytes::Bytes {
    let body = json!({
        "type": "error",
        "code": err.code(),
        "message": err.to_string(),
        "param": err.param(),
        "sequence_number": 0,
    });
    let mut out = b"event: error\ndata: ".to_vec();
    out.extend_from_slice(&serde_json::to_vec(&body).unwrap_or_default());
    out.extend_from_slice(b"\n\n");
    bytes::Bytes::from(out)
}

fn not_found(id: &str) -> GatewayError {
    ErrorKind::InvalidField {
        param: "response_id",
        message: format!("No response with id '{id}' found: llmux keeps the responses it answered through translation, in memory, until restart"),
    }
    .into()
}

async fn retrieve(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let rid = request_id::from_headers(&headers);
    match state.gateway.responses().get(&id) {
        Some(stored) => super::json_bytes(http::StatusCode::OK, stored.body, rid),
        None => native(&state, Method::GET, &id, rid).await,
    }
}

/// A response llmux does not hold: the OpenAI providers may (they keep what they served).
async fn native(state: &AppState, method: Method, id: &str, rid: HeaderValue) -> Response {
    match state.gateway.native_response(method, id, &rid).await {
        Ok(Some(answer)) => {
            let status =
                http::StatusCode::from_u16(answer.status).unwrap_or(http::StatusCode::BAD_GATEWAY);
            super::json_bytes(status, answer.body, rid)
        }
        Ok(None) => not_found_response(id, rid),
        Err(err) => error_response::response(Dialect::OpenAiResponses, &err, rid),
    }
}

async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let rid = request_id::from_headers(&headers);
    if state.gateway.responses().delete(&id) {
        super::json_response(
            &json!({"id": id, "object": "response.deleted", "deleted": true}),
            rid,
        )
    } else {
        native(&state, Method::DELETE, &id, rid).await
    }
}

fn not_found_response(id: &str, rid: HeaderValue) -> Response {
    let mut resp = error_response::response(Dialect::OpenAiResponses, &not_found(id), rid);
    *resp.status_mut() = http::StatusCode::NOT_FOUND;
    resp
}
