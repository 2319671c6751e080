//! Streams: Anthropic SSE events to and from canonical [`StreamEvent`]s.

use std::collections::{HashMap, HashSet};

use bytes::BytesMut;
use serde_json::{json, Map, Value};

use super::common::{opt_str, put_stop_reason, req_str, stop_reason_of, WireUsage};
use crate::canonical::{BlockDelta, BlockStart, StreamEvent};
use crate::dialects::{write, DecodeError};
use crate::sse::{event_data, event_name};

/// Decodes Anthropic SSE events, one whole raw event at a time, into canonical events.
///
/// Blocks of types the canonical model does not carry (`server_tool_use`, web search results,
/// ...) are skipped together with their deltas and stop; the remaining blocks are renumbered
/// from 0 in order. Unknown event and delta types are ignored. Usage in `message_delta` is made
/// cumulative by keeping the input counts of `message_start` unless the delta restates them.
#[derive(Debug, Default)]
pub struct StreamDecoder {
    /// Anthropic block index → canonical block index.
    indices: HashMap<u64, usize>,
    /// Anthropic block indices being skipped.
    skipped: HashSet<u64>,
    /// Next canonical block index.
    next_index: usize,
    /// Usage so far, in wire terms.
    usage: WireUsage,
}

impl StreamDecoder {
    /// A decoder at the start of a stream.
    pub fn new() -> Self {
        Self::default()
    }

    /// Decodes one raw SSE event (as cut by [`crate::sse::SseSplitter`]) into `out`.
    pub fn push(
        &mut self,
        raw_event: &[u8],
        out: &mut Vec<StreamEvent>,
    ) -> Result<(), DecodeError> {
        let Some(data) = event_data(raw_event) else {
            // Comments and data-less events carry nothing.
            return Ok(());
        };
        if let Some(result) = self.fast_delta(&data, out) {
            return result;
        }
        let v: Value = serde_json::from_slice(&data)
            .map_err(|e| DecodeError::new(format!("stream event data is not valid JSON: {e}")))?;
        let ty = match v.get("type").and_then(Value::as_str) {
            Some(t) => t.to_owned(),
            None => match event_name(raw_event) {
                Some(n) => String::from_utf8_lossy(n).into_owned(),
                None => return Err(DecodeError::new("stream event has no `type`")),
            },
        };
        match ty.as_str() {
            "message_start" => {
                let msg = v
                    .get("message")
                    .ok_or_else(|| DecodeError::new("`message_start.message` is required"))?;
                self.indices.clear();
                self.skipped.clear();
                self.next_index = 0;
                self.usage = WireUsage::default();
                let usage = msg.get("usage").filter(|u| u.is_object()).map(|u| {
                    self.usage.update(u);
                    self.usage.to_canonical()
                });
                out.push(StreamEvent::MessageStart {
                    id: req_str(msg, "id", "message_start.message")?.to_owned(),
                    model: req_str(msg, "model", "message_start.message")?.to_owned(),
                    usage,
                });
            }
            "content_block_start" => self.block_start(&v, out)?,
            "content_block_delta" => {
                let Some(index) = self.index_of(&v, "content_block_delta")? else {
                    return Ok(());
                };
                let delta = v
                    .get("delta")
                    .ok_or_else(|| DecodeError::new("`content_block_delta.delta` is required"))?;
                let path = "content_block_delta.delta";
                let delta = match delta.get("type").and_then(Value::as_str) {
                    Some("text_delta") => BlockDelta::Text {
                        text: req_str(delta, "text", path)?.to_owned(),
                    },
                    Some("input_json_delta") => BlockDelta::ToolInput {
                        partial_json: req_str(delta, "partial_json", path)?.to_owned(),
                    },
                    Some("thinking_delta") => BlockDelta::Thinking {
                        text: req_str(delta, "thinking", path)?.to_owned(),
                    },
                    Some("signature_delta") => BlockDelta::Signature {
                        signature: req_str(delta, "signature", path)?.to_owned(),
                    },
                    _ => return Ok(()),
                };
                out.push(StreamEvent::BlockDelta { index, delta });
            }
            "content_block_stop" => {
                if let Some(index) = self.index_of(&v, "content_block_stop")? {
                    out.push(StreamEvent::BlockStop { index });
                }
            }
            "message_delta" => {
                let stop_reason = v.get("delta").and_then(stop_reason_of);
                let usage = v.get("usage").filter(|u| u.is_object()).map(|u| {
                    self.usage.update(u);
                    self.usage.to_canonical()
                });
                out.push(StreamEvent::MessageDelta { stop_reason, usage });
            }
            "message_stop" => out.push(StreamEvent::MessageStop),
            "ping" => out.push(StreamEvent::Ping),
            "error" => {
                let err = v.get("error").unwrap_or(&Value::Null);
                out.push(StreamEvent::Error {
                    kind: opt_str(err, "type").unwrap_or_else(|| "error".into()),
                    message: opt_str(err, "message").unwrap_or_default(),
                });
            }
            _ => {}
        }
        Ok(())
    }

