//! Streaming: `chat.completion.chunk` SSE events to canonical [`StreamEvent`]s and back.

use bytes::BytesMut;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::wire::{self, WireUsage};
use crate::canonical::{BlockDelta, BlockStart, StreamEvent};
use crate::dialects::{write, DecodeError};
use crate::sse::event_data;
use crate::Usage;

#[derive(Debug, Deserialize)]
struct Chunk<'a> {
    // Borrowed: every chunk repeats them, only the first one's are kept.
    #[serde(default, borrow)]
    id: Option<std::borrow::Cow<'a, str>>,
    #[serde(default, borrow)]
    model: Option<std::borrow::Cow<'a, str>>,
    #[serde(default)]
    choices: Option<Vec<ChunkChoice>>,
    #[serde(default)]
    usage: Option<WireUsage>,
    #[serde(default)]
    error: Option<ChunkError>,
}

#[derive(Debug, Deserialize)]
struct ChunkError {
    #[serde(default)]
    message: Option<String>,
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    code: Option<Value>,
}

#[derive(Debug, Deserialize)]
struct ChunkChoice {
    #[serde(default)]
    index: u64,
    #[serde(default)]
    delta: Option<Delta>,
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Delta {
    #[serde(default)]
    content: Option<String>,
    #[serde(default)]
    reasoning_content: Option<String>,
    #[serde(default)]
    refusal: Option<String>,
    #[serde(default)]
    tool_calls: Option<Vec<ToolCallDelta>>,
}

#[derive(Debug, Deserialize)]
struct ToolCallDelta {
    #[serde(default)]
    index: u64,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    function: Option<FunctionDelta>,
}

#[derive(Debug, Deserialize)]
struct FunctionDelta {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    arguments: Option<String>,
}

/// What a canonical block is on the OpenAI wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    Thinking,
    /// A tool call with its wire `index`.
    Tool(u64),
}

/// Decodes an OpenAI Chat Completions stream into canonical events.
///
/// Feed it one raw SSE event at a time (as split by [`SseSplitter`](crate::sse::SseSplitter)).
/// Only single-choice streams are supported: a chunk for a choice index above 0 is an error
/// because `n > 1` cannot be translated.
#[derive(Debug, Default)]
pub struct StreamDecoder {
    started: bool,
    next_index: usize,
    open: Option<(Kind, usize)>,
    seen_tools: Vec<u64>,
    finished: bool,
    done: bool,
    pending_stop: Option<crate::canonical::StopReason>,
    /// Tests: decode every chunk the general way, to compare with the fast path.
    general_only: bool,
}

impl StreamDecoder {
    /// A decoder at the start of a stream.
    pub fn new() -> Self {
        Self::default()
    }

    /// A decoder that never takes the fast path (to check it against the general one).
    #[cfg(test)]
    pub(crate) fn general_only() -> Self {
        StreamDecoder {
            general_only: true,
            ..Self::default()
        }
    }

