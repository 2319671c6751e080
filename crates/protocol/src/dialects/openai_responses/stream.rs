//! Streaming: typed Responses SSE events (`event: response.xxx`) to canonical
//! [`StreamEvent`]s.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::response::WireResponse;
use super::wire::{self, OutputItem, OutputPart, WireError};
use crate::canonical::{BlockDelta, BlockStart, ContentBlock, StreamEvent};
use crate::dialects::DecodeError;
use crate::sse::{event_data, event_name};
use crate::Usage;

/// One stream event; payloads are parsed only by the events that use them.
#[derive(Debug, Deserialize)]
struct Event<'a> {
    #[serde(borrow, default, rename = "type")]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    response: Option<&'a RawValue>,
    #[serde(default)]
    output_index: Option<u64>,
    #[serde(default)]
    content_index: Option<u64>,
    #[serde(default)]
    summary_index: Option<u64>,
    #[serde(borrow, default)]
    item_id: Option<&'a RawValue>,
    #[serde(borrow, default)]
    item: Option<&'a RawValue>,
    #[serde(borrow, default)]
    part: Option<&'a RawValue>,
    #[serde(borrow, default)]
    delta: Option<&'a RawValue>,
    #[serde(borrow, default)]
    text: Option<&'a RawValue>,
    #[serde(borrow, default)]
    arguments: Option<&'a RawValue>,
    #[serde(borrow, default)]
    code: Option<&'a RawValue>,
    #[serde(borrow, default)]
    message: Option<&'a RawValue>,
    #[serde(borrow, default)]
    error: Option<&'a RawValue>,
}

/// `id` and `model` of the response in a lifecycle event.
#[derive(Debug, Deserialize)]
struct Head {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    model: Option<String>,
}

/// The `part` of a `content_part.*` event.
#[derive(Debug, Deserialize)]
struct PartPayload {
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    refusal: Option<String>,
}

/// A string payload, if the field holds one.
fn string(raw: Option<&RawValue>) -> Option<String> {
    serde_json::from_str(raw?.get()).ok()
}

fn parse<'a, T: Deserialize<'a>>(raw: Option<&'a RawValue>, what: &str) -> Result<T, DecodeError> {
    let raw = raw.ok_or_else(|| DecodeError::new(format!("`{what}` is required")))?;
    serde_json::from_str(raw.get()).map_err(|e| DecodeError::new(format!("`{what}`: {e}")))
}

/// Which part of an output item a canonical block stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    /// A message content part, by `content_index`.
    Content(u64),
    /// A reasoning item (all its summary parts form one block).
    Reasoning,
    /// A function call item.
    Call,
}

/// An output item's part: (`output_index`, slot).
type Key = (u64, Slot);

#[derive(Debug, Clone, Copy)]
struct Open {
    key: Key,
    index: usize,
    has_delta: bool,
}

