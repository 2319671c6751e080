//! Streaming: `streamGenerateContent?alt=sse` chunks to canonical [`StreamEvent`]s.

use serde_json::{Map, Value};

use super::response::WireResponse;
use super::wire::{call_id, stop_reason_from_wire, FunctionCall, PartialArg};
use crate::canonical::{BlockDelta, BlockStart, StreamEvent};
use crate::dialects::DecodeError;
use crate::sse::event_data;
use crate::Usage;

/// What the open canonical block is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    /// Thinking, and whether it already has its signature.
    Thinking(bool),
}

/// A function call streamed in pieces (Vertex `willContinue` / `partialArgs`).
#[derive(Debug)]
struct PendingCall {
    id: Option<String>,
    name: String,
    args: Map<String, Value>,
}

/// Decodes a Gemini SSE stream into canonical events.
///
/// Each SSE event carries a whole `GenerateContentResponse`; only the first candidate is read.
/// Text continues one block across chunks, thoughts another; every function call is one
/// complete `ToolUse` block (its whole arguments in one `ToolInput` delta). Gemini has no end
/// marker: [`finish`](Self::finish) emits the `MessageStop`.
#[derive(Debug, Default)]
pub struct StreamDecoder {
    started: bool,
    next_index: usize,
    open: Option<(Kind, usize)>,
    pending: Option<PendingCall>,
    calls: usize,
    usage: Option<Usage>,
    finished: bool,
    stopped: bool,
}

impl StreamDecoder {
    /// A decoder at the start of a stream.
    pub fn new() -> Self {
        Self::default()
    }

    /// Decodes one raw SSE event into `out`. Events without data produce nothing.
    pub fn push(
        &mut self,
        raw_event: &[u8],
        out: &mut Vec<StreamEvent>,
    ) -> Result<(), DecodeError> {
        let Some(data) = event_data(raw_event) else {
            return Ok(());
        };
        let data = data.trim_ascii();
        if data.is_empty() {
            return Ok(());
        }
        let chunk: WireResponse = serde_json::from_slice(data)
            .map_err(|e| DecodeError::new(format!("invalid GenerateContentResponse chunk: {e}")))?;
        if let Some(err) = chunk.error {
            out.push(StreamEvent::Error {
                kind: err.status.unwrap_or_else(|| "error".to_owned()),
                message: err.message.unwrap_or_default(),
            });
            return Ok(());
        }
        if !self.started {
            self.started = true;
            out.push(StreamEvent::MessageStart {
                id: chunk
                    .response_id
                    .unwrap_or_else(|| "gemini-response".to_owned()),
                model: chunk.model_version.unwrap_or_default(),
                usage: None,
            });
        }
        if let Some(u) = chunk.usage_metadata.and_then(|u| u.to_usage()) {
            self.usage = Some(u);
        }
        let candidate = chunk
            .candidates
            .and_then(|c| c.into_iter().next())
            .unwrap_or_default();
        for part in candidate.content.map(|c| c.parts).unwrap_or_default() {
            let thought = part.thought.unwrap_or(false);
            if let Some(call) = part.function_call {
                self.close(out);
                if let Some(sig) = part.thought_signature {
                    self.signature_block(sig, out);
                }
                self.call(call, out);
            } else if thought {
                self.flush_call(out);
                let index = match self.open {
                    Some((Kind::Thinking(_), index)) => index,
                    _ => self.start(Kind::Thinking(false), BlockStart::Thinking, out),
                };
                if let Some(text) = part.text.filter(|t| !t.is_empty()) {
                    out.push(StreamEvent::BlockDelta {
                        index,
                        delta: BlockDelta::Thinking { text },
                    });
                }
                if let Some(signature) = part.thought_signature {
                    self.open = Some((Kind::Thinking(true), index));
                    out.push(StreamEvent::BlockDelta {
                        index,
                        delta: BlockDelta::Signature { signature },
                    });
                }
            } else if let Some(text) = part.text {
                self.flush_call(out);
                if let Some(signature) = part.thought_signature {
                    match self.open {
                        Some((Kind::Thinking(false), index)) => {
                            out.push(StreamEvent::BlockDelta {
                                index,
                                delta: BlockDelta::Signature { signature },
                            });
                            self.close(out);
                        }
                        _ => {
                            self.close(out);
                            self.signature_block(signature, out);
                        }
                    }
                }
                if !text.is_empty() {
                    let index = match self.open {
                        Some((Kind::Text, index)) => index,
                        _ => self.start(Kind::Text, BlockStart::Text, out),
                    };
                    out.push(StreamEvent::BlockDelta {
                        index,
                        delta: BlockDelta::Text { text },
                    });
                }
            }
        }
        if let Some(reason) = candidate.finish_reason {
            self.flush_call(out);
            self.close(out);
            self.finished = true;
            out.push(StreamEvent::MessageDelta {
                stop_reason: Some(stop_reason_from_wire(&reason, self.calls > 0)),
                usage: self.usage,
            });
        }
        Ok(())
    }