    /// Decodes one raw SSE event (`data: {...}` or `data: [DONE]`) into `out`.
    /// Events without data (comments, keep-alives) produce nothing.
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
        if data == b"[DONE]" {
            if !self.done {
                self.close(out);
                self.flush_stop(out);
                self.done = true;
                out.push(StreamEvent::MessageStop);
            }
            return Ok(());
        }
        if self.started && !self.finished && !self.general_only {
            if let Some(text) = super::fast::content_only(data) {
                if !text.is_empty() {
                    let index = self.ensure(Kind::Text, BlockStart::Text, out);
                    out.push(StreamEvent::BlockDelta {
                        index,
                        delta: BlockDelta::Text { text },
                    });
                }
                return Ok(());
            }
        }
        let chunk: Chunk<'_> = serde_json::from_slice(data)
            .map_err(|e| DecodeError::new(format!("invalid chat.completion.chunk: {e}")))?;
        if let Some(err) = chunk.error {
            let kind = err
                .kind
                .or_else(|| {
                    err.code
                        .map(|c| c.as_str().map_or(c.to_string(), str::to_owned))
                })
                .unwrap_or_else(|| "error".to_owned());
            out.push(StreamEvent::Error {
                kind,
                message: err.message.unwrap_or_default(),
            });
            return Ok(());
        }
        if !self.started {
            self.started = true;
            out.push(StreamEvent::MessageStart {
                id: chunk.id.unwrap_or_default().into_owned(),
                model: chunk.model.unwrap_or_default().into_owned(),
                usage: None,
            });
        }
        let usage: Option<Usage> = chunk.usage.map(Usage::from);
        for choice in chunk.choices.unwrap_or_default() {
            if choice.index > 0 {
                return Err(DecodeError::new(
                    "`choices[].index` > 0: n > 1 cannot be translated",
                ));
            }
            if let Some(delta) = choice.delta {
                self.delta(delta, out)?;
            }
            if let Some(reason) = choice.finish_reason {
                self.close(out);
                self.finished = true;
                // The usage chunk usually follows the finish chunk: hold the stop reason so
                // that both go out as one MessageDelta, as every other dialect sends them.
                self.pending_stop = Some(wire::stop_reason(&reason));
            }
        }
        if let Some(usage) = usage {
            out.push(StreamEvent::MessageDelta {
                stop_reason: self.pending_stop.take(),
                usage: Some(usage),
            });
        }
        Ok(())
    }

    /// Sends a held stop reason that no usage chunk came to join.
    fn flush_stop(&mut self, out: &mut Vec<StreamEvent>) {
        if let Some(stop) = self.pending_stop.take() {
            out.push(StreamEvent::MessageDelta {
                stop_reason: Some(stop),
                usage: None,
            });
        }
    }

    /// Ends the stream: emits `MessageStop` if a finish reason came but `[DONE]` did not.
    pub fn finish(&mut self, out: &mut Vec<StreamEvent>) {
        if self.finished && !self.done {
            self.close(out);
            self.flush_stop(out);
            self.done = true;
            out.push(StreamEvent::MessageStop);
        }
    }

    fn delta(&mut self, delta: Delta, out: &mut Vec<StreamEvent>) -> Result<(), DecodeError> {
        if let Some(text) = delta.reasoning_content.filter(|t| !t.is_empty()) {
            let index = self.ensure(Kind::Thinking, BlockStart::Thinking, out);
            out.push(StreamEvent::BlockDelta {
                index,
                delta: BlockDelta::Thinking { text },
            });
        }
        for text in [delta.content, delta.refusal].into_iter().flatten() {
            if text.is_empty() {
                continue;
            }
            let index = self.ensure(Kind::Text, BlockStart::Text, out);
            out.push(StreamEvent::BlockDelta {
                index,
                delta: BlockDelta::Text { text },
            });
        }
        for call in delta.tool_calls.unwrap_or_default() {
            let kind = Kind::Tool(call.index);
            let (name, arguments) = match call.function {
                Some(f) => (f.name, f.arguments),
                None => (None, None),
            };
            let index = match self.open {
                Some((open, index)) if open == kind => index,
                _ => {
                    if self.seen_tools.contains(&call.index) {
                        return Err(DecodeError::new(format!(
                            "`tool_calls[{}]` continued after another block started",
                            call.index
                        )));
                    }
                    self.seen_tools.push(call.index);
                    let start = BlockStart::ToolUse {
                        id: call.id.unwrap_or_default(),
                        name: name.unwrap_or_default(),
                    };
                    self.ensure(kind, start, out)
                }
            };
            if let Some(partial_json) = arguments.filter(|a| !a.is_empty()) {
                out.push(StreamEvent::BlockDelta {
                    index,
                    delta: BlockDelta::ToolInput { partial_json },
                });
            }
        }
        Ok(())
    }

    /// The index of the open block of `kind`, closing another open block and starting one.
    fn ensure(&mut self, kind: Kind, start: BlockStart, out: &mut Vec<StreamEvent>) -> usize {
        if let Some((open, index)) = self.open {
            if open == kind {
                return index;
            }
        }
        self.close(out);
        let index = self.next_index;
        self.next_index += 1;
        self.open = Some((kind, index));
        out.push(StreamEvent::BlockStart {
            index,
            block: start,
        });
        index
    }

    fn close(&mut self, out: &mut Vec<StreamEvent>) {
        if let Some((_, index)) = self.open.take() {
            out.push(StreamEvent::BlockStop { index });
        }
    }
}

