//! OpenAI wire details the passthrough path needs: usage in bodies and stream chunks, and the
//! `{"error":{...}}` error shape.

use serde::{Deserialize, Serialize};

use crate::Usage;

/// OpenAI's `usage` object (chat, completions, embeddings).
#[derive(Debug, Deserialize, Default)]
pub(crate) struct WireUsage {
    #[serde(default)]
    prompt_tokens: u64,
    #[serde(default)]
    completion_tokens: u64,
    #[serde(default)]
    prompt_tokens_details: Option<PromptDetails>,
    #[serde(default)]
    completion_tokens_details: Option<CompletionDetails>,
}

#[derive(Debug, Deserialize, Default)]
struct PromptDetails {
    #[serde(default)]
    cached_tokens: Option<u64>,
}

#[derive(Debug, Deserialize, Default)]
struct CompletionDetails {
    #[serde(default)]
    reasoning_tokens: Option<u64>,
}

impl From<WireUsage> for Usage {
    fn from(w: WireUsage) -> Self {
        Usage {
            prompt_tokens: w.prompt_tokens,
            completion_tokens: w.completion_tokens,
            cached_tokens: w
                .prompt_tokens_details
                .and_then(|d| d.cached_tokens)
                .unwrap_or(0),
            reasoning_tokens: w
                .completion_tokens_details
                .and_then(|d| d.reasoning_tokens)
                .unwrap_or(0),
            // OpenAI caches automatically and reports no cache writes.
            cache_write_tokens: 0,
        }
    }
}

/// Position of the value of a non-null `"usage"` member in `json`, found without parsing:
/// the offset of the `{` that opens it. Looks at the last occurrence first.
pub(crate) fn usage_object_start(json: &[u8]) -> Option<usize> {
    static USAGE_KEY: std::sync::LazyLock<memchr::memmem::FinderRev<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::FinderRev::new(b"\"usage\""));
    object_member_start(json, &USAGE_KEY)
}

/// Position of the `{` opening the value of the last member whose quoted key `finder` finds,
/// skipping occurrences that are not followed by `:` and an object (e.g. inside strings).
pub(crate) fn object_member_start(
    json: &[u8],
    finder: &memchr::memmem::FinderRev<'_>,
) -> Option<usize> {
    let key_len = finder.needle().len();
    let mut end = json.len();
    while let Some(pos) = finder.rfind(&json[..end]) {
        let after = &json[pos + key_len..];
        let value_at = after
            .iter()
            .position(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b':'))?;
        // Only a `:` and whitespace may separate the key from its value.
        if after[..value_at].iter().filter(|b| **b == b':').count() == 1 && after[value_at] == b'{'
        {
            return Some(pos + key_len + value_at);
        }
        end = pos;
    }
    None
}

/// Reads a non-null `usage` object out of one stream chunk's `data` payload.
///
/// Cheap when the chunk has no usage (a byte search, no parse), which is every chunk but one.
pub fn chunk_usage(data: &[u8]) -> Option<Usage> {
    let start = usage_object_start(data)?;
    let mut stream = serde_json::Deserializer::from_slice(&data[start..]).into_iter::<WireUsage>();
    stream.next()?.ok().map(Usage::from)
}

/// Reads `usage` from the final bytes of a non-streamed response body.
///
/// `tail` may start in the middle of the document: only the `usage` object itself must be
/// whole, which holds for every OpenAI-family response, where `usage` comes last or near it.
pub fn tail_usage(tail: &[u8]) -> Option<Usage> {
    chunk_usage(tail)
}

/// The exact cost in USD an OpenRouter answer states in its `usage` object (a non-streamed
/// body's tail, or the final stream chunk's payload): `usage.cost`, what OpenRouter charged;
/// with `usage.is_byok: true` (the request ran on the caller's own provider key) plus
/// `usage.cost_details.upstream_inference_cost`, which that provider bills separately.
///
/// `None` when the usage object has no numeric `cost`, or the sum is negative or not finite.
pub fn reported_cost(data: &[u8]) -> Option<f64> {
    #[derive(Deserialize)]
    struct Wire {
        #[serde(default)]
        cost: Option<f64>,
        #[serde(default)]
        is_byok: Option<bool>,
        #[serde(default)]
        cost_details: Option<Details>,
    }
    #[derive(Deserialize)]
    struct Details {
        #[serde(default)]
        upstream_inference_cost: Option<f64>,
    }
    let start = usage_object_start(data)?;
    let mut values = serde_json::Deserializer::from_slice(&data[start..]).into_iter::<Wire>();
    let w = values.next()?.ok()?;
    let upstream = match w.is_byok {
        Some(true) => w
            .cost_details
            .and_then(|d| d.upstream_inference_cost)
            .unwrap_or(0.0),
        _ => 0.0,
    };
    Some(w.cost? + upstream).filter(|c| c.is_finite() && *c >= 0.0)
}

/// True when a chunk payload is the extra usage-only chunk (`"choices":[]` plus `usage`) that
/// `stream_options.include_usage` adds at the end of a stream.
pub fn is_usage_only_chunk(data: &[u8]) -> bool {
    #[derive(Deserialize)]
    struct Probe<'a> {
        #[serde(borrow, default)]
        choices: Option<Vec<&'a serde_json::value::RawValue>>,
    }
    usage_object_start(data).is_some()
        && serde_json::from_slice::<Probe<'_>>(data)
            .map(|p| p.choices.map(|c| c.is_empty()).unwrap_or(true))
            .unwrap_or(false)
}

/// The body of an OpenAI-shaped error.
#[derive(Debug, Serialize)]
pub struct ErrorBody<'a> {
    /// The error object.
    pub error: ErrorDetail<'a>,
}

/// The `error` member of an OpenAI-shaped error.
#[derive(Debug, Serialize)]
pub struct ErrorDetail<'a> {
    /// What went wrong and what to do about it.
    pub message: &'a str,
    /// Error class, e.g. `invalid_request_error`.
    #[serde(rename = "type")]
    pub kind: &'a str,
    /// The request parameter at fault, if any.
    pub param: Option<&'a str>,
    /// A machine-readable code, e.g. `model_not_found`.
    pub code: Option<&'a str>,
}

/// Renders an OpenAI-shaped error body.
pub fn error_body(message: &str, kind: &str, param: Option<&str>, code: Option<&str>) -> Vec<u8> {
    let body = ErrorBody {
        error: ErrorDetail {
            message,
            kind,
            param,
            code,
        },
    };
    serde_json::to_vec(&body).unwrap_or_else(|_| b"{\"error\":{}}".to_vec())
}

#[cfg(test)]
mod tests;