    /// The stream ended: closes what is open and, if a chunk carried a finishReason, emits the
    /// `MessageStop`.
    pub fn finish(&mut self, out: &mut Vec<StreamEvent>) {
        if !self.started || self.stopped {
            return;
        }
        self.flush_call(out);
        self.close(out);
        if !self.finished {
            // No chunk carried a finishReason: the stream was cut. Leave the answer open
            // (no MessageStop) so that the caller reports it.
            return;
        }
        self.stopped = true;
        out.push(StreamEvent::MessageStop);
    }

    fn start(&mut self, kind: Kind, block: BlockStart, out: &mut Vec<StreamEvent>) -> usize {
        self.close(out);
        let index = self.next_index;
        self.next_index += 1;
        self.open = Some((kind, index));
        out.push(StreamEvent::BlockStart { index, block });
        index
    }

    fn close(&mut self, out: &mut Vec<StreamEvent>) {
        if let Some((_, index)) = self.open.take() {
            out.push(StreamEvent::BlockStop { index });
        }
    }

    /// A thinking block holding only a signature (the signature of the next part).
    fn signature_block(&mut self, signature: String, out: &mut Vec<StreamEvent>) {
        let index = self.start(Kind::Thinking(true), BlockStart::Thinking, out);
        out.push(StreamEvent::BlockDelta {
            index,
            delta: BlockDelta::Signature { signature },
        });
        self.close(out);
    }

    fn call(&mut self, call: FunctionCall, out: &mut Vec<StreamEvent>) {
        let continues = call.will_continue.unwrap_or(false);
        if let Some(pending) = &mut self.pending {
            merge_partial(&mut pending.args, call.partial_args.unwrap_or_default());
            if let Some(Value::Object(m)) = call.args {
                pending.args.extend(m);
            }
            if !continues {
                self.flush_call(out);
            }
            return;
        }
        let mut args = match call.args {
            Some(Value::Object(m)) => m,
            _ => Map::new(),
        };
        merge_partial(&mut args, call.partial_args.unwrap_or_default());
        let pending = PendingCall {
            id: call.id,
            name: call.name.unwrap_or_default(),
            args,
        };
        if continues {
            self.pending = Some(pending);
        } else {
            self.emit_call(pending, out);
        }
    }

    fn flush_call(&mut self, out: &mut Vec<StreamEvent>) {
        if let Some(pending) = self.pending.take() {
            self.emit_call(pending, out);
        }
    }

    fn emit_call(&mut self, call: PendingCall, out: &mut Vec<StreamEvent>) {
        self.close(out);
        let id = call_id(call.id, self.calls);
        self.calls += 1;
        let index = self.next_index;
        self.next_index += 1;
        out.push(StreamEvent::BlockStart {
            index,
            block: BlockStart::ToolUse {
                id,
                name: call.name,
            },
        });
        out.push(StreamEvent::BlockDelta {
            index,
            delta: BlockDelta::ToolInput {
                partial_json: Value::Object(call.args).to_string(),
            },
        });
        out.push(StreamEvent::BlockStop { index });
    }
}

/// Applies Vertex `partialArgs` pieces (`$.a.b` paths; string pieces are appended).
fn merge_partial(args: &mut Map<String, Value>, pieces: Vec<PartialArg>) {
    if pieces.is_empty() {
        return;
    }
    let mut root = Value::Object(std::mem::take(args));
    for piece in pieces {
        let path = piece.json_path.trim_start_matches('$');
        let keys: Vec<String> = path
            .split('.')
            .filter(|k| !k.is_empty())
            .map(|k| k.replace('~', "~0").replace('/', "~1"))
            .collect();
        let Some((last, parents)) = keys.split_last() else {
            continue;
        };
        let mut pointer = String::new();
        for key in parents {
            let parent = pointer.clone();
            pointer.push('/');
            pointer.push_str(key);
            if !root.pointer(&pointer).is_some_and(Value::is_object) {
                if let Some(obj) = root.pointer_mut(&parent).and_then(Value::as_object_mut) {
                    obj.insert(unescape(key), Value::Object(Map::new()));
                }
            }
        }
        let Some(target) = root.pointer_mut(&pointer).and_then(Value::as_object_mut) else {
            continue;
        };
        let slot = target.entry(unescape(last)).or_insert(Value::Null);
        if let Some(s) = piece.string_value {
            match slot {
                Value::String(prev) => prev.push_str(&s),
                _ => *slot = Value::String(s),
            }
        } else if let Some(n) = piece.number_value {
            *slot = Value::Number(n);
        } else if let Some(b) = piece.bool_value {
            *slot = Value::Bool(b);
        } else if piece.null_value.is_some() {
            *slot = Value::Null;
        }
    }
    if let Value::Object(m) = root {
        *args = m;
    }
}

