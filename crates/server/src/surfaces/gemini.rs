//! The Google Gemini API surface (`generativelanguage` v1beta): `models/{model}:generateContent`,
//! `:streamGenerateContent` (SSE with `alt=sse`, one JSON array without), `:countTokens`,
//! `:embedContent`, `:batchEmbedContents`, and the model list, under `/v1beta` and
//! `/google/v1beta`. Clients authenticate the Google way (`x-goog-api-key` or `?key=`);
//! llmux uses its own provider keys upstream.

use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use http::HeaderMap;
use llmux_engine::embed::EmbedCall;
use llmux_engine::passthrough::PathTarget;
use llmux_engine::{ErrorKind, GatewayError};
use llmux_protocol::Dialect;
use llmux_providers::Operation;
use serde_json::json;

use crate::{error_response, request_id, AppState};

/// Path prefixes the Gemini API is served under.
const PREFIXES: [&str; 2] = ["/v1beta", "/google/v1beta"];

/// Adds the Gemini routes.
pub fn routes(mut router: Router<AppState>) -> Router<AppState> {
    for prefix in PREFIXES {
        router = router
            .route(&format!("{prefix}/models"), get(list_models))
            .route(
                &format!("{prefix}/models/{{*rest}}"),
                get(get_model).post(model_method),
            );
    }
    router
}

/// `POST models/{model}:{method}`.
async fn model_method(
    State(state): State<AppState>,
    Path(rest): Path<String>,
    req: Request,
) -> Response {
    let Some((model, method)) = rest.rsplit_once(':') else {
        return error(
            &req,
            ErrorKind::RouteNotFound {
                method: "POST".into(),
                path: req.uri().path().to_owned(),
            },
        );
    };
    let model = model.strip_prefix("models/").unwrap_or(model).to_owned();
    let sse = query_has(req.uri().query(), "alt", "sse");
    match method {
        "generateContent" | "streamGenerateContent" => {
            let target = PathTarget {
                model,
                stream: method == "streamGenerateContent",
                sse,
            };
            super::serve_target(
                state,
                Dialect::Gemini,
                Operation::ChatCompletions,
                req,
                stream_event,
                Some(target),
            )
            .await
        }
        "countTokens" => count_tokens(state, model, req).await,
        "embedContent" | "batchEmbedContents" => {
            embed(state, model, method == "batchEmbedContents", req).await
        }
        _ => error(
            &req,
            ErrorKind::RouteNotFound {
                method: "POST".into(),
                path: req.uri().path().to_owned(),
            },
        ),
    }
}

/// `:countTokens`: the provider's count for Gemini providers, an estimate otherwise.
async fn count_tokens(state: AppState, model: String, req: Request) -> Response {
    let target = PathTarget {
        model,
        stream: false,
        sse: false,
    };
    let (dialect, event) = (Dialect::Gemini, stream_event);
    super::serve_count(state, dialect, req, event, Some(target), "totalTokens").await
}

/// `:embedContent` (`{content}`) and `:batchEmbedContents` (`{requests: [{content}]}`).
async fn embed(state: AppState, model: String, batch: bool, req: Request) -> Response {
    let id = request_id::from_headers(req.headers());
    let result = async {
        let inbound = super::read_inbound(
            &state,
            Dialect::Gemini,
            Operation::Embeddings,
            req,
            stream_event,
            None,
        )
        .await?;
        let body: serde_json::Value = serde_json::from_slice(&inbound.body)
            .map_err(|e| GatewayError::from(ErrorKind::InvalidJson(e.to_string())))?;
        let requests: Vec<&serde_json::Value> = if batch {
            body["requests"]
                .as_array()
                .map(|r| r.iter().collect())
                .ok_or_else(|| {
                    GatewayError::invalid("requests", "`requests` must be a list of {content}")
                })?
        } else {
            vec![&body]
        };
        let mut inputs = Vec::with_capacity(requests.len());
        let mut dimensions = None;
        for r in requests {
            let parts = r["content"]["parts"].as_array().ok_or_else(|| {
                GatewayError::invalid("content", "`content.parts` must be a list of {text}")
            })?;
            let text: String = parts.iter().filter_map(|p| p["text"].as_str()).collect();
            inputs.push(text);
            dimensions = r["outputDimensionality"].as_u64().map(|d| d as u32);
        }
        state
            .gateway
            .embed(EmbedCall {
                // A forward's path rules choose the group whatever the model.
                model: inbound.group.clone().unwrap_or(model),
                inputs,
                dimensions,
                request_id: inbound.request_id.clone(),
                client: Dialect::Gemini,
                caller: inbound.caller.clone(),
                key: inbound.key.clone(),
                headers: inbound.headers.clone(),
            })
            .await
    }
    .await;
    match result {
        Ok(embedded) => {
            let values: Vec<_> = embedded
                .vectors
                .iter()
                .map(|v| json!({ "values": v }))
                .collect();
            let answer = if batch {
                json!({ "embeddings": values })
            } else {
                json!({ "embedding": values.into_iter().next().unwrap_or_default() })
            };
            super::with_cost(super::json_response(&answer, id), embedded.cost_usd)
        }
        Err(err) => error_response::response(Dialect::Gemini, &err, id),
    }
}

/// Whether the query string has `name=value`.
fn query_has(query: Option<&str>, name: &str, value: &str) -> bool {
    query.is_some_and(|q| {
        q.split('&')
            .filter_map(|pair| pair.split_once('='))
            .any(|(k, v)| k == name && v == value)
    })
}

/// One Gemini model resource.
fn model_resource(id: &str, description: Option<&str>) -> serde_json::Value {
    json!({
        "name": format!("models/{id}"),
        "baseModelId": id,
        "version": "llmux",
        "displayName": id,
        "description": description.unwrap_or_default(),
        "supportedGenerationMethods": ["generateContent", "streamGenerateContent", "countTokens", "embedContent"],
    })
}

async fn list_models(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let snapshot = state.gateway.snapshot();
    let models: Vec<_> = snapshot
        .model_ids()
        .map(|(id, _)| model_resource(&id, None))
        .collect();
    super::with_id(Json(json!({ "models": models })).into_response(), &headers)
}

async fn get_model(
    State(state): State<AppState>,
    Path(rest): Path<String>,
    headers: HeaderMap,
) -> Response {
    let id = rest.strip_prefix("models/").unwrap_or(&rest);
    let snapshot = state.gateway.snapshot();
    match snapshot.resolve(id) {
        Ok(_) => super::with_id(Json(model_resource(id, None)).into_response(), &headers),
        Err(err) => {
            error_response::response(Dialect::Gemini, &err, request_id::from_headers(&headers))
        }
    }
}

fn error(req: &Request<Body>, kind: ErrorKind) -> Response {
    let err: GatewayError = kind.into();
    error_response::response(
        Dialect::Gemini,
        &err,
        request_id::from_headers(req.headers()),
    )
}

/// One stream event carrying `err`, for a Gemini stream that fails after it started.
pub fn stream_event(err: &GatewayError) -> bytes::Bytes {
    error_response::gemini_stream_event(err)
}

#[cfg(test)]
mod tests {
    use super::query_has;

    #[test]
    fn alt_sse_is_found_among_other_parameters() {
        assert!(query_has(Some("alt=sse"), "alt", "sse"));
        assert!(query_has(Some("key=abc&alt=sse"), "alt", "sse"));
        assert!(!query_has(Some("alt=json"), "alt", "sse"));
        assert!(!query_has(None, "alt", "sse"));
    }
}