    /// Handles `content_block_start`.
    fn block_start(&mut self, v: &Value, out: &mut Vec<StreamEvent>) -> Result<(), DecodeError> {
        let wire_index = v
            .get("index")
            .and_then(Value::as_u64)
            .ok_or_else(|| DecodeError::new("`content_block_start.index` must be an integer"))?;
        let cb = v
            .get("content_block")
            .ok_or_else(|| DecodeError::new("`content_block_start.content_block` is required"))?;
        let path = "content_block_start.content_block";
        let mut initial = None;
        let block = match cb.get("type").and_then(Value::as_str) {
            Some("text") => {
                initial = opt_str(cb, "text")
                    .filter(|t| !t.is_empty())
                    .map(|text| BlockDelta::Text { text });
                BlockStart::Text
            }
            Some("thinking") => {
                initial = opt_str(cb, "thinking")
                    .filter(|t| !t.is_empty())
                    .map(|text| BlockDelta::Thinking { text });
                BlockStart::Thinking
            }
            Some("redacted_thinking") => BlockStart::RedactedThinking {
                data: req_str(cb, "data", path)?.to_owned(),
            },
            Some("tool_use") => {
                initial = cb
                    .get("input")
                    .filter(|i| i.as_object().is_some_and(|o| !o.is_empty()))
                    .map(|i| BlockDelta::ToolInput {
                        partial_json: i.to_string(),
                    });
                BlockStart::ToolUse {
                    id: req_str(cb, "id", path)?.to_owned(),
                    name: req_str(cb, "name", path)?.to_owned(),
                }
            }
            _ => {
                self.skipped.insert(wire_index);
                return Ok(());
            }
        };
        let index = self.next_index;
        self.next_index += 1;
        self.skipped.remove(&wire_index);
        self.indices.insert(wire_index, index);
        out.push(StreamEvent::BlockStart { index, block });
        if let Some(delta) = initial {
            out.push(StreamEvent::BlockDelta { index, delta });
        }
        // A signature present already at the start (not the usual empty one) is kept.
        if let Some(sig) = opt_str(cb, "signature").filter(|s| !s.is_empty()) {
            out.push(StreamEvent::BlockDelta {
                index,
                delta: BlockDelta::Signature { signature: sig },
            });
        }
        Ok(())
    }

    /// The canonical index for the event's `index`; `None` for a skipped block.
    fn index_of(&self, v: &Value, what: &str) -> Result<Option<usize>, DecodeError> {
        let wire_index = v
            .get("index")
            .and_then(Value::as_u64)
            .ok_or_else(|| DecodeError::new(format!("`{what}.index` must be an integer")))?;
        if self.skipped.contains(&wire_index) {
            return Ok(None);
        }
        match self.indices.get(&wire_index) {
            Some(i) => Ok(Some(*i)),
            None => Err(DecodeError::new(format!(
                "`{what}.index` {wire_index} names a block that was never started"
            ))),
        }
    }
}

/// The fields of a `content_block_delta` event, borrowed from the event's bytes.
#[derive(serde::Deserialize)]
struct FastDelta<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    index: u64,
    #[serde(borrow)]
    delta: FastDeltaBody<'a>,
}

#[derive(serde::Deserialize)]
struct FastDeltaBody<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    #[serde(borrow, default)]
    text: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow, default)]
    thinking: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow, default)]
    partial_json: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow, default)]
    signature: Option<std::borrow::Cow<'a, str>>,
}

impl StreamDecoder {
    /// The hot path: a `content_block_delta` read straight into its canonical delta, without
    /// a `Value` tree. `None` when the event is anything else (or unusual): the general path
    /// then decodes it, with its precise errors.
    fn fast_delta(
        &mut self,
        data: &[u8],
        out: &mut Vec<StreamEvent>,
    ) -> Option<Result<(), DecodeError>> {
        static KIND: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
            std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"content_block_delta"));
        KIND.find(data)?;
        // Checked as UTF-8 once here, so the parser does not re-check every string it reads.
        let text = std::str::from_utf8(data).ok()?;
        let ev: FastDelta<'_> = serde_json::from_str(text).ok()?;
        if ev.kind != "content_block_delta" {
            return None;
        }
        let d = ev.delta;
        let delta = match (d.kind, d.text, d.thinking, d.partial_json, d.signature) {
            ("text_delta", Some(t), ..) => BlockDelta::Text {
                text: t.into_owned(),
            },
            ("thinking_delta", _, Some(t), ..) => BlockDelta::Thinking {
                text: t.into_owned(),
            },
            ("input_json_delta", _, _, Some(j), _) => BlockDelta::ToolInput {
                partial_json: j.into_owned(),
            },
            ("signature_delta", _, _, _, Some(s)) => BlockDelta::Signature {
                signature: s.into_owned(),
            },
            _ => return None,
        };
        if self.skipped.contains(&ev.index) {
            return Some(Ok(()));
        }
        let index = *self.indices.get(&ev.index)?;
        out.push(StreamEvent::BlockDelta { index, delta });
        Some(Ok(()))
    }
}