/// Encodes canonical events as an OpenAI Chat Completions SSE stream.
///
/// Emits a role chunk (`role: assistant`, `content: ""`) at `MessageStart`, `content` /
/// `reasoning_content` / `tool_calls` delta chunks, a finish chunk with an empty delta at the
/// stop reason, a usage chunk (`choices: []`) at the end when `include_usage`, then
/// `data: [DONE]`. Tool-call `index` is the call's ordinal among tool calls. Redacted thinking
/// and signatures have no Chat Completions form and are left out.
#[derive(Debug)]
pub struct StreamEncoder {
    include_usage: bool,
    id: String,
    model: String,
    created: u64,
    /// Per canonical block index: its wire kind (tool calls carry their ordinal).
    blocks: Vec<(usize, Kind)>,
    tool_calls: u64,
    usage: Option<Usage>,
    done: bool,
    /// `"created":…,"id":…,"model":…,"object":…}` and the event's end: the same on every
    /// text chunk of the stream, so rendered once (at `MessageStart`, or at first use).
    tail: Vec<u8>,
}

impl StreamEncoder {
    /// An encoder; `include_usage` adds the final usage chunk (`stream_options.include_usage`).
    pub fn new(include_usage: bool) -> Self {
        let created = crate::dialects::unix_now().0;
        StreamEncoder {
            include_usage,
            id: String::new(),
            model: String::new(),
            created,
            blocks: Vec::new(),
            tool_calls: 0,
            usage: None,
            done: false,
            tail: Vec::new(),
        }
    }

    /// Appends the SSE bytes for one canonical event to `out` (possibly none).
    pub fn encode(&mut self, event: &StreamEvent, out: &mut BytesMut) {
        match event {
            StreamEvent::MessageStart { id, model, usage } => {
                self.id.clone_from(id);
                self.model.clone_from(model);
                self.tail.clear();
                self.merge_usage(usage.as_ref());
                self.choice_chunk(
                    json!({"role": "assistant", "content": "", "refusal": null}),
                    None,
                    out,
                );
            }
            StreamEvent::BlockStart { index, block } => match block {
                BlockStart::Text => self.blocks.push((*index, Kind::Text)),
                BlockStart::Thinking => self.blocks.push((*index, Kind::Thinking)),
                BlockStart::RedactedThinking { .. } => {}
                BlockStart::ToolUse { id, name } => {
                    let ordinal = self.tool_calls;
                    self.tool_calls += 1;
                    self.blocks.push((*index, Kind::Tool(ordinal)));
                    let call = json!({
                        "index": ordinal,
                        "id": id,
                        "type": "function",
                        "function": {"name": name, "arguments": ""},
                    });
                    self.choice_chunk(json!({"tool_calls": [call]}), None, out);
                }
            },
            StreamEvent::BlockDelta { index, delta } => {
                let kind = self
                    .blocks
                    .iter()
                    .rev()
                    .find(|(i, _)| i == index)
                    .map(|(_, k)| *k);
                // The hot path: one text piece per chunk, written directly.
                match (delta, kind) {
                    (BlockDelta::Text { text }, _) => {
                        return self.text_chunk("content", text, out);
                    }
                    (BlockDelta::Thinking { text }, _) => {
                        return self.text_chunk("reasoning_content", text, out);
                    }
                    _ => {}
                }
                let delta = match (delta, kind) {
                    (BlockDelta::Text { text }, _) => json!({"content": text}),
                    (BlockDelta::Thinking { text }, _) => json!({"reasoning_content": text}),
                    (BlockDelta::ToolInput { partial_json }, Some(Kind::Tool(ordinal))) => {
                        json!({"tool_calls": [{"index": ordinal, "function": {"arguments": partial_json}}]})
                    }
                    _ => return,
                };
                self.choice_chunk(delta, None, out);
            }
            StreamEvent::BlockStop { .. } | StreamEvent::Ping => {}
            StreamEvent::MessageDelta { stop_reason, usage } => {
                self.merge_usage(usage.as_ref());
                if let Some(stop) = stop_reason {
                    self.choice_chunk(json!({}), Some(wire::finish_reason(stop)), out);
                }
            }
            StreamEvent::MessageStop => {
                if self.done {
                    return;
                }
                self.done = true;
                if self.include_usage {
                    if let Some(usage) = self.usage {
                        let mut chunk = self.chunk_base();
                        chunk.insert("choices".into(), json!([]));
                        chunk.insert("usage".into(), wire::usage_json(&usage));
                        data(&Value::Object(chunk), out);
                    }
                }
                out.extend_from_slice(b"data: [DONE]\n\n");
            }
            StreamEvent::Error { kind, message } => {
                data(
                    &json!({"error": {"message": message, "type": kind, "param": null, "code": null}}),
                    out,
                );
            }
        }
    }

