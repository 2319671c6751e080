//! Serde shapes of the OpenAI Chat Completions wire format and small shared conversions
//! (usage, finish reasons, media URLs, content parts).

use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::canonical::{ContentBlock, MediaSource, StopReason};
use crate::dialects::DecodeError;
use crate::Usage;

/// `usage` of a response or of the final stream chunk (the one OpenAI usage parser).
pub(super) use crate::openai::WireUsage;

/// The wire `usage` object for canonical usage (`prompt_tokens` already includes cached tokens).
pub(super) fn usage_json(u: &Usage) -> Value {
    json!({
        "prompt_tokens": u.prompt_tokens,
        "completion_tokens": u.completion_tokens,
        "total_tokens": u.total(),
        "prompt_tokens_details": {"cached_tokens": u.cached_tokens},
        "completion_tokens_details": {"reasoning_tokens": u.reasoning_tokens},
    })
}

/// Canonical stop reason of a wire `finish_reason`.
pub(super) fn stop_reason(finish_reason: &str) -> StopReason {
    match finish_reason {
        "stop" => StopReason::EndTurn,
        "length" => StopReason::MaxTokens,
        "tool_calls" | "function_call" => StopReason::ToolUse,
        "content_filter" => StopReason::ContentFilter,
        other => StopReason::Other {
            value: other.to_owned(),
        },
    }
}

/// Wire `finish_reason` of a canonical stop reason.
pub(super) fn finish_reason(stop: &StopReason) -> &str {
    match stop {
        StopReason::EndTurn | StopReason::StopSequence { .. } => "stop",
        StopReason::MaxTokens => "length",
        StopReason::ToolUse => "tool_calls",
        StopReason::ContentFilter | StopReason::Refusal => "content_filter",
        StopReason::Other { value } => value,
    }
}

pub(super) use crate::dialects::openai_common::{data_url, media_from_url};

/// One entry of a `content` parts array.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum WirePart {
    Text { text: String },
    ImageUrl { image_url: WireImageUrl },
    File { file: WireFile },
    Refusal { refusal: String },
}

#[derive(Debug, Deserialize)]
struct WireImageUrl {
    url: String,
    #[serde(default)]
    detail: Option<String>,
}

#[derive(Debug, Deserialize)]
struct WireFile {
    #[serde(default)]
    file_data: Option<String>,
    #[serde(default)]
    filename: Option<String>,
    #[serde(default)]
    file_id: Option<String>,
}

/// Canonical blocks of a wire `content` (string, parts array or null); `field` names it in errors.
pub(super) fn content_blocks(
    content: Option<&Value>,
    field: &str,
) -> Result<Vec<ContentBlock>, DecodeError> {
    match content {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::String(s)) => Ok(vec![ContentBlock::text(s.clone())]),
        Some(Value::Array(parts)) => parts
            .iter()
            .enumerate()
            .map(|(i, part)| part_block(part, &format!("{field}[{i}]")))
            .collect(),
        Some(_) => Err(DecodeError::new(format!(
            "`{field}` must be a string or an array of content parts"
        ))),
    }
}

fn part_block(part: &Value, field: &str) -> Result<ContentBlock, DecodeError> {
    let part: WirePart = serde_json::from_value(part.clone())
        .map_err(|e| DecodeError::new(format!("`{field}`: {e}")))?;
    Ok(match part {
        WirePart::Text { text } => ContentBlock::Text { text },
        WirePart::Refusal { refusal } => ContentBlock::Text { text: refusal },
        WirePart::ImageUrl { image_url } => {
            let (source, media_type) = media_from_url(&image_url.url);
            ContentBlock::Image {
                source,
                media_type,
                detail: image_url.detail,
            }
        }
        WirePart::File { file } => {
            let Some(file_data) = file.file_data else {
                let what = if file.file_id.is_some() {
                    "`file_id` references are not supported; send `file_data`"
                } else {
                    "`file_data` is missing"
                };
                return Err(DecodeError::new(format!("`{field}.file`: {what}")));
            };
            let (source, media_type) = match media_from_url(&file_data) {
                (MediaSource::Base64 { data }, media_type) => {
                    (MediaSource::Base64 { data }, media_type)
                }
                // A bare base64 payload without the `data:` prefix.
                (MediaSource::Url { .. }, _) => (MediaSource::Base64 { data: file_data }, None),
            };
            ContentBlock::Document {
                source,
                media_type,
                title: file.filename,
            }
        }
    })
}

/// A `tool_calls` entry of an assistant message.
#[derive(Debug, Deserialize)]
pub(super) struct WireToolCall {
    #[serde(default)]
    pub id: String,
    pub function: WireFunctionCall,
}

/// The `function` of a tool call.
#[derive(Debug, Deserialize)]
pub(super) struct WireFunctionCall {
    pub name: String,
    #[serde(default)]
    pub arguments: Option<String>,
}

/// A message of a request or the `message` of a response choice.
#[derive(Debug, Deserialize)]
pub(super) struct WireMessage {
    #[serde(default)]
    pub role: Option<String>,
    #[serde(default)]
    pub content: Option<Value>,
    #[serde(default)]
    pub refusal: Option<String>,
    #[serde(default)]
    pub tool_calls: Option<Vec<WireToolCall>>,
    #[serde(default)]
    pub tool_call_id: Option<String>,
    #[serde(default)]
    pub reasoning_content: Option<String>,
}

/// The `arguments` string of a tool call for a canonical input (a JSON string input that is
/// not an object is passed through raw: it holds arguments that were not valid JSON).
pub(super) fn arguments_string(input: &Value) -> String {
    match input {
        Value::String(raw) => raw.clone(),
        other => other.to_string(),
    }
}

/// A `tool_calls` entry for a canonical tool use.
pub(super) fn tool_call_json(id: &str, name: &str, input: &Value) -> Value {
    json!({
        "id": id,
        "type": "function",
        "function": {"name": name, "arguments": arguments_string(input)},
    })
}

/// Inserts `key: value` when `value` is `Some`.
pub(super) fn put<T: Into<Value>>(obj: &mut Map<String, Value>, key: &str, value: Option<T>) {
    if let Some(v) = value {
        obj.insert(key.to_owned(), v.into());
    }
}
