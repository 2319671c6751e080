//! Serde shapes of the Responses wire format shared by requests, answers and streams, and the
//! small conversions between them and the canonical model (usage, stop reasons, media, ids).

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::canonical::{ContentBlock, StopReason};
use crate::Usage;

/// `usage` of a response (`input_tokens` already includes cache reads and writes,
/// `output_tokens` reasoning tokens: the canonical convention).
#[derive(Debug, Default, Deserialize)]
pub(super) struct WireUsage {
    #[serde(default)]
    input_tokens: u64,
    #[serde(default)]
    output_tokens: u64,
    #[serde(default)]
    input_tokens_details: Option<InputDetails>,
    #[serde(default)]
    output_tokens_details: Option<OutputDetails>,
}

#[derive(Debug, Default, Deserialize)]
struct InputDetails {
    #[serde(default)]
    cached_tokens: Option<u64>,
    #[serde(default)]
    cache_write_tokens: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
struct OutputDetails {
    #[serde(default)]
    reasoning_tokens: Option<u64>,
}

impl From<WireUsage> for Usage {
    fn from(w: WireUsage) -> Self {
        let input = w.input_tokens_details.unwrap_or_default();
        Usage {
            prompt_tokens: w.input_tokens,
            completion_tokens: w.output_tokens,
            cached_tokens: input.cached_tokens.unwrap_or(0),
            reasoning_tokens: w
                .output_tokens_details
                .and_then(|d| d.reasoning_tokens)
                .unwrap_or(0),
            cache_write_tokens: input.cache_write_tokens.unwrap_or(0),
        }
    }
}

/// The wire `usage` object of canonical usage.
#[derive(Debug, Serialize)]
pub(super) struct UsageOut {
    input_tokens: u64,
    input_tokens_details: CachedOut,
    output_tokens: u64,
    output_tokens_details: ReasoningTokensOut,
    total_tokens: u64,
}

#[derive(Debug, Serialize)]
struct CachedOut {
    cached_tokens: u64,
    cache_write_tokens: u64,
}

#[derive(Debug, Serialize)]
struct ReasoningTokensOut {
    reasoning_tokens: u64,
}

impl From<&Usage> for UsageOut {
    fn from(u: &Usage) -> Self {
        UsageOut {
            input_tokens: u.prompt_tokens,
            input_tokens_details: CachedOut {
                cached_tokens: u.cached_tokens,
                cache_write_tokens: u.cache_write_tokens,
            },
            output_tokens: u.completion_tokens,
            output_tokens_details: ReasoningTokensOut {
                reasoning_tokens: u.reasoning_tokens,
            },
            total_tokens: u.total(),
        }
    }
}

/// `error` of a failed response, or of an `error` stream event.
#[derive(Debug, Default, Deserialize)]
pub(super) struct WireError {
    #[serde(default)]
    pub code: Option<Value>,
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
}

impl WireError {
    /// The error class: the `code` (a string or a number), else the `type`, else `fallback`.
    pub fn kind_or(&self, fallback: &str) -> String {
        match &self.code {
            Some(Value::String(s)) if !s.is_empty() => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => self
                .kind
                .clone()
                .filter(|k| !k.is_empty())
                .unwrap_or_else(|| fallback.to_owned()),
        }
    }
}

/// `incomplete_details` of a response.
#[derive(Debug, Default, Deserialize)]
pub(super) struct IncompleteDetails {
    #[serde(default)]
    pub reason: Option<String>,
}

/// One item of a response's `output`, as far as the canonical model carries it.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(super) enum OutputItem {
    /// An assistant message.
    Message {
        #[serde(default)]
        content: Option<Vec<OutputPart>>,
    },
    /// A call of a function tool.
    FunctionCall {
        #[serde(default)]
        id: Option<String>,
        #[serde(default)]
        call_id: Option<String>,
        #[serde(default)]
        name: Option<String>,
        #[serde(default)]
        arguments: Option<String>,
    },
    /// Reasoning: summary text, raw reasoning text (open-weight models), encrypted content.
    Reasoning {
        #[serde(default)]
        summary: Option<Vec<TextPart>>,
        #[serde(default)]
        content: Option<Vec<TextPart>>,
        #[serde(default)]
        encrypted_content: Option<String>,
    },
    /// Built-in tool calls and anything newer: not carried.
    #[serde(other)]
    Other,
}

/// A content part of an output message.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(super) enum OutputPart {
    /// Text (annotations and logprobs are not carried).
    OutputText {
        #[serde(default)]
        text: String,
    },
    /// A refusal.
    Refusal {
        #[serde(default)]
        refusal: String,
    },
    /// Anything newer.
    #[serde(other)]
    Other,
}

/// A `summary_text` or `reasoning_text` part.
#[derive(Debug, Deserialize)]
pub(super) struct TextPart {
    #[serde(default)]
    pub text: String,
}

/// The text of a reasoning item: its summary parts joined by blank lines, or else its raw
/// reasoning text.
pub(super) fn reasoning_text(summary: &[TextPart], content: &[TextPart]) -> String {
    let join = |parts: &[TextPart]| {
        parts
            .iter()
            .map(|p| p.text.as_str())
            .filter(|t| !t.is_empty())
            .collect::<Vec<_>>()
            .join("\n\n")
    };
    let text = join(summary);
    if text.is_empty() {
        join(content)
    } else {
        text
    }
}

/// The canonical block of a reasoning item: `Thinking` (with the encrypted content as its
/// signature) when it has text, `RedactedThinking` when it has only encrypted content.
pub(super) fn reasoning_block(text: String, encrypted: Option<String>) -> Option<ContentBlock> {
    let encrypted = encrypted.filter(|e| !e.is_empty());
    if !text.is_empty() {
        Some(ContentBlock::Thinking {
            text,
            signature: encrypted,
        })
    } else {
        encrypted.map(|data| ContentBlock::RedactedThinking { data })
    }
}

