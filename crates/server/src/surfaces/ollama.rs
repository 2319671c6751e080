//! The Ollama API surface: llmux answers as an Ollama server does, so Open WebUI and the
//! `ollama` client libraries list and use every model llmux serves. `GET /` and `HEAD /`,
//! `GET /api/version`, `GET /api/tags`, `POST /api/show`, `GET /api/ps`, `POST /api/chat`,
//! `POST /api/generate` (NDJSON streams unless `"stream": false`), `POST /api/embed` and the
//! legacy `POST /api/embeddings`.

use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use http::{header, HeaderMap, HeaderValue};
use llmux_engine::embed::EmbedCall;
use llmux_engine::{ErrorKind, GatewayError};
use llmux_protocol::dialects::ollama;
use llmux_protocol::Dialect;
use llmux_providers::Operation;
use serde_json::{json, Value};

use crate::{error_response, request_id, AppState};

/// The Ollama API version llmux reports: the level of the API it emulates.
pub const API_VERSION: &str = "0.12.0";

/// Adds the Ollama routes.
pub fn routes(router: Router<AppState>) -> Router<AppState> {
    router
        .route("/", get(root).head(root))
        .route("/api/version", get(version))
        .route("/api/tags", get(tags))
        .route("/api/ps", get(ps))
        .route("/api/show", post(show))
        .route("/api/chat", post(chat))
        .route("/api/generate", post(generate))
        .route("/api/embed", post(embed))
        .route("/api/embeddings", post(embed))
}

async fn root() -> Response {
    let mut resp = "llmux is running".into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    resp
}

async fn version(headers: HeaderMap) -> Response {
    super::with_id(
        Json(json!({ "version": API_VERSION })).into_response(),
        &headers,
    )
}

/// Ollama's `details` for a model llmux serves: llmux knows neither its size nor its format.
fn details(owner: &str) -> Value {
    json!({
        "parent_model": "",
        "format": "",
        "family": owner,
        "families": [owner],
        "parameter_size": "",
        "quantization_level": "",
    })
}

/// A stable pseudo-digest of a model name (Ollama clients key models by digest).
fn digest(name: &str) -> String {
    use std::hash::{Hash, Hasher};
    let mut out = String::with_capacity(64);
    for salt in 0u8..4 {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (salt, name).hash(&mut h);
        out.push_str(&format!("{:016x}", h.finish()));
    }
    out
}

async fn tags(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let snapshot = state.gateway.snapshot();
    let modified = rfc3339(snapshot.created);
    let models: Vec<Value> = snapshot
        .model_ids()
        .map(|(id, owner)| {
            json!({
                "name": id,
                "model": id,
                "modified_at": modified,
                "size": 0,
                "digest": digest(&id),
                "details": details(owner),
            })
        })
        .collect();
    super::with_id(Json(json!({ "models": models })).into_response(), &headers)
}

/// Nothing runs inside llmux: the models it serves are loaded (or not) by their providers.
async fn ps(headers: HeaderMap) -> Response {
    super::with_id(Json(json!({ "models": [] })).into_response(), &headers)
}

async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let id = request_id::from_headers(&headers);
    let v: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => return error(&ErrorKind::InvalidJson(e.to_string()).into(), id),
    };
    let Some(name) = v["model"].as_str().or_else(|| v["name"].as_str()) else {
        return error(&GatewayError::invalid("model", "`model` is required"), id);
    };
    let snapshot = state.gateway.snapshot();
    let name = strip_latest(&snapshot, name);
    let route = match snapshot.resolve(&name) {
        Ok(route) => route,
        Err(err) => return error(&err, id),
    };
    let owner = route.provider.id.clone();
    let mut answer = json!({
        "modelfile": format!("# served by llmux from provider `{owner}`\nFROM {}\n", route.model),
        "parameters": "",
        "template": "{{ .Prompt }}",
        "details": details(&owner),
        "model_info": { "general.architecture": owner, "general.basename": route.model },
        "capabilities": ["completion", "tools", "vision", "thinking"],
        "modified_at": rfc3339(snapshot.created),
    });
    // What the operator stated of a virtual model, where Ollama clients look for it.
    if let Some(vm) = snapshot.virtual_model(&name) {
        if let Some(n) = vm.context_length {
            answer["model_info"][format!("{owner}.context_length")] = json!(n);
        }
        if !vm.capabilities.is_empty() {
            answer["capabilities"] = json!(vm.capabilities);
        }
        if let Some(d) = &vm.description {
            answer["description"] = json!(d);
        }
    }
    super::json_response(&answer, id)
}

