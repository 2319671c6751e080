//! Non-streaming `chat.completion` bodies.

use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::wire::{self, WireMessage, WireUsage};
use crate::canonical::{ChatResponse, ContentBlock};
use crate::dialects::DecodeError;
use crate::Usage;

#[derive(Debug, Deserialize)]
struct WireResponse {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    created: Option<u64>,
    choices: Vec<WireChoice>,
    #[serde(default)]
    usage: Option<WireUsage>,
}

#[derive(Debug, Deserialize)]
struct WireChoice {
    #[serde(default)]
    index: u64,
    message: WireMessage,
    #[serde(default)]
    finish_reason: Option<String>,
}

/// Decodes a `chat.completion` body (the first choice; `reasoning_content` becomes a
/// [`ContentBlock::Thinking`], a `refusal` a text block). Tool-call `arguments` that are not
/// valid JSON are kept as a JSON string holding the raw text.
pub fn decode_response(body: &[u8]) -> Result<ChatResponse, DecodeError> {
    let resp: WireResponse = serde_json::from_slice(body)
        .map_err(|e| DecodeError::new(format!("invalid chat.completion body: {e}")))?;
    let choice = resp
        .choices
        .into_iter()
        .find(|c| c.index == 0)
        .ok_or_else(|| DecodeError::new("`choices` has no choice with index 0"))?;
    let msg = choice.message;
    let mut content = Vec::new();
    if let Some(text) = msg.reasoning_content.filter(|t| !t.is_empty()) {
        content.push(ContentBlock::Thinking {
            text,
            signature: None,
        });
    }
    content.extend(
        wire::content_blocks(msg.content.as_ref(), "choices[0].message.content")?
            .into_iter()
            .filter(|b| !matches!(b, ContentBlock::Text { text } if text.is_empty())),
    );
    if let Some(refusal) = msg.refusal {
        content.push(ContentBlock::text(refusal));
    }
    for call in msg.tool_calls.unwrap_or_default() {
        let raw = call.function.arguments.unwrap_or_default();
        let input = if raw.trim().is_empty() {
            json!({})
        } else {
            serde_json::from_str(&raw).unwrap_or(Value::String(raw))
        };
        content.push(ContentBlock::ToolUse {
            id: call.id,
            name: call.function.name,
            input,
        });
    }
    Ok(ChatResponse {
        id: resp.id.unwrap_or_default(),
        model: resp.model.unwrap_or_default(),
        content,
        stop_reason: choice.finish_reason.as_deref().map(wire::stop_reason),
        usage: resp.usage.map(Usage::from),
        created: resp.created,
    })
}

/// Encodes a canonical response as a `chat.completion` body.
///
/// Text blocks are concatenated into `content`, thinking text goes to `reasoning_content`,
/// tool uses to `tool_calls`. Blocks a chat completion cannot hold in a reply (images,
/// documents, tool results, redacted thinking) are left out.
pub fn encode_response(resp: &ChatResponse) -> Vec<u8> {
    let mut text: Option<String> = None;
    let mut reasoning: Option<String> = None;
    let mut calls = Vec::new();
    for block in &resp.content {
        match block {
            ContentBlock::Text { text: t } => text.get_or_insert_with(String::new).push_str(t),
            ContentBlock::Thinking { text: t, .. } => {
                reasoning.get_or_insert_with(String::new).push_str(t)
            }
            ContentBlock::ToolUse { id, name, input } => {
                calls.push(wire::tool_call_json(id, name, input))
            }
            _ => {}
        }
    }
    let mut message = Map::new();
    message.insert("role".into(), "assistant".into());
    message.insert("content".into(), text.map_or(Value::Null, Value::String));
    message.insert("refusal".into(), Value::Null);
    if !calls.is_empty() {
        message.insert("tool_calls".into(), Value::Array(calls));
    }
    wire::put(&mut message, "reasoning_content", reasoning);
    let mut body = json!({
        "id": resp.id,
        "object": "chat.completion",
        "created": resp.created.unwrap_or(0),
        "model": resp.model,
        "choices": [{
            "index": 0,
            "message": message,
            "logprobs": null,
            "finish_reason": resp.stop_reason.as_ref().map(wire::finish_reason),
        }],
    });
    if let (Some(usage), Some(obj)) = (&resp.usage, body.as_object_mut()) {
        obj.insert("usage".into(), wire::usage_json(usage));
    }
    serde_json::to_vec(&body).unwrap_or_default()
}
