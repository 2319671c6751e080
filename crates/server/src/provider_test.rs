//! `POST /api/v1/providers/{id}/test`: a cheap live probe of one provider ("test
//! connection"): its model list, or a one-token chat where there is no list endpoint. The
//! answer carries latency, status, the error text (the provider's credentials scrubbed from
//! it) and the models seen.

use std::time::{Duration, Instant};

use axum::extract::{Path, State};
use axum::http::header::{CONTENT_TYPE, HOST};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use bytes::Bytes;
use http_body_util::{BodyExt, Limited};
use llmux_engine::snapshot::Provider;
use llmux_providers::{Operation, ProviderKind};
use serde::Serialize;
use serde_json::{json, Value};

use crate::AppState;

/// Longest a probe may take, head and body.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(10);
/// Largest probe answer read.
const MAX_PROBE_BODY: usize = 4 << 20;
/// Model ids returned at most.
const MAX_MODELS: usize = 200;
/// Upstream error text kept at most, in characters.
const MAX_ERROR_CHARS: usize = 300;

/// The outcome of one probe.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProbeOutcome {
    /// Whether the provider answered 2xx with a readable body.
    pub ok: bool,
    /// Time from sending to the end of the body (or the failure).
    pub latency_ms: u64,
    /// The upstream status, when one came back.
    pub status: Option<u16>,
    /// What went wrong, if anything (never a credential).
    pub error: Option<String>,
    /// Model ids the list showed (for a chat probe, the model that answered).
    pub models_seen: Vec<String>,
    /// How it was probed: `list_models` or `chat`.
    pub method: &'static str,
}

/// The handler: 404 for an unknown id, else the probe's outcome (200 even when the probe
/// failed: the test ran).
pub async fn test_provider(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    let snapshot = state.gateway.snapshot();
    let Some(provider) = snapshot.provider(&id).cloned() else {
        return (
            StatusCode::NOT_FOUND,
            Json(json!({"error": {"message": format!("no provider `{id}`")}})),
        )
            .into_response();
    };
    Json(probe(&provider).await).into_response()
}

/// Probes `provider` once.
pub async fn probe(provider: &Provider) -> ProbeOutcome {
    let started = Instant::now();
    let plan = plan(provider);
    let (method, kind) = match &plan {
        Plan::List(_) => (Method::GET, "list_models"),
        Plan::Chat { .. } => (Method::POST, "chat"),
        Plan::NoModel => {
            return ProbeOutcome {
                ok: false,
                latency_ms: 0,
                status: None,
                error: Some("the provider lists no model to send a one-token chat to".into()),
                models_seen: Vec::new(),
                method: "chat",
            }
        }
    };
    let (url, body) = match &plan {
        Plan::List(url) => (url.clone(), Bytes::new()),
        Plan::Chat { url, body, .. } => (url.clone(), Bytes::from(body.to_string())),
        Plan::NoModel => (String::new(), Bytes::new()),
    };
    let mut headers = provider.headers.clone();
    headers.remove(HOST);
    if !body.is_empty() {
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    }
    let attempt = tokio::time::timeout(PROBE_TIMEOUT, async {
        let response = llmux_engine::upstream::send_within(
            provider,
            PROBE_TIMEOUT,
            method,
            &url,
            headers,
            body,
        )
        .await
        .map_err(|e| (None, e.to_string()))?;
        let status = response.status;
        let bytes = Limited::new(response.body, MAX_PROBE_BODY)
            .collect()
            .await
            .map_err(|e| (Some(status.as_u16()), format!("reading the answer: {e}")))?
            .to_bytes();
        Ok::<_, (Option<u16>, String)>((status, bytes))
    })
    .await;
    let latency_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    let scrub = |text: String| scrub_secrets(&text, &provider.headers);
    let (status, error, models_seen) = match attempt {
        Err(_) => (
            None,
            Some(format!("no answer within {PROBE_TIMEOUT:?}")),
            Vec::new(),
        ),
        Ok(Err((status, e))) => (status, Some(scrub(e)), Vec::new()),
        Ok(Ok((status, bytes))) if !status.is_success() => {
            let text: String = String::from_utf8_lossy(&bytes)
                .chars()
                .take(MAX_ERROR_CHARS)
                .collect();
            let message = format!("upstream answered {status}: {text}");
            (Some(status.as_u16()), Some(scrub(message)), Vec::new())
        }
        Ok(Ok((status, bytes))) => match serde_json::from_slice::<Value>(&bytes) {
            Ok(v) => (Some(status.as_u16()), None, models_in(&v, &plan)),
            Err(e) => (
                Some(status.as_u16()),
                Some(format!("the answer is not JSON: {e}")),
                Vec::new(),
            ),
        },
    };
    ProbeOutcome {
        ok: error.is_none(),
        latency_ms,
        status,
        error,
        models_seen,
        method: kind,
    }
}

