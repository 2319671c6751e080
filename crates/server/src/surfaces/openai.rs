//! The OpenAI API surface: Chat Completions, Completions, Embeddings and Models, under `/v1`
//! and `/openai/v1`.

use axum::extract::{Path, Request, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use http::{HeaderMap, HeaderValue, Method, Uri};
use llmux_engine::{ErrorKind, GatewayError};
use llmux_protocol::Dialect;
use llmux_providers::Operation;
use serde_json::json;

use crate::error_response;
use crate::request_id;
use crate::AppState;

/// Path prefixes the OpenAI API is served under.
const PREFIXES: [&str; 2] = ["/v1", "/openai/v1"];

/// Adds the OpenAI routes.
pub fn routes(mut router: Router<AppState>) -> Router<AppState> {
    for prefix in PREFIXES {
        router = router
            .route(
                &format!("{prefix}/chat/completions"),
                post(chat_completions),
            )
            .route(&format!("{prefix}/completions"), post(completions))
            .route(&format!("{prefix}/embeddings"), post(embeddings))
            .route(&format!("{prefix}/models"), get(list_models))
            .route(&format!("{prefix}/models/{{*id}}"), get(get_model));
    }
    router
}

async fn chat_completions(State(state): State<AppState>, req: Request) -> Response {
    serve(state, Operation::ChatCompletions, req).await
}

async fn completions(State(state): State<AppState>, req: Request) -> Response {
    serve(state, Operation::Completions, req).await
}

async fn embeddings(State(state): State<AppState>, req: Request) -> Response {
    serve(state, Operation::Embeddings, req).await
}

/// Serves one OpenAI inference request.
async fn serve(state: AppState, op: Operation, req: Request) -> Response {
    super::serve_chat(
        state,
        Dialect::OpenAiChat,
        op,
        req,
        error_response::openai_stream_event,
    )
    .await
}

fn model_object(id: &str, created: u64, owned_by: &str) -> serde_json::Value {
    json!({"id": id, "object": "model", "created": created, "owned_by": owned_by})
}

/// The model object of `id`, with what the operator stated of a virtual model
/// (`description`, `context_length`, `capabilities`: extra fields the SDKs keep).
fn listed_model(snapshot: &llmux_engine::Snapshot, id: &str, owned_by: &str) -> serde_json::Value {
    let mut object = model_object(id, snapshot.created, owned_by);
    if let Some(vm) = snapshot.virtual_model(id) {
        if let Some(d) = &vm.description {
            object["description"] = json!(d);
        }
        if let Some(n) = vm.context_length {
            object["context_length"] = json!(n);
        }
        if !vm.capabilities.is_empty() {
            object["capabilities"] = json!(vm.capabilities);
        }
    }
    object
}

async fn list_models(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let snapshot = state.gateway.snapshot();
    let data: Vec<_> = snapshot
        .model_ids()
        .map(|(id, owner)| listed_model(&snapshot, &id, owner))
        .collect();
    super::with_id(
        Json(json!({"object": "list", "data": data})).into_response(),
        &headers,
    )
}

async fn get_model(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let snapshot = state.gateway.snapshot();
    let listed = snapshot
        .model_ids()
        .find(|(m, _)| *m == id)
        .map(|(_, owner)| owner.to_owned());
    // `provider/anything` is servable even when the provider lists no models.
    let owner = listed.or_else(|| {
        id.split_once('/')
            .filter(|(p, m)| !m.is_empty() && snapshot.provider(p).is_some())
            .map(|(p, _)| p.to_owned())
    });
    match owner {
        Some(owner) => super::with_id(
            Json(listed_model(&snapshot, &id, &owner)).into_response(),
            &headers,
        ),
        None => error_response::response(
            Dialect::OpenAiChat,
            &ErrorKind::ModelNotFound { model: id }.into(),
            request_id::from_headers(&headers),
        ),
    }
}

/// Unknown paths: a 404 naming the route, in the error shape of the API the path belongs to.
pub async fn not_found(method: Method, uri: Uri, headers: HeaderMap) -> Response {
    let err: GatewayError = ErrorKind::RouteNotFound {
        method: method.to_string(),
        path: uri.path().to_owned(),
    }
    .into();
    let id: HeaderValue = request_id::from_headers(&headers);
    error_response::response(super::dialect_of_path(uri.path()), &err, id)
}

/// Known paths with the wrong method: a 405 in the path's API error shape.
pub async fn method_not_allowed(method: Method, uri: Uri, headers: HeaderMap) -> Response {
    let err: GatewayError = ErrorKind::MethodNotAllowed {
        method: method.to_string(),
        path: uri.path().to_owned(),
    }
    .into();
    error_response::response(
        super::dialect_of_path(uri.path()),
        &err,
        request_id::from_headers(&headers),
    )
}
