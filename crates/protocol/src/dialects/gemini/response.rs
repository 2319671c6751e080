//! Non-streamed answers: `GenerateContentResponse` to and from [`ChatResponse`].

use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::wire::{
    blocks_to_parts, parts_to_blocks, stop_reason_from_wire, stop_reason_to_wire, usage_to_wire,
    Content, UsageMetadata,
};
use crate::canonical::{ChatResponse, ContentBlock, StopReason};
use crate::dialects::DecodeError;

/// A `GenerateContentResponse` (also one stream chunk).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct WireResponse {
    #[serde(default)]
    pub candidates: Option<Vec<Candidate>>,
    #[serde(default)]
    pub usage_metadata: Option<UsageMetadata>,
    #[serde(default)]
    pub model_version: Option<String>,
    #[serde(default)]
    pub response_id: Option<String>,
    #[serde(default)]
    pub prompt_feedback: Option<PromptFeedback>,
    #[serde(default)]
    pub error: Option<WireError>,
}

/// `promptFeedback`: set when the prompt itself was blocked.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct PromptFeedback {
    #[serde(default)]
    pub block_reason: Option<String>,
}

/// A Google API error body.
#[derive(Debug, Default, Deserialize)]
pub(super) struct WireError {
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
}

/// One candidate.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Candidate {
    #[serde(default)]
    pub content: Option<Content>,
    #[serde(default)]
    pub finish_reason: Option<String>,
}

/// Decodes a Gemini `generateContent` answer (only the first candidate is kept; a blocked prompt
/// gives no content and a [`StopReason::ContentFilter`]).
pub fn decode_response(body: &[u8]) -> Result<ChatResponse, DecodeError> {
    let wire: WireResponse = serde_json::from_slice(body)
        .map_err(|e| DecodeError::new(format!("invalid GenerateContentResponse: {e}")))?;
    if let Some(err) = wire.error {
        return Err(DecodeError::new(format!(
            "Gemini error {}: {}",
            err.status.unwrap_or_default(),
            err.message.unwrap_or_default()
        )));
    }
    let candidate = wire
        .candidates
        .and_then(|c| c.into_iter().next())
        .unwrap_or_default();
    let mut calls = 0;
    let content = candidate
        .content
        .map(|c| parts_to_blocks(c.parts, &mut calls, &mut |name| name.to_owned()))
        .unwrap_or_default();
    let has_calls = content
        .iter()
        .any(|b| matches!(b, ContentBlock::ToolUse { .. }));
    let stop_reason = match candidate.finish_reason {
        Some(r) => Some(stop_reason_from_wire(&r, has_calls)),
        None if wire
            .prompt_feedback
            .as_ref()
            .is_some_and(|f| f.block_reason.is_some()) =>
        {
            Some(StopReason::ContentFilter)
        }
        None => None,
    };
    Ok(ChatResponse {
        id: wire
            .response_id
            .unwrap_or_else(|| "gemini-response".to_owned()),
        model: wire.model_version.unwrap_or_default(),
        content,
        stop_reason,
        usage: wire.usage_metadata.and_then(|u| u.to_usage()),
        created: None,
    })
}

/// Encodes a canonical answer as a Gemini `GenerateContentResponse`.
///
/// Blocks Gemini cannot show (redacted thinking, tool results) are left out of the answer; a
/// tool call whose arguments are not a JSON object gets `{}`.
pub fn encode_response(response: &ChatResponse) -> Vec<u8> {
    let kept: Vec<ContentBlock> = response
        .content
        .iter()
        .filter(|b| {
            !matches!(
                b,
                ContentBlock::RedactedThinking { .. } | ContentBlock::ToolResult { .. }
            )
        })
        .cloned()
        .map(|b| match b {
            // Gemini arguments are objects; a model's broken argument JSON (which OpenAI
            // passes on as a string) becomes `{}` here, as in the stream encoder, rather
            // than costing the whole answer.
            ContentBlock::ToolUse { id, name, input } if !input.is_object() => {
                ContentBlock::ToolUse {
                    id,
                    name,
                    input: Value::Object(serde_json::Map::new()),
                }
            }
            other => other,
        })
        .collect();
    let parts = blocks_to_parts(&kept, "content", &|_| None).unwrap_or_default();
    let mut candidate = json!({
        "content": { "role": "model", "parts": parts },
        "index": 0,
    });
    if let Some(reason) = &response.stop_reason {
        candidate["finishReason"] = json!(stop_reason_to_wire(reason));
    }
    let mut body = Map::new();
    body.insert("candidates".into(), json!([candidate]));
    if let Some(u) = &response.usage {
        body.insert("usageMetadata".into(), usage_to_wire(u));
    }
    body.insert("modelVersion".into(), json!(response.model));
    body.insert("responseId".into(), json!(response.id));
    serde_json::to_vec(&Value::Object(body)).unwrap_or_default()
}
