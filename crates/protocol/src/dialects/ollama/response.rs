//! Non-streamed `/api/chat` answers to and from [`ChatResponse`].

use super::time::{format_rfc3339, now, parse_rfc3339};
use super::wire::{
    answer_parts, call_id, call_input, error_message, parse_object, response_id,
    stop_reason_from_wire, stop_reason_to_wire, ChatLine, OutMessage, Stats, WireChunk,
};
use crate::canonical::{ChatResponse, ContentBlock};
use crate::dialects::DecodeError;

/// Decodes an Ollama `/api/chat` answer (an `/api/generate` answer, with `response`, too).
///
/// The id is derived from `created_at` (Ollama gives none); tool calls get ids `call_0`,
/// `call_1`, ...; an `{"error": ...}` body is a [`DecodeError`] carrying its message.
pub fn decode_response(body: &[u8]) -> Result<ChatResponse, DecodeError> {
    let mut w: WireChunk = parse_object(body, "Ollama chat response")?;
    if let Some(error) = w.error.take() {
        return Err(DecodeError::new(format!(
            "Ollama error: {}",
            error_message(error)
        )));
    }
    let usage = w.usage();
    let (thinking, text, calls) = w.take_parts();
    let mut content = Vec::with_capacity(calls.len() + 2);
    if !thinking.is_empty() {
        content.push(ContentBlock::Thinking {
            text: thinking,
            signature: None,
        });
    }
    if !text.is_empty() {
        content.push(ContentBlock::text(text));
    }
    let has_calls = !calls.is_empty();
    for (n, call) in calls.into_iter().enumerate() {
        content.push(ContentBlock::ToolUse {
            id: call_id(call.id, n),
            name: call.function.name,
            input: call_input(call.function.arguments),
        });
    }
    let finished = w.done.unwrap_or(false) || w.done_reason.is_some();
    Ok(ChatResponse {
        id: response_id(w.created_at.as_deref()),
        model: w.model.unwrap_or_default(),
        content,
        stop_reason: finished.then(|| stop_reason_from_wire(w.done_reason.as_deref(), has_calls)),
        usage,
        created: w.created_at.as_deref().and_then(parse_rfc3339),
    })
}

/// The `created_at` of an answer: its creation time, or now.
pub(super) fn created_at(created: Option<u64>) -> String {
    match created {
        Some(secs) => format_rfc3339(secs, 0),
        None => {
            let (secs, nanos) = now();
            format_rfc3339(secs, nanos)
        }
    }
}

/// Encodes a canonical answer in Ollama's `/api/chat` shape: `message` (text, `thinking`,
/// `tool_calls`), `done: true`, `done_reason`, token counts and zero durations.
///
/// Blocks Ollama cannot show (media, tool results, redacted thinking) and thinking signatures
/// are left out.
pub fn encode_response(response: &ChatResponse) -> Vec<u8> {
    let (text, thinking, calls) = answer_parts(&response.content);
    let created_at = created_at(response.created);
    let line = ChatLine {
        model: &response.model,
        created_at: &created_at,
        message: OutMessage::assistant(&text, &thinking, &calls),
        done_reason: Some(stop_reason_to_wire(response.stop_reason.as_ref())),
        done: true,
        stats: Some(Stats::of(response.usage.as_ref())),
    };
    serde_json::to_vec(&line).unwrap_or_default()
}
