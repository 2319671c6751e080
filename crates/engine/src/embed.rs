//! Embeddings for client APIs other than OpenAI's (Gemini `embedContent`, Ollama `/api/embed`),
//! served by any provider with an embeddings API: the texts go out in the provider's own shape
//! and the vectors come back as plain numbers for the client's surface to render.

use std::time::Instant;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method};
use llmux_protocol::{Dialect, Usage};
use llmux_providers::{Operation, ProviderKind};
use serde_json::{json, Value};

use crate::error::{ErrorKind, GatewayError};
use crate::gateway::Gateway;
use crate::record::{Recorder, RequestRecord};
use crate::snapshot::{Provider, Route};
use crate::translate::{provider_error, read_all};
use crate::upstream;

/// An embeddings call, whatever client API it came from.
#[derive(Debug, Clone)]
pub struct EmbedCall {
    /// Requested model.
    pub model: String,
    /// The texts, one vector each.
    pub inputs: Vec<String>,
    /// Requested vector size, where the provider can shorten vectors.
    pub dimensions: Option<u32>,
    /// The request id, sent upstream.
    pub request_id: HeaderValue,
    /// The client's API, for the usage record.
    pub client: Dialect,
    /// Who sent it, for the usage record.
    pub caller: crate::caller::Caller,
    /// The llmux key it was admitted with (auth `proxy_key`).
    pub key: Option<std::sync::Arc<crate::access::KeyEntry>>,
    /// The client's headers (tags).
    pub headers: HeaderMap,
}

/// The vectors of an [`EmbedCall`], in input order.
#[derive(Debug, Clone, PartialEq)]
pub struct Embedded {
    /// The model that served it (`provider/model` resolution applied).
    pub model: String,
    /// One vector per input.
    pub vectors: Vec<Vec<f64>>,
    /// Input tokens, when the provider reports them.
    pub prompt_tokens: Option<u64>,
    /// Cost in USD (the record's), for the `x-llmux-cost-usd` header; `None` when unknown.
    pub cost_usd: Option<f64>,
}

impl Gateway {
    /// Embeds `call.inputs` with the provider `call.model` resolves to.
    /// A call that fails gets a record of its own (no upstream answered it).
    pub async fn embed(&self, call: EmbedCall) -> Result<Embedded, GatewayError> {
        let started = Instant::now();
        let result = self.embed_call(&call, started).await;
        if let Err(e) = &result {
            let what = (call.client, Operation::Embeddings);
            let model = call.model.clone();
            self.record_refusal(&call.request_id, what, model, &call.caller, e, started);
        }
        result
    }

    async fn embed_call(
        &self,
        call: &EmbedCall,
        started: Instant,
    ) -> Result<Embedded, GatewayError> {
        let snapshot = self.snapshot();
        let (model, tags) =
            crate::access::tags_of(&snapshot, &call.headers, call.key.as_deref(), &call.model)?;
        let route = snapshot.resolve(&model)?;
        let mut caller = call.caller.clone();
        caller.tags = tags;
        if let Some(key) = call.key.as_deref() {
            let bytes = call.inputs.iter().map(String::len).sum();
            let admission = crate::access::admit(key, bytes, None, &model, 0)?;
            caller.admission = Some(std::sync::Arc::new(admission));
        }
        let provider = route.provider;
        let (url, body) = request_for(&route, call)?;
        let mut headers = HeaderMap::new();
        crate::passthrough::add_provider_headers(&mut headers, provider, &call.request_id);
        let response = upstream::send(provider, Method::POST, &url, headers, body).await?;
        if !response.status.is_success() {
            return Err(provider_error(&provider.id, response).await);
        }
        let bytes = read_all(&provider.id, response.body, provider.timeouts.total).await?;
        let (vectors, prompt_tokens) = parse_answer(provider, &bytes)?;
        if vectors.len() != call.inputs.len() {
            return Err(broken(
                provider,
                format!("{} vectors for {} inputs", vectors.len(), call.inputs.len()),
            ));
        }
        let record = RequestRecord::for_route(
            &call.request_id,
            call.client,
            Operation::Embeddings,
            model.clone(),
            &route,
            200,
            false,
            &caller,
        );
        let mut recorder = Recorder::new(self.sink(), started, record, snapshot.pricing.clone());
        if let Some(tokens) = prompt_tokens {
            recorder.usage(Usage {
                prompt_tokens: tokens,
                ..Usage::default()
            });
        }
        let cost_usd = recorder.answer_cost();
        recorder.finish();
        Ok(Embedded {
            model: call.model.clone(),
            vectors,
            prompt_tokens,
            cost_usd,
        })
    }
}

