//! Ollama wire shapes shared by requests, answers and streams.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::canonical::{ContentBlock, StopReason};
use crate::Usage;

/// One message: a `messages[]` entry of a request, or the `message` of an answer.
#[derive(Debug, Default, Deserialize)]
pub(super) struct WireMessage {
    #[serde(default)]
    pub role: Option<String>,
    #[serde(default)]
    pub content: Option<String>,
    #[serde(default)]
    pub images: Option<Vec<String>>,
    #[serde(default)]
    pub tool_calls: Option<Vec<WireToolCall>>,
    #[serde(default)]
    pub thinking: Option<String>,
    #[serde(default)]
    pub tool_name: Option<String>,
    /// Not in Ollama's documented API; some clients send it, and it is the most reliable match.
    #[serde(default)]
    pub tool_call_id: Option<String>,
}

/// One `tool_calls[]` entry.
#[derive(Debug, Default, Deserialize)]
pub(super) struct WireToolCall {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub function: WireFunction,
}

/// A tool call's function.
#[derive(Debug, Default, Deserialize)]
pub(super) struct WireFunction {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub arguments: Option<Value>,
}

/// One `/api/chat` answer or stream line (also `/api/generate`'s, with `response`).
#[derive(Debug, Default, Deserialize)]
pub(super) struct WireChunk {
    #[serde(default)]
    pub model: Option<String>,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub message: Option<WireMessage>,
    #[serde(default)]
    pub response: Option<String>,
    #[serde(default)]
    pub thinking: Option<String>,
    #[serde(default)]
    pub done: Option<bool>,
    #[serde(default)]
    pub done_reason: Option<String>,
    #[serde(default)]
    pub prompt_eval_count: Option<u64>,
    #[serde(default)]
    pub eval_count: Option<u64>,
    #[serde(default)]
    pub error: Option<Value>,
}

impl WireChunk {
    /// Normalised usage, or `None` when the chunk has no count.
    pub fn usage(&self) -> Option<Usage> {
        if self.prompt_eval_count.is_none() && self.eval_count.is_none() {
            return None;
        }
        Some(Usage {
            prompt_tokens: self.prompt_eval_count.unwrap_or(0),
            completion_tokens: self.eval_count.unwrap_or(0),
            ..Usage::default()
        })
    }

    /// The answer's reasoning, text and calls, whichever of `/api/chat` and `/api/generate`
    /// shapes carries them.
    pub fn take_parts(&mut self) -> (String, String, Vec<WireToolCall>) {
        let mut thinking = self.thinking.take().unwrap_or_default();
        let mut text = self.response.take().unwrap_or_default();
        let mut calls = Vec::new();
        if let Some(m) = self.message.take() {
            thinking.push_str(&m.thinking.unwrap_or_default());
            text.push_str(&m.content.unwrap_or_default());
            calls = m.tool_calls.unwrap_or_default();
        }
        (thinking, text, calls)
    }
}

/// The message of an `{"error": ...}` body (a string, or an object with `message`).
pub(super) fn error_message(error: Value) -> String {
    match error {
        Value::String(s) => s,
        Value::Object(ref m) => match m.get("message") {
            Some(Value::String(s)) => s.clone(),
            _ => error.to_string(),
        },
        other => other.to_string(),
    }
}

/// A tool call's arguments as canonical input: an object as is, a JSON string parsed, nothing
/// as `{}`.
pub(super) fn call_input(arguments: Option<Value>) -> Value {
    match arguments {
        None | Some(Value::Null) => Value::Object(Map::new()),
        Some(Value::String(s)) => serde_json::from_str(&s).unwrap_or(Value::String(s)),
        Some(v) => v,
    }
}

/// The canonical id of the `n`th call when the wire gives none.
pub(super) fn call_id(id: Option<String>, n: usize) -> String {
    id.filter(|s| !s.is_empty())
        .unwrap_or_else(|| format!("call_{n}"))
}

/// A response id derived from `created_at` (Ollama answers carry no id).
pub(super) fn response_id(created_at: Option<&str>) -> String {
    let digits: String = created_at
        .unwrap_or_default()
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    if digits.is_empty() {
        "ollama-response".to_owned()
    } else {
        format!("ollama-{digits}")
    }
}

/// The canonical stop reason of a finished answer (`has_calls`: the answer holds tool calls).
pub(super) fn stop_reason_from_wire(done_reason: Option<&str>, has_calls: bool) -> StopReason {
    match done_reason.unwrap_or("stop") {
        "stop" | "" if has_calls => StopReason::ToolUse,
        "stop" | "" => StopReason::EndTurn,
        "length" => StopReason::MaxTokens,
        "content_filter" => StopReason::ContentFilter,
        "refusal" => StopReason::Refusal,
        other => StopReason::Other {
            value: other.to_owned(),
        },
    }
}

