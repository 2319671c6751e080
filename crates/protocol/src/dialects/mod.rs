//! One codec per wire protocol, to and from the [canonical model](crate::canonical).
//!
//! Each dialect module offers the same functions:
//! - `decode_request(&[u8]) -> Result<ChatRequest, DecodeError>`: a client's request body;
//! - `encode_request(&ChatRequest) -> Result<Vec<u8>, Loss>`: the body for a provider (a `Loss`
//!   names the first field the provider cannot take);
//! - `decode_response(&[u8]) -> Result<ChatResponse, DecodeError>`: a provider's answer;
//! - `encode_response(&ChatResponse) -> Vec<u8>`: the answer for a client;
//! - `StreamDecoder`: raw SSE events of a provider's stream → [`StreamEvent`](crate::canonical::StreamEvent)s;
//! - `StreamEncoder`: canonical events → the client's SSE bytes.

pub mod anthropic;
pub mod gemini;
pub mod ollama;
pub mod openai_chat;
mod openai_common;
pub mod openai_responses;
mod write;

use std::fmt;

/// The current Unix time: seconds and nanoseconds (0 if the clock is before the epoch). For
/// the creation times encoders must invent when a provider gave none.
pub(crate) fn unix_now() -> (u64, u32) {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| (d.as_secs(), d.subsec_nanos()))
        .unwrap_or((0, 0))
}

/// A body or stream event that is not valid in its dialect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    /// What is wrong, naming the field, in words a client can act on.
    pub message: String,
}

impl DecodeError {
    /// An error with this message.
    pub fn new(message: impl Into<String>) -> Self {
        DecodeError {
            message: message.into(),
        }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for DecodeError {}

use crate::canonical::StreamEvent;

/// How a provider's stream is cut into the pieces a [`StreamDecode`] takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// Server-sent events: each piece is one whole SSE event (as cut by
    /// [`crate::sse::SseSplitter`]).
    Sse,
    /// Newline-delimited JSON (Ollama): each piece is one line, without its `\n`.
    Ndjson,
}

/// Decodes a provider's stream, one raw piece at a time, into canonical events.
pub trait StreamDecode: Send {
    /// How the stream is cut into pieces; SSE unless the dialect says otherwise.
    fn framing(&self) -> Framing {
        Framing::Sse
    }
    /// Decodes one whole piece: an SSE event or an NDJSON line, per [`Self::framing`].
    fn push(&mut self, raw_event: &[u8], out: &mut Vec<StreamEvent>) -> Result<(), DecodeError>;
    /// The upstream stream ended: emit whatever completes the answer.
    fn finish(&mut self, _out: &mut Vec<StreamEvent>) {}
}

/// Encodes canonical events as a client dialect's stream bytes.
pub trait StreamEncode: Send {
    /// Appends the wire form of `event` to `out`.
    fn encode(&mut self, event: &StreamEvent, out: &mut bytes::BytesMut);
    /// The `content-type` of the stream.
    fn content_type(&self) -> &'static str {
        "text/event-stream"
    }
}

impl StreamDecode for anthropic::StreamDecoder {
    fn push(&mut self, raw_event: &[u8], out: &mut Vec<StreamEvent>) -> Result<(), DecodeError> {
        anthropic::StreamDecoder::push(self, raw_event, out)
    }
}

impl StreamDecode for openai_chat::StreamDecoder {
    fn push(&mut self, raw_event: &[u8], out: &mut Vec<StreamEvent>) -> Result<(), DecodeError> {
        openai_chat::StreamDecoder::push(self, raw_event, out)
    }
    fn finish(&mut self, out: &mut Vec<StreamEvent>) {
        openai_chat::StreamDecoder::finish(self, out)
    }
}

impl StreamEncode for anthropic::StreamEncoder {
    fn encode(&mut self, event: &StreamEvent, out: &mut bytes::BytesMut) {
        anthropic::StreamEncoder::encode(self, event, out)
    }
}

impl StreamEncode for openai_chat::StreamEncoder {
    fn encode(&mut self, event: &StreamEvent, out: &mut bytes::BytesMut) {
        openai_chat::StreamEncoder::encode(self, event, out)
    }
}

impl StreamDecode for gemini::StreamDecoder {
    fn push(&mut self, raw_event: &[u8], out: &mut Vec<StreamEvent>) -> Result<(), DecodeError> {
        gemini::StreamDecoder::push(self, raw_event, out)
    }
    fn finish(&mut self, out: &mut Vec<StreamEvent>) {
        gemini::StreamDecoder::finish(self, out)
    }
}

impl StreamEncode for gemini::StreamEncoder {
    fn encode(&mut self, event: &StreamEvent, out: &mut bytes::BytesMut) {
        gemini::StreamEncoder::encode(self, event, out)
    }
    fn content_type(&self) -> &'static str {
        if self.is_json_array() {
            "application/json"
        } else {
            "text/event-stream"
        }
    }
}
