//! Scripted answers for the native APIs of Gemini and Ollama that have no captured fixture:
//! embeddings, token counts, and the JSON-array form of a Gemini stream (built from the
//! captured SSE stream, so its chunks are the real ones).

use bytes::Bytes;
use serde_json::{json, Value};

/// A deterministic vector of 8 numbers for input `i`.
fn vector(i: usize) -> Vec<f64> {
    (0..8)
        .map(|j| {
            let x = ((i * 8 + j) as f64 * 0.618_034).fract() - 0.5;
            (x * 1e6).round() / 1e6
        })
        .collect()
}

/// Gemini `:batchEmbedContents` (`{requests}`) or `:embedContent` (`{content}`).
pub(crate) fn gemini_embed(body: &[u8], batch: bool) -> Result<Bytes, String> {
    let v: Value = serde_json::from_slice(body).map_err(|e| format!("invalid JSON: {e}"))?;
    let answer = if batch {
        let n = v["requests"]
            .as_array()
            .ok_or("`requests` must be a list")?
            .len();
        let list: Vec<Value> = (0..n).map(|i| json!({ "values": vector(i) })).collect();
        json!({ "embeddings": list })
    } else {
        json!({ "embedding": { "values": vector(0) } })
    };
    Ok(Bytes::from(answer.to_string()))
}

/// Ollama `/api/embed` (`input`: string or list).
pub(crate) fn ollama_embed(body: &[u8]) -> Result<Bytes, String> {
    let v: Value = serde_json::from_slice(body).map_err(|e| format!("invalid JSON: {e}"))?;
    let inputs: Vec<String> = match &v["input"] {
        Value::String(s) => vec![s.clone()],
        Value::Array(a) => a
            .iter()
            .map(|x| x.as_str().unwrap_or("").to_owned())
            .collect(),
        _ => return Err("input is required".into()),
    };
    let tokens: usize = inputs
        .iter()
        .map(|s| s.split_whitespace().count().max(1))
        .sum();
    let list: Vec<Vec<f64>> = (0..inputs.len()).map(vector).collect();
    Ok(Bytes::from(
        json!({
            "model": v["model"],
            "embeddings": list,
            "total_duration": 1000,
            "load_duration": 10,
            "prompt_eval_count": tokens,
        })
        .to_string(),
    ))
}

/// Gemini `:countTokens`: one token per whitespace-separated word of every text part.
pub(crate) fn gemini_count(body: &[u8]) -> Bytes {
    let v: Value = serde_json::from_slice(body).unwrap_or_default();
    let contents = if v["contents"].is_array() {
        &v["contents"]
    } else {
        &v["generateContentRequest"]["contents"]
    };
    let words: usize = contents
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|c| c["parts"].as_array().into_iter().flatten())
        .filter_map(|p| p["text"].as_str())
        .map(|t| t.split_whitespace().count())
        .sum();
    Bytes::from(json!({ "totalTokens": words }).to_string())
}

/// The frames of a Gemini SSE stream re-sent as the JSON-array form: `[` + chunk, then
/// `,\r\n` + chunk for each further one, then `]`.
pub(crate) fn sse_to_json_array(frames: &[Bytes]) -> Vec<Bytes> {
    let mut out = Vec::with_capacity(frames.len() + 1);
    for frame in frames {
        let text = String::from_utf8_lossy(frame);
        let Some(data) = text.trim().strip_prefix("data:") else {
            continue;
        };
        let sep = if out.is_empty() { "[" } else { ",\r\n" };
        out.push(Bytes::from(format!("{sep}{}", data.trim())));
    }
    out.push(Bytes::from_static(if frames.is_empty() {
        b"[]"
    } else {
        b"]"
    }));
    out
}