    fn merge_usage(&mut self, usage: Option<&Usage>) {
        let Some(new) = usage else { return };
        let merged = match self.usage {
            None => *new,
            Some(old) => Usage {
                prompt_tokens: old.prompt_tokens.max(new.prompt_tokens),
                completion_tokens: old.completion_tokens.max(new.completion_tokens),
                cached_tokens: old.cached_tokens.max(new.cached_tokens),
                reasoning_tokens: old.reasoning_tokens.max(new.reasoning_tokens),
                cache_write_tokens: old.cache_write_tokens.max(new.cache_write_tokens),
            },
        };
        self.usage = Some(merged);
    }

    fn chunk_base(&self) -> Map<String, Value> {
        let mut chunk = Map::new();
        chunk.insert("id".into(), self.id.clone().into());
        chunk.insert("object".into(), "chat.completion.chunk".into());
        chunk.insert("created".into(), self.created.into());
        chunk.insert("model".into(), self.model.clone().into());
        chunk
    }

    /// `data: {chunk}` whose delta is `{"<field>": text}`, the same JSON as
    /// [`Self::choice_chunk`] gives, written without a `Value` tree.
    fn text_chunk(&mut self, field: &str, text: &str, out: &mut BytesMut) {
        if self.tail.is_empty() {
            let mut tail = BytesMut::new();
            write::json_u64(&mut tail, self.created);
            tail.extend_from_slice(b",\"id\":");
            write::json_str(&mut tail, &self.id);
            tail.extend_from_slice(b",\"model\":");
            write::json_str(&mut tail, &self.model);
            tail.extend_from_slice(b",\"object\":\"chat.completion.chunk\"}\n\n");
            self.tail = tail.to_vec();
        }
        out.extend_from_slice(b"data: {\"choices\":[{\"delta\":{\"");
        out.extend_from_slice(field.as_bytes());
        out.extend_from_slice(b"\":");
        write::json_str(out, text);
        out.extend_from_slice(
            b"},\"finish_reason\":null,\"index\":0,\"logprobs\":null}],\"created\":",
        );
        out.extend_from_slice(&self.tail);
    }

    fn choice_chunk(&self, delta: Value, finish_reason: Option<&str>, out: &mut BytesMut) {
        let mut chunk = self.chunk_base();
        chunk.insert(
            "choices".into(),
            json!([{"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish_reason}]),
        );
        data(&Value::Object(chunk), out);
    }
}

fn data(value: &Value, out: &mut BytesMut) {
    out.extend_from_slice(b"data: ");
    out.extend_from_slice(value.to_string().as_bytes());
    out.extend_from_slice(b"\n\n");
}