/// The `done_reason` for a canonical stop reason (Ollama reports tool calls as `stop`).
pub(super) fn stop_reason_to_wire(reason: Option<&StopReason>) -> &str {
    match reason {
        None
        | Some(StopReason::EndTurn | StopReason::ToolUse | StopReason::StopSequence { .. }) => {
            "stop"
        }
        Some(StopReason::MaxTokens) => "length",
        Some(StopReason::ContentFilter) => "content_filter",
        Some(StopReason::Refusal) => "refusal",
        Some(StopReason::Other { value }) => value,
    }
}

/// An answer's message as written to a client.
#[derive(Debug, Serialize)]
pub(super) struct OutMessage<'a> {
    pub role: &'static str,
    pub content: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    pub thinking: &'a str,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub tool_calls: &'a [OutToolCall<'a>],
}

impl<'a> OutMessage<'a> {
    /// An assistant message.
    pub fn assistant(
        content: &'a str,
        thinking: &'a str,
        tool_calls: &'a [OutToolCall<'a>],
    ) -> Self {
        OutMessage {
            role: "assistant",
            content,
            thinking,
            tool_calls,
        }
    }
}

/// One tool call as written to a client.
#[derive(Debug, Serialize)]
pub(super) struct OutToolCall<'a> {
    pub function: OutFunction<'a>,
}

/// A tool call's function as written to a client.
#[derive(Debug, Serialize)]
pub(super) struct OutFunction<'a> {
    pub name: &'a str,
    pub arguments: &'a Value,
}

/// The counters of a final answer line. Durations are unknown through a translation: 0.
#[derive(Debug, Default, Serialize)]
pub(super) struct Stats {
    pub total_duration: u64,
    pub load_duration: u64,
    pub prompt_eval_count: u64,
    pub prompt_eval_duration: u64,
    pub eval_count: u64,
    pub eval_duration: u64,
}

impl Stats {
    /// Counters for a canonical usage (zeros when unknown).
    pub fn of(usage: Option<&Usage>) -> Self {
        let u = usage.copied().unwrap_or_default();
        Stats {
            prompt_eval_count: u.prompt_tokens,
            eval_count: u.completion_tokens,
            ..Stats::default()
        }
    }
}

/// An `/api/chat` answer or stream line as written to a client.
#[derive(Debug, Serialize)]
pub(super) struct ChatLine<'a> {
    pub model: &'a str,
    pub created_at: &'a str,
    pub message: OutMessage<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub done_reason: Option<&'a str>,
    pub done: bool,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub stats: Option<Stats>,
}

/// An `/api/generate` answer or stream line as written to a client (`context` is never sent).
#[derive(Debug, Serialize)]
pub(super) struct GenerateLine<'a> {
    pub model: &'a str,
    pub created_at: &'a str,
    pub response: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    pub thinking: &'a str,
    pub done: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub done_reason: Option<&'a str>,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub stats: Option<Stats>,
}

/// The text, reasoning and calls of an answer's blocks, as an Ollama message carries them.
/// Blocks Ollama cannot show (media, tool results, redacted thinking) are left out.
pub(super) fn answer_parts(content: &[ContentBlock]) -> (String, String, Vec<OutToolCall<'_>>) {
    let mut text = String::new();
    let mut thinking = String::new();
    let mut calls = Vec::new();
    for block in content {
        match block {
            ContentBlock::Text { text: t } => text.push_str(t),
            ContentBlock::Thinking { text: t, .. } => thinking.push_str(t),
            ContentBlock::ToolUse { name, input, .. } => calls.push(OutToolCall {
                function: OutFunction {
                    name,
                    arguments: input,
                },
            }),
            _ => {}
        }
    }
    (text, thinking, calls)
}

/// Serialises `value` as one NDJSON line at the end of `out`.
pub(super) fn write_line<T: Serialize>(value: &T, out: &mut bytes::BytesMut) {
    use bytes::BufMut;
    if serde_json::to_writer((&mut *out).writer(), value).is_ok() {
        out.put_u8(b'\n');
    }
}

/// Parses a JSON object body into `T` (serde would also take an array for a struct);
/// `what` names the body in the error.
pub(super) fn parse_object<T: serde::de::DeserializeOwned>(
    body: &[u8],
    what: &str,
) -> Result<T, crate::dialects::DecodeError> {
    if body.trim_ascii_start().first() != Some(&b'{') {
        return Err(crate::dialects::DecodeError::new(format!(
            "invalid {what}: expected a JSON object"
        )));
    }
    serde_json::from_slice(body)
        .map_err(|e| crate::dialects::DecodeError::new(format!("invalid {what}: {e}")))
}