/// What to send.
enum Plan {
    /// GET the model list here.
    List(String),
    /// POST a one-token chat.
    Chat {
        url: String,
        body: Value,
        model: String,
    },
    /// Nothing to chat with.
    NoModel,
}

fn plan(provider: &Provider) -> Plan {
    match provider.kind {
        // Azure lists deployments only with management credentials: a chat is the probe.
        ProviderKind::Azure => match provider.models.first() {
            Some(model) => Plan::Chat {
                url: provider.url(Operation::ChatCompletions, model),
                body: json!({
                    "model": model,
                    "max_tokens": 1,
                    "messages": [{"role": "user", "content": "ping"}],
                }),
                model: model.clone(),
            },
            None => Plan::NoModel,
        },
        ProviderKind::Anthropic => Plan::List(format!("{}/models", provider.base_url)),
        _ => Plan::List(provider.url(Operation::Models, "")),
    }
}

/// Model ids in a list answer: OpenAI / Anthropic `data[].id`, Ollama `models[].name` (or
/// `model`), Gemini `models[].name` without its `models/` prefix.
fn models_in(v: &Value, plan: &Plan) -> Vec<String> {
    if let Plan::Chat { model, .. } = plan {
        return vec![model.clone()];
    }
    let from = |list: Option<&Vec<Value>>, fields: &[&str]| -> Vec<String> {
        list.into_iter()
            .flatten()
            .filter_map(|m| fields.iter().find_map(|f| m.get(*f)?.as_str()))
            .map(|s| s.strip_prefix("models/").unwrap_or(s).to_owned())
            .take(MAX_MODELS)
            .collect()
    };
    let data = from(v.get("data").and_then(Value::as_array), &["id"]);
    if !data.is_empty() {
        return data;
    }
    from(
        v.get("models").and_then(Value::as_array),
        &["name", "model"],
    )
}

/// `text` with every credential the provider sends replaced by `[redacted]`.
pub fn scrub_secrets(text: &str, headers: &HeaderMap) -> String {
    let mut out = text.to_owned();
    for (name, value) in headers {
        let n = name.as_str();
        let credential = n == "authorization" || n.contains("key") || n.contains("token");
        let Ok(v) = value.to_str() else { continue };
        if !credential {
            continue;
        }
        let secret = v
            .strip_prefix("Bearer ")
            .or_else(|| v.strip_prefix("bearer "))
            .unwrap_or(v)
            .trim();
        if secret.len() >= 4 {
            out = out.replace(secret, "[redacted]");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_scrubbed_from_error_text() {
        let mut h = HeaderMap::new();
        h.insert(
            "authorization",
            HeaderValue::from_static("Bearer sk-abc-123456"),
        );
        h.insert("x-goog-api-key", HeaderValue::from_static("AIza-secret"));
        h.insert("x-team", HeaderValue::from_static("infra"));
        let text = "bad key sk-abc-123456 and AIza-secret for team infra";
        assert_eq!(
            scrub_secrets(text, &h),
            "bad key [redacted] and [redacted] for team infra"
        );
    }

    #[test]
    fn model_lists_of_every_shape_are_read() {
        let list = Plan::List(String::new());
        let openai = json!({"data": [{"id": "a"}, {"id": "b"}]});
        assert_eq!(models_in(&openai, &list), ["a", "b"]);
        let ollama = json!({"models": [{"name": "llama3:8b"}, {"model": "qwen"}]});
        assert_eq!(models_in(&ollama, &list), ["llama3:8b", "qwen"]);
        let gemini = json!({"models": [{"name": "models/gemini-2.0-flash"}]});
        assert_eq!(models_in(&gemini, &list), ["gemini-2.0-flash"]);
        assert!(models_in(&json!({}), &list).is_empty());
    }
}