/// Ollama clients often add `:latest` to a bare name; llmux's names have no tags.
fn strip_latest(snapshot: &llmux_engine::Snapshot, name: &str) -> String {
    match name.strip_suffix(":latest") {
        Some(bare) if snapshot.resolve(name).is_err() => bare.to_owned(),
        _ => name.to_owned(),
    }
}

async fn chat(State(state): State<AppState>, req: Request) -> Response {
    super::serve_chat(
        state,
        Dialect::Ollama,
        Operation::ChatCompletions,
        req,
        error_response::ollama_stream_line,
    )
    .await
}

async fn generate(State(state): State<AppState>, req: Request) -> Response {
    super::serve_chat(
        state,
        Dialect::Ollama,
        Operation::Completions,
        req,
        error_response::ollama_stream_line,
    )
    .await
}

async fn embed(State(state): State<AppState>, req: Request) -> Response {
    let id = request_id::from_headers(req.headers());
    let legacy_path = req.uri().path().ends_with("/embeddings");
    let result = async {
        let inbound = super::read_inbound(
            &state,
            Dialect::Ollama,
            Operation::Embeddings,
            req,
            error_response::ollama_stream_line,
            None,
        )
        .await?;
        let mut request = ollama::decode_embed_request(&inbound.body)
            .map_err(|e| GatewayError::from(ErrorKind::InvalidRequest(e.message)))?;
        request.legacy |= legacy_path;
        if request.model.is_empty() {
            return Err(GatewayError::invalid("model", "`model` is required"));
        }
        let model = strip_latest(&state.gateway.snapshot(), &request.model);
        if request.inputs.is_empty() {
            // Ollama's idiom for "load the model": nothing to embed.
            return Ok((request, None));
        }
        let embedded = state
            .gateway
            .embed(EmbedCall {
                // A forward's path rules choose the group whatever the model.
                model: inbound.group.clone().unwrap_or(model),
                inputs: request.inputs.clone(),
                dimensions: request.dimensions,
                request_id: inbound.request_id.clone(),
                client: Dialect::Ollama,
                caller: inbound.caller.clone(),
                key: inbound.key.clone(),
                headers: inbound.headers.clone(),
            })
            .await?;
        Ok((request, Some(embedded)))
    }
    .await;
    match result {
        Ok((request, embedded)) => {
            let cost = embedded.as_ref().and_then(|e| e.cost_usd);
            let vectors = embedded
                .as_ref()
                .map(|e| e.vectors.clone())
                .unwrap_or_default();
            let answer = if request.legacy {
                json!({ "embedding": vectors.into_iter().next().unwrap_or_default() })
            } else {
                json!({
                    "model": request.model,
                    "embeddings": vectors,
                    "total_duration": 0,
                    "load_duration": 0,
                    "prompt_eval_count": embedded.and_then(|e| e.prompt_tokens).unwrap_or(0),
                })
            };
            super::with_cost(super::json_response(&answer, id), cost)
        }
        Err(err) => error(&err, id),
    }
}

fn error(err: &GatewayError, id: HeaderValue) -> Response {
    error_response::response(Dialect::Ollama, err, id)
}

/// RFC 3339 UTC time of a Unix timestamp (Ollama's `modified_at`).
fn rfc3339(unix: u64) -> String {
    ollama::format_rfc3339(unix, 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_of_known_instants() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn digests_are_stable_and_distinct() {
        assert_eq!(digest("a"), digest("a"));
        assert_ne!(digest("a"), digest("b"));
        assert_eq!(digest("a").len(), 64);
    }
}
