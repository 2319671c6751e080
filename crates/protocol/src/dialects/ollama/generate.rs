//! The client side of `/api/generate`: a prompt completion served as a one-turn chat.

use bytes::BytesMut;
use serde::Deserialize;
use serde_json::Value;

use super::image::image_block;
use super::options::{decode_format, decode_options, decode_think};
use super::response::created_at;
use super::stream::{LineEncoder, Shape};
use super::wire::{answer_parts, parse_object, stop_reason_to_wire, GenerateLine, Stats};
use crate::canonical::{ChatRequest, ChatResponse, ContentBlock, Message, Role, StreamEvent};
use crate::dialects::DecodeError;

#[derive(Debug, Default, Deserialize)]
struct WireGenerateRequest {
    #[serde(default)]
    model: String,
    #[serde(default)]
    prompt: Option<String>,
    #[serde(default)]
    suffix: Option<String>,
    #[serde(default)]
    system: Option<String>,
    #[serde(default)]
    images: Option<Vec<String>>,
    #[serde(default)]
    format: Option<Value>,
    #[serde(default)]
    options: Option<Value>,
    #[serde(default)]
    think: Option<Value>,
    #[serde(default)]
    stream: Option<bool>,
}

/// Decodes an Ollama `/api/generate` request as a chat request: `prompt` and `images` are one
/// user message, `system` the system instructions; `format`, `options` and `think` map as for
/// `/api/chat`, and `stream` defaults to true.
///
/// `raw`, `template`, `context` and `keep_alive` cannot be honoured through a chat translation
/// and are ignored (the chat provider applies its own template). A request without prompt or
/// images decodes with no messages: Ollama's idiom to load a model, which a caller may answer
/// at once with `done_reason: "load"`. A non-empty `suffix` (fill-in-the-middle) is an error.
pub fn decode_generate_request(body: &[u8]) -> Result<ChatRequest, DecodeError> {
    let w: WireGenerateRequest = parse_object(body, "Ollama generate request")?;
    if w.suffix.as_deref().is_some_and(|s| !s.is_empty()) {
        return Err(DecodeError::new(
            "`suffix`: fill-in-the-middle is not supported when /api/generate is translated to a chat provider",
        ));
    }
    let mut content = Vec::new();
    if let Some(prompt) = w.prompt.filter(|p| !p.is_empty()) {
        content.push(ContentBlock::text(prompt));
    }
    content.extend(w.images.unwrap_or_default().into_iter().map(image_block));
    let messages = if content.is_empty() {
        Vec::new()
    } else {
        vec![Message {
            role: Role::User,
            content,
        }]
    };
    let system = w
        .system
        .filter(|s| !s.is_empty())
        .map(|s| vec![ContentBlock::text(s)])
        .unwrap_or_default();
    Ok(ChatRequest {
        model: w.model,
        system,
        messages,
        sampling: decode_options(w.options)?,
        reasoning: decode_think(w.think)?,
        response_format: decode_format(w.format)?,
        stream: w.stream.unwrap_or(true),
        ..ChatRequest::default()
    })
}

/// Encodes a canonical answer in Ollama's `/api/generate` shape: `response`, `thinking`,
/// `done: true`, `done_reason`, token counts and zero durations (`context` is omitted).
/// Tool calls and media have no form there and are left out.
pub fn encode_generate_response(response: &ChatResponse) -> Vec<u8> {
    let (text, thinking, _) = answer_parts(&response.content);
    let created_at = created_at(response.created);
    let line = GenerateLine {
        model: &response.model,
        created_at: &created_at,
        response: &text,
        thinking: &thinking,
        done: true,
        done_reason: Some(stop_reason_to_wire(response.stop_reason.as_ref())),
        stats: Some(Stats::of(response.usage.as_ref())),
    };
    serde_json::to_vec(&line).unwrap_or_default()
}

/// Encodes canonical events as an Ollama `/api/generate` NDJSON stream: one line per text
/// (`response`) or reasoning (`thinking`) delta, then the `done: true` line with `done_reason`
/// and counts; an error is one `{"error": "..."}` line. Tool calls are left out.
#[derive(Debug)]
pub struct GenerateStreamEncoder(LineEncoder);

impl Default for GenerateStreamEncoder {
    fn default() -> Self {
        Self::new()
    }
}

impl GenerateStreamEncoder {
    /// An encoder whose lines say they were created now.
    pub fn new() -> Self {
        GenerateStreamEncoder(LineEncoder::new(Shape::Generate, None))
    }

    /// An encoder whose lines carry this creation time (Unix seconds) in `created_at`.
    pub fn with_created(created: u64) -> Self {
        GenerateStreamEncoder(LineEncoder::new(Shape::Generate, Some(created)))
    }

    /// Appends the NDJSON lines for `event` to `out` (possibly none).
    pub fn encode(&mut self, event: &StreamEvent, out: &mut BytesMut) {
        self.0.encode(event, out);
    }
}
