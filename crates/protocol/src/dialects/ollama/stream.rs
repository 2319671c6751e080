//! Streams: Ollama NDJSON lines to and from canonical [`StreamEvent`]s.

use bytes::BytesMut;
use serde_json::Value;

use super::response::created_at;
use super::wire::{
    call_id, call_input, error_message, parse_object, response_id, stop_reason_from_wire,
    stop_reason_to_wire, write_line, ChatLine, GenerateLine, OutFunction, OutMessage, OutToolCall,
    Stats, WireChunk,
};
use crate::canonical::{BlockDelta, BlockStart, StopReason, StreamEvent};
use crate::dialects::DecodeError;
use crate::Usage;

/// What the open canonical block is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    Thinking,
}

/// Decodes an Ollama NDJSON stream (`/api/chat`, or `/api/generate` with `response`) into
/// canonical events.
///
/// Reasoning and text continue one block each across lines, a new block opening when the kind
/// changes; every tool call arrives whole and is one `ToolUse` block with its whole arguments
/// in one `ToolInput` delta. The `done: true` line gives the stop reason and usage and ends
/// the answer; an `{"error": ...}` line is a [`StreamEvent::Error`].
#[derive(Debug, Default)]
pub struct StreamDecoder {
    started: bool,
    stopped: bool,
    next_index: usize,
    open: Option<(Kind, usize)>,
    calls: usize,
}

impl StreamDecoder {
    /// A decoder at the start of a stream.
    pub fn new() -> Self {
        Self::default()
    }

    /// Decodes one NDJSON line (without its newline); blank lines produce nothing, and so do
    /// lines after the `done` line, errors excepted.
    pub fn push(&mut self, line: &[u8], out: &mut Vec<StreamEvent>) -> Result<(), DecodeError> {
        let line = line.trim_ascii();
        if line.is_empty() {
            return Ok(());
        }
        let mut chunk: WireChunk = parse_object(line, "Ollama stream line")?;
        if let Some(error) = chunk.error.take() {
            out.push(StreamEvent::Error {
                kind: "error".to_owned(),
                message: error_message(error),
            });
            return Ok(());
        }
        if self.stopped {
            return Ok(());
        }
        if !self.started {
            self.started = true;
            out.push(StreamEvent::MessageStart {
                id: response_id(chunk.created_at.as_deref()),
                model: chunk.model.take().unwrap_or_default(),
                usage: None,
            });
        }
        let usage = chunk.usage();
        let (thinking, text, calls) = chunk.take_parts();
        if !thinking.is_empty() {
            let index = self.block(Kind::Thinking, out);
            out.push(StreamEvent::BlockDelta {
                index,
                delta: BlockDelta::Thinking { text: thinking },
            });
        }
        if !text.is_empty() {
            let index = self.block(Kind::Text, out);
            out.push(StreamEvent::BlockDelta {
                index,
                delta: BlockDelta::Text { text },
            });
        }
        for call in calls {
            self.close(out);
            let index = self.next_index;
            self.next_index += 1;
            let id = call_id(call.id, self.calls);
            self.calls += 1;
            out.push(StreamEvent::BlockStart {
                index,
                block: BlockStart::ToolUse {
                    id,
                    name: call.function.name,
                },
            });
            out.push(StreamEvent::BlockDelta {
                index,
                delta: BlockDelta::ToolInput {
                    partial_json: call_input(call.function.arguments).to_string(),
                },
            });
            out.push(StreamEvent::BlockStop { index });
        }
        if chunk.done.unwrap_or(false) {
            let reason = stop_reason_from_wire(chunk.done_reason.as_deref(), self.calls > 0);
            self.end(Some(reason), usage, out);
        }
        Ok(())
    }

    /// The stream ended: if no `done` line came, closes the open block but does not end the
    /// answer, so that the caller sees the stream was cut (no `MessageStop`).
    pub fn finish(&mut self, out: &mut Vec<StreamEvent>) {
        if self.started && !self.stopped {
            self.close(out);
        }
    }

    fn end(
        &mut self,
        stop_reason: Option<StopReason>,
        usage: Option<Usage>,
        out: &mut Vec<StreamEvent>,
    ) {
        self.close(out);
        self.stopped = true;
        out.push(StreamEvent::MessageDelta { stop_reason, usage });
        out.push(StreamEvent::MessageStop);
    }

    /// The index of the open block of `kind`, opening one (and closing another) if needed.
    fn block(&mut self, kind: Kind, out: &mut Vec<StreamEvent>) -> usize {
        if let Some((open, index)) = self.open {
            if open == kind {
                return index;
            }
        }
        self.close(out);
        let index = self.next_index;
        self.next_index += 1;
        self.open = Some((kind, index));
        let block = match kind {
            Kind::Text => BlockStart::Text,
            Kind::Thinking => BlockStart::Thinking,
        };
        out.push(StreamEvent::BlockStart { index, block });
        index
    }

    fn close(&mut self, out: &mut Vec<StreamEvent>) {
        if let Some((_, index)) = self.open.take() {
            out.push(StreamEvent::BlockStop { index });
        }
    }
}

/// Which endpoint's lines an encoder writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Shape {
    /// `/api/chat`: `message`.
    Chat,
    /// `/api/generate`: `response` and `thinking`; tool calls have no form and are left out.
    Generate,
}

/// What the encoder knows of an open canonical block.
#[derive(Debug)]
enum Open {
    Tool { name: String, json: String },
    Other,
}