/// A JSON-pointer token back to its key.
fn unescape(token: &str) -> String {
    token.replace("~1", "/").replace("~0", "~")
}

/// What the encoder knows of an open canonical block.
#[derive(Debug)]
enum Open {
    Text,
    Thinking {
        had_text: bool,
        signature: Option<String>,
    },
    Tool {
        id: String,
        name: String,
        json: String,
    },
}

/// How an encoder frames its chunks.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum Framing {
    /// `streamGenerateContent?alt=sse`: `data: {chunk}\r\n\r\n`.
    #[default]
    Sse,
    /// `streamGenerateContent` without `alt=sse`: the chunks as the elements of one JSON
    /// array that arrives piece by piece (`[` first, `,\r\n` between, `]` at the end).
    Array {
        /// The `[` went out.
        opened: bool,
        /// The `]` went out: nothing more is written.
        closed: bool,
    },
}

/// Encodes canonical events as a Gemini stream: SSE (`data: {chunk}\r\n\r\n`), or with
/// [`StreamEncoder::json_array`] the JSON-array form.
///
/// Each text or thought delta is one chunk; tool arguments are buffered until the block stops,
/// then sent as one whole `functionCall`; the final chunk carries `finishReason` and
/// `usageMetadata`. A thinking block's signature is sent on an empty thought part when it stops;
/// the signature of a text-less thinking block goes on the next part (see the module notes).
#[derive(Debug, Default)]
pub struct StreamEncoder {
    id: String,
    model: String,
    usage: Option<crate::Usage>,
    open: Vec<(usize, Open)>,
    held_signature: Option<String>,
    framing: Framing,
}

impl StreamEncoder {
    /// An encoder of an SSE stream, at its start.
    pub fn new() -> Self {
        Self::default()
    }

    /// An encoder of the JSON-array form of a stream, at its start.
    pub fn json_array() -> Self {
        StreamEncoder {
            framing: Framing::Array {
                opened: false,
                closed: false,
            },
            ..Self::default()
        }
    }

    /// Whether the stream is the JSON-array form (`application/json`) rather than SSE.
    pub fn is_json_array(&self) -> bool {
        matches!(self.framing, Framing::Array { .. })
    }

    /// Appends the wire form of `event` to `out` (nothing for events Gemini has no form of).
    pub fn encode(&mut self, event: &StreamEvent, out: &mut bytes::BytesMut) {
        if let Framing::Array { closed: true, .. } = self.framing {
            return;
        }
        self.encode_event(event, out);
        if let (
            Framing::Array { opened, closed },
            StreamEvent::MessageStop | StreamEvent::Error { .. },
        ) = (&mut self.framing, event)
        {
            out.extend_from_slice(if *opened { b"]" } else { b"[]" });
            *closed = true;
        }
    }