/// The provider URL and body for an embeddings call.
fn request_for(route: &Route<'_>, call: &EmbedCall) -> Result<(String, Bytes), GatewayError> {
    let provider = route.provider;
    let model = route.model;
    let body = match provider.kind.dialect() {
        Dialect::OpenAiChat => {
            let mut body = json!({"model": model, "input": call.inputs, "encoding_format": "float"});
            if let Some(d) = call.dimensions {
                body["dimensions"] = json!(d);
            }
            (provider.url(Operation::Embeddings, model), body)
        }
        Dialect::Gemini => {
            let requests: Vec<Value> = call
                .inputs
                .iter()
                .map(|text| {
                    let mut r = json!({
                        "model": format!("models/{model}"),
                        "content": {"parts": [{"text": text}]},
                    });
                    if let Some(d) = call.dimensions {
                        r["outputDimensionality"] = json!(d);
                    }
                    r
                })
                .collect();
            (
                format!("{}/models/{model}:batchEmbedContents", provider.base_url),
                json!({ "requests": requests }),
            )
        }
        Dialect::Ollama => {
            let mut body = json!({"model": model, "input": call.inputs});
            if let Some(d) = call.dimensions {
                body["dimensions"] = json!(d);
            }
            (provider.url(Operation::Embeddings, model), body)
        }
        Dialect::Anthropic | Dialect::OpenAiResponses => {
            return Err(ErrorKind::InvalidRequest(format!(
                "the model `{}` is served by provider `{}` ({}), which has no embeddings API; use an embedding model of another provider",
                call.model,
                provider.id,
                provider.kind.as_str()
            ))
            .into())
        }
    };
    let (url, body) = body;
    let bytes = serde_json::to_vec(&body)
        .map_err(|e| GatewayError::from(ErrorKind::Internal(e.to_string())))?;
    Ok((url, Bytes::from(bytes)))
}

/// Vectors and input tokens from a provider's embeddings answer.
fn parse_answer(
    provider: &Provider,
    bytes: &[u8],
) -> Result<(Vec<Vec<f64>>, Option<u64>), GatewayError> {
    let value: Value = serde_json::from_slice(bytes)
        .map_err(|e| broken(provider, format!("unreadable embeddings answer: {e}")))?;
    let numbers =
        |v: &Value| -> Option<Vec<f64>> { v.as_array()?.iter().map(Value::as_f64).collect() };
    let (vectors, tokens) = match provider.kind {
        ProviderKind::Gemini => {
            let list = value["embeddings"].as_array().cloned().unwrap_or_default();
            let vectors = list.iter().map(|e| numbers(&e["values"])).collect();
            (vectors, None)
        }
        ProviderKind::Ollama => {
            let list = value["embeddings"].as_array().cloned().unwrap_or_default();
            let vectors = list.iter().map(numbers).collect();
            (vectors, value["prompt_eval_count"].as_u64())
        }
        _ => {
            let mut data = value["data"].as_array().cloned().unwrap_or_default();
            data.sort_by_key(|d| d["index"].as_u64().unwrap_or(0));
            let vectors = data.iter().map(|d| numbers(&d["embedding"])).collect();
            (vectors, value["usage"]["prompt_tokens"].as_u64())
        }
    };
    let vectors: Option<Vec<Vec<f64>>> = vectors;
    let vectors =
        vectors.ok_or_else(|| broken(provider, "an embedding is not a list of numbers".into()))?;
    Ok((vectors, tokens))
}

fn broken(provider: &Provider, detail: String) -> GatewayError {
    ErrorKind::UpstreamBroken {
        provider: provider.id.clone(),
        detail,
    }
    .into()
}