/// Decodes a Responses SSE stream into canonical events.
///
/// Feed it one raw SSE event at a time (as cut by [`SseSplitter`](crate::sse::SseSplitter)).
/// Each message content part, reasoning item and function call becomes one canonical block,
/// numbered in order of appearance. A reasoning item's summary parts are one thinking block
/// (parts separated by a blank line) whose signature is the item's `encrypted_content`; a
/// reasoning item with only encrypted content is a redacted thinking block. `response.completed`
/// and `response.incomplete` give the stop reason and usage; `error` and `response.failed`
/// become one [`StreamEvent::Error`]. Events of built-in tools and unknown events are ignored.
#[derive(Debug, Default)]
pub struct StreamDecoder {
    started: bool,
    next_index: usize,
    open: Option<Open>,
    /// Keys that got a block, to tell a missing block from a finished one at `*.done`.
    seen: Vec<Key>,
    has_calls: bool,
    has_refusal: bool,
    done: bool,
    errored: bool,
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
        if data.is_empty() || data == b"[DONE]" {
            return Ok(());
        }
        let ev: Event<'_> = serde_json::from_slice(data)
            .map_err(|e| DecodeError::new(format!("invalid responses stream event: {e}")))?;
        let kind: Cow<'_, str> = match &ev.kind {
            Some(k) => Cow::Borrowed(k.as_ref()),
            None => match event_name(raw_event) {
                Some(name) => String::from_utf8_lossy(name),
                None => return Err(DecodeError::new("stream event has no `type`")),
            },
        };
        if self.done || self.errored {
            return Ok(());
        }
        let oi = ev.output_index.unwrap_or(0);
        let text_key = (oi, Slot::Content(ev.content_index.unwrap_or(0)));
        match kind.as_ref() {
            "response.created" | "response.in_progress" | "response.queued" => {
                self.ensure_started(ev.response, out)
            }
            "response.output_item.added" => {
                self.ensure_started(None, out);
                if let OutputItem::FunctionCall {
                    id, call_id, name, ..
                } = parse(ev.item, "item")?
                {
                    self.has_calls = true;
                    let id = call_id.filter(|c| !c.is_empty()).or(id).unwrap_or_default();
                    let name = name.unwrap_or_default();
                    self.start((oi, Slot::Call), BlockStart::ToolUse { id, name }, out);
                }
            }
            "response.content_part.added" => {
                let part: PartPayload = parse(ev.part, "part")?;
                if matches!(part.kind.as_deref(), Some("output_text" | "refusal")) {
                    self.ensure_started(None, out);
                    self.ensure(text_key, BlockStart::Text, out);
                    if let Some(text) = part.text.or(part.refusal) {
                        self.text(text_key, text, out);
                    }
                }
            }
            "response.output_text.delta" | "response.refusal.delta" => {
                if kind.as_ref() == "response.refusal.delta" {
                    self.has_refusal = true;
                }
                if let Some(text) = string(ev.delta) {
                    self.text(text_key, text, out);
                }
            }
            "response.output_text.done"
            | "response.refusal.done"
            | "response.content_part.done" => {
                if !self.seen.contains(&text_key) {
                    let text = match ev.part {
                        Some(_) => {
                            parse::<PartPayload>(ev.part, "part").map(|p| p.text.or(p.refusal))?
                        }
                        None => string(ev.text).or_else(|| string(ev.delta)),
                    };
                    if let Some(text) = text {
                        self.text(text_key, text, out);
                    }
                }
                self.close_key(text_key, out);
            }
            "response.function_call_arguments.delta" => {
                let key = (oi, Slot::Call);
                if let Some(partial_json) = string(ev.delta) {
                    // A call whose `output_item.added` was missed: its item id stands in.
                    let start = || BlockStart::ToolUse {
                        id: string(ev.item_id).unwrap_or_default(),
                        name: String::new(),
                    };
                    self.delta(key, start, BlockDelta::ToolInput { partial_json }, out);
                }
            }
            "response.function_call_arguments.done" => {
                let key = (oi, Slot::Call);
                if let Some(open) = self.open.filter(|o| o.key == key && !o.has_delta) {
                    if let Some(partial_json) = string(ev.arguments).filter(|a| !a.is_empty()) {
                        out.push(StreamEvent::BlockDelta {
                            index: open.index,
                            delta: BlockDelta::ToolInput { partial_json },
                        });
                    }
                }
                self.close_key(key, out);
            }
            "response.reasoning_summary_part.added" => {
                self.ensure_started(None, out);
                let key = (oi, Slot::Reasoning);
                let index = self.ensure(key, BlockStart::Thinking, out);
                if ev.summary_index.unwrap_or(0) > 0 && self.open.is_some_and(|o| o.has_delta) {
                    let text = "\n\n".to_owned();
                    out.push(StreamEvent::BlockDelta {
                        index,
                        delta: BlockDelta::Thinking { text },
                    });
                }
            }
            "response.reasoning_summary_text.delta" | "response.reasoning_text.delta" => {
                if let Some(text) = string(ev.delta).filter(|t| !t.is_empty()) {
                    let key = (oi, Slot::Reasoning);
                    let thinking = || BlockStart::Thinking;
                    self.delta(key, thinking, BlockDelta::Thinking { text }, out);
                }
            }
            "response.output_item.done" => {
                self.ensure_started(None, out);
                self.item_done(oi, parse(ev.item, "item")?, out);
            }
            "response.completed" | "response.incomplete" => {
                self.ensure_started(ev.response, out);
                let resp: WireResponse = parse(ev.response, "response")?;
                self.close(out);
                let output_calls = resp.output.as_ref().is_some_and(|items| {
                    items
                        .iter()
                        .any(|i| matches!(i, OutputItem::FunctionCall { .. }))
                });
                // A refusal may only show in the final output (streamed as text first).
                let output_refusal = resp.output.as_ref().is_some_and(|items| {
                    items.iter().any(|i| match i {
                        OutputItem::Message { content } => content
                            .iter()
                            .flatten()
                            .any(|p| matches!(p, OutputPart::Refusal { .. })),
                        _ => false,
                    })
                });
                let stop_reason = resp.stop_reason(
                    self.has_calls || output_calls,
                    self.has_refusal || output_refusal,
                );
                out.push(StreamEvent::MessageDelta {
                    stop_reason,
                    usage: resp.usage.map(Usage::from),
                });
                out.push(StreamEvent::MessageStop);
                self.done = true;
            }
            "response.failed" => {
                let resp: WireResponse = parse(ev.response, "response")?;
                let e = resp.error.unwrap_or_default();
                self.error(e.kind_or("response_failed"), e.message, out);
            }
            "error" => {
                let e = match ev.error {
                    Some(_) => parse::<WireError>(ev.error, "error")?,
                    None => WireError {
                        code: ev.code.and_then(|c| serde_json::from_str(c.get()).ok()),
                        kind: None,
                        message: string(ev.message),
                    },
                };
                self.error(e.kind_or("error"), e.message, out);
            }
            _ => {}
        }
        Ok(())
    }

    /// The stream ended. A stream cut before `response.completed` is left without a
    /// `MessageStop`, so that the caller sees it was truncated; nothing is made up.
    pub fn finish(&mut self, _out: &mut Vec<StreamEvent>) {}

    fn ensure_started(&mut self, response: Option<&RawValue>, out: &mut Vec<StreamEvent>) {
        if self.started {
            return;
        }
        self.started = true;
        let head: Option<Head> = response.and_then(|r| serde_json::from_str(r.get()).ok());
        let (id, model) = head.map_or((None, None), |h| (h.id, h.model));
        out.push(StreamEvent::MessageStart {
            id: id.unwrap_or_default(),
            model: model.unwrap_or_default(),
            usage: None,
        });
    }

    fn error(&mut self, kind: String, message: Option<String>, out: &mut Vec<StreamEvent>) {
        self.errored = true;
        out.push(StreamEvent::Error {
            kind,
            message: message.unwrap_or_default(),
        });
    }

    fn item_done(&mut self, oi: u64, item: OutputItem, out: &mut Vec<StreamEvent>) {
        match item {
            OutputItem::Reasoning {
                summary,
                content,
                encrypted_content,
            } => {
                let key = (oi, Slot::Reasoning);
                let encrypted = encrypted_content.filter(|e| !e.is_empty());
                if let Some(open) = self.open.filter(|o| o.key == key) {
                    if let Some(signature) = encrypted {
                        out.push(StreamEvent::BlockDelta {
                            index: open.index,
                            delta: BlockDelta::Signature { signature },
                        });
                    }
                    self.close(out);
                    return;
                }
                if self.seen.contains(&key) {
                    return;
                }
                let text = wire::reasoning_text(
                    &summary.unwrap_or_default(),
                    &content.unwrap_or_default(),
                );
                match wire::reasoning_block(text, encrypted) {
                    Some(ContentBlock::Thinking { text, signature }) => {
                        let index = self.start(key, BlockStart::Thinking, out);
                        out.push(StreamEvent::BlockDelta {
                            index,
                            delta: BlockDelta::Thinking { text },
                        });
                        if let Some(signature) = signature {
                            out.push(StreamEvent::BlockDelta {
                                index,
                                delta: BlockDelta::Signature { signature },
                            });
                        }
                        self.close(out);
                    }
                    Some(ContentBlock::RedactedThinking { data }) => {
                        self.start(key, BlockStart::RedactedThinking { data }, out);
                        self.close(out);
                    }
                    _ => {}
                }
            }
            OutputItem::FunctionCall {
                id,
                call_id,
                name,
                arguments,
            } => {
                self.has_calls = true;
                let key = (oi, Slot::Call);
                let arguments = arguments.filter(|a| !a.is_empty());
                if let Some(open) = self.open.filter(|o| o.key == key) {
                    if let (false, Some(partial_json)) = (open.has_delta, arguments) {
                        out.push(StreamEvent::BlockDelta {
                            index: open.index,
                            delta: BlockDelta::ToolInput { partial_json },
                        });
                    }
                    self.close(out);
                } else if !self.seen.contains(&key) {
                    let id = call_id.filter(|c| !c.is_empty()).or(id).unwrap_or_default();
                    let name = name.unwrap_or_default();
                    let index = self.start(key, BlockStart::ToolUse { id, name }, out);
                    if let Some(partial_json) = arguments {
                        out.push(StreamEvent::BlockDelta {
                            index,
                            delta: BlockDelta::ToolInput { partial_json },
                        });
                    }
                    self.close(out);
                }
            }
            OutputItem::Message { content } => {
                for (ci, part) in content.unwrap_or_default().into_iter().enumerate() {
                    let key = (oi, Slot::Content(ci as u64));
                    let text = match part {
                        OutputPart::OutputText { text } => text,
                        OutputPart::Refusal { refusal } => {
                            self.has_refusal = true;
                            refusal
                        }
                        OutputPart::Other => continue,
                    };
                    if !self.seen.contains(&key) {
                        self.text(key, text, out);
                    }
                    self.close_key(key, out);
                }
            }
            OutputItem::Other => {}
        }
    }

    /// Starts a block for `key`, closing the open one.
    fn start(&mut self, key: Key, block: BlockStart, out: &mut Vec<StreamEvent>) -> usize {
        self.close(out);
        let index = self.next_index;
        self.next_index += 1;
        self.open = Some(Open {
            key,
            index,
            has_delta: false,
        });
        self.seen.push(key);
        out.push(StreamEvent::BlockStart { index, block });
        index
    }

    /// The index of the open block of `key`, starting one if another is open.
    fn ensure(&mut self, key: Key, block: BlockStart, out: &mut Vec<StreamEvent>) -> usize {
        match self.open {
            Some(open) if open.key == key => open.index,
            _ => self.start(key, block, out),
        }
    }

    /// Emits `delta` into the block of `key`, starting it with `start()` if needed.
    fn delta(
        &mut self,
        key: Key,
        start: impl FnOnce() -> BlockStart,
        delta: BlockDelta,
        out: &mut Vec<StreamEvent>,
    ) {
        self.ensure_started(None, out);
        let index = match self.open {
            Some(open) if open.key == key => open.index,
            _ => self.start(key, start(), out),
        };
        if let Some(open) = self.open.as_mut() {
            open.has_delta = true;
        }
        out.push(StreamEvent::BlockDelta { index, delta });
    }

    /// Emits non-empty `text` into the text block of `key`.
    fn text(&mut self, key: Key, text: String, out: &mut Vec<StreamEvent>) {
        if !text.is_empty() {
            self.delta(key, || BlockStart::Text, BlockDelta::Text { text }, out);
        }
    }

    fn close_key(&mut self, key: Key, out: &mut Vec<StreamEvent>) {
        if self.open.is_some_and(|o| o.key == key) {
            self.close(out);
        }
    }

    fn close(&mut self, out: &mut Vec<StreamEvent>) {
        if let Some(open) = self.open.take() {
            out.push(StreamEvent::BlockStop { index: open.index });
        }
    }
}