    fn encode_event(&mut self, event: &StreamEvent, out: &mut bytes::BytesMut) {
        match event {
            StreamEvent::MessageStart { id, model, usage } => {
                self.id = id.clone();
                self.model = model.clone();
                self.usage = *usage;
            }
            StreamEvent::BlockStart { index, block } => {
                let open = match block {
                    BlockStart::Text => Open::Text,
                    BlockStart::Thinking => Open::Thinking {
                        had_text: false,
                        signature: None,
                    },
                    // Gemini has no redacted thinking: nothing to send.
                    BlockStart::RedactedThinking { .. } => return,
                    BlockStart::ToolUse { id, name } => Open::Tool {
                        id: id.clone(),
                        name: name.clone(),
                        json: String::new(),
                    },
                };
                self.open.push((*index, open));
            }
            StreamEvent::BlockDelta { index, delta } => self.delta(*index, delta, out),
            StreamEvent::BlockStop { index } => {
                let Some(pos) = self.open.iter().position(|(i, _)| i == index) else {
                    return;
                };
                let (_, open) = self.open.remove(pos);
                match open {
                    Open::Text => {}
                    Open::Thinking {
                        had_text,
                        signature: Some(signature),
                    } => {
                        if had_text {
                            let part = serde_json::json!({
                                "text": "", "thought": true, "thoughtSignature": signature
                            });
                            self.chunk(vec![part], None, false, out);
                        } else {
                            self.held_signature = Some(signature);
                        }
                    }
                    Open::Thinking { .. } => {}
                    Open::Tool { id, name, json } => {
                        let args = match serde_json::from_str::<Value>(&json) {
                            Ok(v @ Value::Object(_)) => v,
                            _ => Value::Object(Map::new()),
                        };
                        let part = serde_json::json!({
                            "functionCall": { "id": id, "name": name, "args": args }
                        });
                        self.part_chunk(part, out);
                    }
                }
            }
            StreamEvent::MessageDelta { stop_reason, usage } => {
                if usage.is_some() {
                    self.usage = *usage;
                }
                let mut parts = Vec::new();
                if let Some(sig) = self.held_signature.take() {
                    parts.push(serde_json::json!({ "text": "", "thoughtSignature": sig }));
                }
                let reason = stop_reason.as_ref().map(super::wire::stop_reason_to_wire);
                self.chunk(parts, reason, true, out);
            }
            StreamEvent::Error { kind, message } => {
                let body = serde_json::json!({
                    "error": { "code": 500, "message": message, "status": kind }
                });
                self.write(&body, out);
            }
            StreamEvent::MessageStop | StreamEvent::Ping => {}
        }
    }

    fn delta(&mut self, index: usize, delta: &BlockDelta, out: &mut bytes::BytesMut) {
        let Some((_, open)) = self.open.iter_mut().find(|(i, _)| *i == index) else {
            return;
        };
        match (open, delta) {
            (Open::Text, BlockDelta::Text { text }) => {
                let part = serde_json::json!({ "text": text });
                self.part_chunk(part, out);
            }
            (Open::Thinking { had_text, .. }, BlockDelta::Thinking { text }) => {
                *had_text = true;
                let part = serde_json::json!({ "text": text, "thought": true });
                self.part_chunk(part, out);
            }
            (Open::Thinking { signature, .. }, BlockDelta::Signature { signature: s }) => {
                *signature = Some(s.clone());
            }
            (Open::Tool { json, .. }, BlockDelta::ToolInput { partial_json }) => {
                json.push_str(partial_json);
            }
            _ => {}
        }
    }

    /// One chunk with one part, carrying a held signature if there is one.
    fn part_chunk(&mut self, mut part: Value, out: &mut bytes::BytesMut) {
        if let Some(sig) = self.held_signature.take() {
            part["thoughtSignature"] = Value::String(sig);
        }
        self.chunk(vec![part], None, false, out);
    }

    /// One chunk; `finish` and `last` make it the final one (with usage).
    fn chunk(
        &mut self,
        parts: Vec<Value>,
        finish: Option<String>,
        last: bool,
        out: &mut bytes::BytesMut,
    ) {
        let mut candidate = serde_json::json!({
            "content": { "role": "model", "parts": parts },
            "index": 0,
        });
        let mut body = Map::new();
        if let Some(reason) = finish {
            candidate["finishReason"] = Value::String(reason);
        }
        body.insert("candidates".into(), Value::Array(vec![candidate]));
        if let Some(u) = self.usage.as_ref().filter(|_| last) {
            body.insert("usageMetadata".into(), super::wire::usage_to_wire(u));
        }
        body.insert("modelVersion".into(), Value::String(self.model.clone()));
        body.insert("responseId".into(), Value::String(self.id.clone()));
        self.write(&Value::Object(body), out);
    }

    /// Writes one chunk in the stream's framing.
    fn write(&mut self, body: &Value, out: &mut bytes::BytesMut) {
        let json = serde_json::to_vec(body).unwrap_or_default();
        match &mut self.framing {
            Framing::Sse => {
                out.extend_from_slice(b"data: ");
                out.extend_from_slice(&json);
                out.extend_from_slice(b"\r\n\r\n");
            }
            Framing::Array { opened, .. } => {
                out.extend_from_slice(if *opened { b",\r\n" } else { b"[" });
                *opened = true;
                out.extend_from_slice(&json);
            }
        }
    }
}