/// Encodes canonical stream events as Anthropic SSE (`event: <type>\ndata: <json>\n\n`).
///
/// Usage missing from `MessageDelta` is filled with the last usage seen (Anthropic always
/// reports usage there).
#[derive(Debug, Default)]
pub struct StreamEncoder {
    /// Last usage seen, in wire terms.
    usage: WireUsage,
}

impl StreamEncoder {
    /// An encoder at the start of a stream.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends the SSE bytes for `event` to `out`.
    pub fn encode(&mut self, event: &StreamEvent, out: &mut BytesMut) {
        if let StreamEvent::BlockDelta { index, delta } = event {
            // The hot path, written directly: the same JSON the `Value` form gives.
            let (kind, field, text) = match delta {
                BlockDelta::Text { text } => ("text_delta", "text", text),
                BlockDelta::Thinking { text } => ("thinking_delta", "thinking", text),
                BlockDelta::Signature { signature } => ("signature_delta", "signature", signature),
                BlockDelta::ToolInput { partial_json } => {
                    ("input_json_delta", "partial_json", partial_json)
                }
            };
            out.extend_from_slice(b"event: content_block_delta\ndata: {\"delta\":{\"");
            out.extend_from_slice(field.as_bytes());
            out.extend_from_slice(b"\":");
            write::json_str(out, text);
            out.extend_from_slice(b",\"type\":\"");
            out.extend_from_slice(kind.as_bytes());
            out.extend_from_slice(b"\"},\"index\":");
            write::json_u64(out, *index as u64);
            out.extend_from_slice(b",\"type\":\"content_block_delta\"}\n\n");
            return;
        }
        let (name, data) = match event {
            StreamEvent::MessageStart { id, model, usage } => {
                if let Some(u) = usage {
                    self.usage = WireUsage::from_canonical(u);
                }
                let usage = usage
                    .as_ref()
                    .map(WireUsage::from_canonical)
                    .unwrap_or_default();
                (
                    "message_start",
                    json!({"type": "message_start", "message": {
                        "id": id, "type": "message", "role": "assistant", "model": model,
                        "content": [], "stop_reason": null, "stop_sequence": null,
                        "usage": usage.to_json(),
                    }}),
                )
            }
            StreamEvent::BlockStart { index, block } => {
                let cb = match block {
                    BlockStart::Text => json!({"type": "text", "text": ""}),
                    BlockStart::Thinking => {
                        json!({"type": "thinking", "thinking": "", "signature": ""})
                    }
                    BlockStart::RedactedThinking { data } => {
                        json!({"type": "redacted_thinking", "data": data})
                    }
                    BlockStart::ToolUse { id, name } => {
                        json!({"type": "tool_use", "id": id, "name": name, "input": {}})
                    }
                };
                (
                    "content_block_start",
                    json!({"type": "content_block_start", "index": index, "content_block": cb}),
                )
            }
            StreamEvent::BlockDelta { index, delta } => {
                let d = match delta {
                    BlockDelta::Text { text } => json!({"type": "text_delta", "text": text}),
                    BlockDelta::Thinking { text } => {
                        json!({"type": "thinking_delta", "thinking": text})
                    }
                    BlockDelta::Signature { signature } => {
                        json!({"type": "signature_delta", "signature": signature})
                    }
                    BlockDelta::ToolInput { partial_json } => {
                        json!({"type": "input_json_delta", "partial_json": partial_json})
                    }
                };
                (
                    "content_block_delta",
                    json!({"type": "content_block_delta", "index": index, "delta": d}),
                )
            }
            StreamEvent::BlockStop { index } => (
                "content_block_stop",
                json!({"type": "content_block_stop", "index": index}),
            ),
            StreamEvent::MessageDelta { stop_reason, usage } => {
                if let Some(u) = usage {
                    self.usage = WireUsage::from_canonical(u);
                }
                let mut delta = Map::new();
                put_stop_reason(&mut delta, stop_reason.as_ref());
                (
                    "message_delta",
                    json!({"type": "message_delta", "delta": delta, "usage": self.usage.to_json()}),
                )
            }
            StreamEvent::MessageStop => ("message_stop", json!({"type": "message_stop"})),
            StreamEvent::Ping => ("ping", json!({"type": "ping"})),
            StreamEvent::Error { kind, message } => (
                "error",
                json!({"type": "error", "error": {"type": kind, "message": message}}),
            ),
        };
        out.extend_from_slice(b"event: ");
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b"\ndata: ");
        out.extend_from_slice(data.to_string().as_bytes());
        out.extend_from_slice(b"\n\n");
    }
}