/// The NDJSON encoder behind [`StreamEncoder`] and the generate one.
#[derive(Debug)]
pub(super) struct LineEncoder {
    shape: Shape,
    model: String,
    created_at: String,
    open: Vec<(usize, Open)>,
    stop_reason: Option<StopReason>,
    usage: Option<Usage>,
    done: bool,
}

impl LineEncoder {
    /// An encoder; `created` (Unix seconds) fixes `created_at`, else it is now.
    pub fn new(shape: Shape, created: Option<u64>) -> Self {
        LineEncoder {
            shape,
            model: String::new(),
            created_at: created_at(created),
            open: Vec::new(),
            stop_reason: None,
            usage: None,
            done: false,
        }
    }

    pub fn encode(&mut self, event: &StreamEvent, out: &mut BytesMut) {
        if self.done {
            return;
        }
        match event {
            StreamEvent::MessageStart { model, usage, .. } => {
                self.model.clone_from(model);
                self.usage = *usage;
            }
            StreamEvent::BlockStart { index, block } => {
                let open = match block {
                    BlockStart::ToolUse { name, .. } => Open::Tool {
                        name: name.clone(),
                        json: String::new(),
                    },
                    _ => Open::Other,
                };
                self.open.push((*index, open));
            }
            StreamEvent::BlockDelta { index, delta } => match delta {
                BlockDelta::Text { text } => self.line(text, "", &[], out),
                BlockDelta::Thinking { text } => self.line("", text, &[], out),
                BlockDelta::ToolInput { partial_json } => {
                    if let Some((_, Open::Tool { json, .. })) =
                        self.open.iter_mut().find(|(i, _)| i == index)
                    {
                        json.push_str(partial_json);
                    }
                }
                BlockDelta::Signature { .. } => {}
            },
            StreamEvent::BlockStop { index } => {
                let Some(pos) = self.open.iter().position(|(i, _)| i == index) else {
                    return;
                };
                if let (_, Open::Tool { name, json }) = self.open.swap_remove(pos) {
                    let arguments = serde_json::from_str::<Value>(&json)
                        .unwrap_or_else(|_| Value::Object(serde_json::Map::new()));
                    let call = [OutToolCall {
                        function: OutFunction {
                            name: &name,
                            arguments: &arguments,
                        },
                    }];
                    if self.shape == Shape::Chat {
                        self.line("", "", &call, out);
                    }
                }
            }
            StreamEvent::MessageDelta { stop_reason, usage } => {
                if stop_reason.is_some() {
                    self.stop_reason.clone_from(stop_reason);
                }
                if usage.is_some() {
                    self.usage = *usage;
                }
            }
            StreamEvent::MessageStop => {
                self.done = true;
                self.final_line(out);
            }
            StreamEvent::Error { message, .. } => {
                // Ollama ends the stream after an error line: no final line follows.
                self.done = true;
                write_line(&serde_json::json!({ "error": message }), out);
            }
            StreamEvent::Ping => {}
        }
    }

    /// One `done: false` line.
    fn line(&self, text: &str, thinking: &str, calls: &[OutToolCall<'_>], out: &mut BytesMut) {
        match self.shape {
            Shape::Chat => write_line(
                &ChatLine {
                    model: &self.model,
                    created_at: &self.created_at,
                    message: OutMessage::assistant(text, thinking, calls),
                    done_reason: None,
                    done: false,
                    stats: None,
                },
                out,
            ),
            Shape::Generate => write_line(
                &GenerateLine {
                    model: &self.model,
                    created_at: &self.created_at,
                    response: text,
                    thinking,
                    done: false,
                    done_reason: None,
                    stats: None,
                },
                out,
            ),
        }
    }

    /// The `done: true` line with the stop reason and counts.
    fn final_line(&self, out: &mut BytesMut) {
        let done_reason = Some(stop_reason_to_wire(self.stop_reason.as_ref()));
        let stats = Some(Stats::of(self.usage.as_ref()));
        match self.shape {
            Shape::Chat => write_line(
                &ChatLine {
                    model: &self.model,
                    created_at: &self.created_at,
                    message: OutMessage::assistant("", "", &[]),
                    done_reason,
                    done: true,
                    stats,
                },
                out,
            ),
            Shape::Generate => write_line(
                &GenerateLine {
                    model: &self.model,
                    created_at: &self.created_at,
                    response: "",
                    thinking: "",
                    done: true,
                    done_reason,
                    stats,
                },
                out,
            ),
        }
    }
}

/// Encodes canonical events as an Ollama `/api/chat` NDJSON stream.
///
/// Each text or reasoning delta is one line; a tool call's argument fragments are buffered
/// until its block stops, then sent whole in one line; `MessageStop` writes the `done: true`
/// line with `done_reason` and the counts of the last usage seen. An error is one
/// `{"error": "..."}` line, after which nothing more is written. Signatures and redacted
/// thinking have no Ollama form and are left out.
#[derive(Debug)]
pub struct StreamEncoder(LineEncoder);

impl Default for StreamEncoder {
    fn default() -> Self {
        Self::new()
    }
}

impl StreamEncoder {
    /// An encoder whose lines say they were created now.
    pub fn new() -> Self {
        StreamEncoder(LineEncoder::new(Shape::Chat, None))
    }

    /// An encoder whose lines carry this creation time (Unix seconds) in `created_at`.
    pub fn with_created(created: u64) -> Self {
        StreamEncoder(LineEncoder::new(Shape::Chat, Some(created)))
    }

    /// Appends the NDJSON lines for `event` to `out` (possibly none).
    pub fn encode(&mut self, event: &StreamEvent, out: &mut BytesMut) {
        self.0.encode(event, out);
    }
}