/// Tool-call arguments as a canonical input: `{}` when empty, the parsed JSON when valid,
/// else a JSON string holding the raw text.
pub(super) fn lenient_arguments(raw: String) -> Value {
    if raw.trim().is_empty() {
        Value::Object(serde_json::Map::new())
    } else {
        serde_json::from_str(&raw).unwrap_or(Value::String(raw))
    }
}

/// The `arguments` string of a canonical tool input (a string input holds raw arguments that
/// were not valid JSON and is passed through).
pub(super) fn arguments_string(input: &Value) -> Cow<'_, str> {
    match input {
        Value::String(raw) => Cow::Borrowed(raw),
        other => Cow::Owned(other.to_string()),
    }
}

/// The canonical stop reason of a finished response.
///
/// `incomplete` maps its reason (`max_output_tokens`, `content_filter`, others kept by name);
/// a completed response that refused is [`StopReason::Refusal`], one with function calls
/// [`StopReason::ToolUse`], else [`StopReason::EndTurn`]. Unfinished statuses are kept by name.
pub(super) fn stop_reason(
    status: Option<&str>,
    incomplete_reason: Option<&str>,
    has_calls: bool,
    has_refusal: bool,
) -> Option<StopReason> {
    Some(match status {
        Some("incomplete") => match incomplete_reason {
            Some("max_output_tokens") => StopReason::MaxTokens,
            Some("content_filter") => StopReason::ContentFilter,
            other => StopReason::Other {
                value: other.unwrap_or("incomplete").to_owned(),
            },
        },
        None | Some("completed") if has_refusal => StopReason::Refusal,
        None | Some("completed") if has_calls => StopReason::ToolUse,
        None | Some("completed") => StopReason::EndTurn,
        Some(other) => StopReason::Other {
            value: other.to_owned(),
        },
    })
}

/// The wire `status` and `incomplete_details.reason` of a canonical stop reason.
pub(super) fn status_of(stop: Option<&StopReason>) -> (&'static str, Option<&'static str>) {
    match stop {
        Some(StopReason::MaxTokens) => ("incomplete", Some("max_output_tokens")),
        Some(StopReason::ContentFilter) => ("incomplete", Some("content_filter")),
        _ => ("completed", None),
    }
}

/// The Responses id for a canonical id: kept when it already is one, else prefixed.
pub(super) fn response_id(id: &str) -> String {
    if id.starts_with("resp_") {
        id.to_owned()
    } else if id.is_empty() {
        "resp_llmux".to_owned()
    } else {
        format!("resp_{id}")
    }
}

/// An output item id (`msg_...`, `rs_...`) unique within the response `resp_id`.
pub(super) fn item_id(prefix: &str, resp_id: &str, n: usize) -> String {
    let base = resp_id.strip_prefix("resp_").unwrap_or(resp_id);
    format!("{prefix}_{base}_{n}")
}

/// The `fc_...` item id of a function call, derived from its call id.
pub(super) fn call_item_id(call_id: &str) -> String {
    if call_id.starts_with("fc_") {
        call_id.to_owned()
    } else {
        format!("fc_{}", call_id.strip_prefix("call_").unwrap_or(call_id))
    }
}

/// Whether opaque reasoning data was made by OpenAI: its encrypted reasoning is a Fernet token,
/// whose version byte and zero high timestamp bytes always encode as `gAAAAA`. Signatures of
/// other providers would be rejected as `encrypted_content`.
pub(super) fn is_openai_encrypted(data: &str) -> bool {
    data.starts_with("gAAAAA")
}

pub(super) use crate::dialects::openai_common::{data_url, media_from_url};

/// An empty JSON array (`annotations`, `logprobs`).
#[derive(Debug, Clone, Copy)]
pub(super) struct EmptyList;

impl Serialize for EmptyList {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        s.serialize_seq(Some(0))?.end()
    }
}

/// An empty JSON object (`metadata`).
#[derive(Debug, Clone, Copy, Serialize)]
pub(super) struct EmptyObject {}

/// A content part of an output message, as sent.
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(super) enum PartOut<'a> {
    OutputText {
        annotations: EmptyList,
        logprobs: EmptyList,
        text: &'a str,
    },
    Refusal {
        refusal: &'a str,
    },
}

impl<'a> PartOut<'a> {
    /// An `output_text` part.
    pub fn text(text: &'a str) -> Self {
        PartOut::OutputText {
            annotations: EmptyList,
            logprobs: EmptyList,
            text,
        }
    }
}

/// A `summary_text` part, as sent.
#[derive(Debug, Serialize)]
pub(super) struct SummaryOut<'a> {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub text: &'a str,
}

impl<'a> SummaryOut<'a> {
    /// A `summary_text` part.
    pub fn new(text: &'a str) -> Self {
        SummaryOut {
            kind: "summary_text",
            text,
        }
    }
}

/// An output item, as sent (in a response object or a stream event).
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(super) enum ItemOut<'a> {
    Message {
        id: &'a str,
        status: &'static str,
        role: &'static str,
        content: Vec<PartOut<'a>>,
    },
    Reasoning {
        id: &'a str,
        summary: Vec<SummaryOut<'a>>,
        #[serde(skip_serializing_if = "Option::is_none")]
        encrypted_content: Option<&'a str>,
    },
    FunctionCall {
        id: &'a str,
        call_id: &'a str,
        name: &'a str,
        arguments: &'a str,
        status: &'static str,
    },
}
