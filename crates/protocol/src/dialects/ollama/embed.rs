//! The client side of `/api/embed` and the legacy `/api/embeddings`, served by an OpenAI-style
//! `/v1/embeddings` provider.

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{json, Map, Value};

use super::wire::{error_message, parse_object};
use crate::dialects::DecodeError;

/// An embeddings request, whichever of Ollama's two endpoints it came from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EmbedRequest {
    /// Requested model name.
    pub model: String,
    /// Texts to embed, in order (`input` as a string or a list, or the legacy `prompt`).
    pub inputs: Vec<String>,
    /// The legacy `/api/embeddings` shape (`prompt` in, `{"embedding": [...]}` out). Decoding
    /// sets it when the body has `prompt` and no `input`; a caller that knows the route may
    /// set it from the path instead.
    pub legacy: bool,
    /// Ollama `truncate` (cut inputs to the context length); OpenAI has no such switch, so it
    /// is not sent upstream.
    pub truncate: Option<bool>,
    /// Output dimensions, when asked for.
    pub dimensions: Option<u32>,
}

#[derive(Debug, Default, Deserialize)]
struct WireEmbedRequest {
    #[serde(default)]
    model: String,
    #[serde(default)]
    input: Option<Value>,
    #[serde(default)]
    prompt: Option<String>,
    #[serde(default)]
    truncate: Option<bool>,
    #[serde(default)]
    dimensions: Option<u32>,
}

/// Decodes an `/api/embed` (`input`: a string or a list of strings) or `/api/embeddings`
/// (`prompt`: a string) body. Without either, `inputs` is empty: Ollama's idiom to load a
/// model, which a caller may answer at once with an empty result.
pub fn decode_embed_request(body: &[u8]) -> Result<EmbedRequest, DecodeError> {
    let w: WireEmbedRequest = parse_object(body, "Ollama embed request")?;
    let (inputs, legacy) = match w.input {
        Some(Value::String(s)) => (vec![s], false),
        Some(Value::Array(items)) => {
            let mut inputs = Vec::with_capacity(items.len());
            for (i, item) in items.into_iter().enumerate() {
                let Value::String(s) = item else {
                    return Err(DecodeError::new(format!("`input[{i}]`: expected a string")));
                };
                inputs.push(s);
            }
            (inputs, false)
        }
        Some(Value::Null) | None => match w.prompt {
            Some(p) => (vec![p], true),
            None => (Vec::new(), false),
        },
        Some(_) => {
            return Err(DecodeError::new(
                "`input`: expected a string or a list of strings",
            ))
        }
    };
    Ok(EmbedRequest {
        model: w.model,
        inputs,
        legacy,
        truncate: w.truncate,
        dimensions: w.dimensions,
    })
}

/// The OpenAI `/v1/embeddings` request body for an embeddings request (float encoding).
pub fn to_openai_embeddings_body(req: &EmbedRequest) -> Vec<u8> {
    let mut body = Map::new();
    body.insert("model".into(), json!(req.model));
    body.insert("input".into(), json!(req.inputs));
    body.insert("encoding_format".into(), json!("float"));
    if let Some(d) = req.dimensions {
        body.insert("dimensions".into(), json!(d));
    }
    serde_json::to_vec(&Value::Object(body)).unwrap_or_default()
}

#[derive(Debug, Deserialize)]
struct OpenAiEmbeddings {
    #[serde(default)]
    data: Vec<OpenAiEmbedding>,
    #[serde(default)]
    usage: Option<OpenAiUsage>,
    #[serde(default)]
    error: Option<Value>,
}

#[derive(Debug, Deserialize)]
struct OpenAiEmbedding {
    #[serde(default)]
    index: Option<usize>,
    embedding: Box<RawValue>,
}

#[derive(Debug, Deserialize)]
struct OpenAiUsage {
    #[serde(default)]
    prompt_tokens: Option<u64>,
    #[serde(default)]
    total_tokens: Option<u64>,
}

#[derive(Serialize)]
struct EmbedAnswer<'a> {
    model: &'a str,
    embeddings: Vec<&'a RawValue>,
    total_duration: u64,
    load_duration: u64,
    prompt_eval_count: u64,
}

#[derive(Serialize)]
struct LegacyAnswer<'a> {
    embedding: &'a RawValue,
}

/// Ollama's answer for `req` from an OpenAI `/v1/embeddings` answer: `{"model", "embeddings",
/// "total_duration": 0, "load_duration": 0, "prompt_eval_count"}` for `/api/embed`, or
/// `{"embedding": [...]}` for the legacy endpoint. Vectors are copied verbatim, in `index`
/// order; base64-encoded vectors, an `error` body or a count that does not match the inputs
/// are errors.
pub fn from_openai_embeddings(body: &[u8], req: &EmbedRequest) -> Result<Vec<u8>, DecodeError> {
    let mut w: OpenAiEmbeddings = parse_object(body, "OpenAI embeddings response")?;
    if let Some(error) = w.error.take() {
        return Err(DecodeError::new(format!(
            "embeddings provider error: {}",
            error_message(error)
        )));
    }
    if w.data.len() != req.inputs.len() {
        return Err(DecodeError::new(format!(
            "embeddings provider returned {} vectors for {} inputs",
            w.data.len(),
            req.inputs.len()
        )));
    }
    for (i, item) in w.data.iter().enumerate() {
        if !item.embedding.get().trim_start().starts_with('[') {
            return Err(DecodeError::new(format!(
                "`data[{i}].embedding`: expected a list of numbers (float encoding)"
            )));
        }
        // The vectors are passed on as written, so each number must be one every client can
        // read: a float beyond f64's range (`2e1271`) would break Go's and serde's decoders.
        if serde_json::from_str::<Vec<f64>>(item.embedding.get()).is_err() {
            return Err(DecodeError::new(format!(
                "`data[{i}].embedding`: expected a list of finite numbers"
            )));
        }
    }
    // A stable sort: entries without `index` keep their place relative to each other.
    let mut order: Vec<(usize, &RawValue)> = w
        .data
        .iter()
        .enumerate()
        .map(|(pos, item)| (item.index.unwrap_or(pos), item.embedding.as_ref()))
        .collect();
    order.sort_by_key(|(index, _)| *index);
    let vectors: Vec<&RawValue> = order.into_iter().map(|(_, v)| v).collect();
    let answer = if req.legacy {
        let empty =
            RawValue::from_string("[]".to_owned()).map_err(|e| DecodeError::new(e.to_string()))?;
        let embedding = vectors.first().copied().unwrap_or(&empty);
        serde_json::to_vec(&LegacyAnswer { embedding })
    } else {
        let prompt_eval_count = w
            .usage
            .and_then(|u| u.prompt_tokens.or(u.total_tokens))
            .unwrap_or(0);
        serde_json::to_vec(&EmbedAnswer {
            model: &req.model,
            embeddings: vectors,
            total_duration: 0,
            load_duration: 0,
            prompt_eval_count,
        })
    };
    answer.map_err(|e| DecodeError::new(format!("cannot serialise the embeddings answer: {e}")))
}
