//! Streaming: canonical [`StreamEvent`]s to the typed SSE events the official OpenAI SDKs read
//! from `POST /v1/responses` with `stream: true`.

use bytes::{BufMut, BytesMut};
use serde::Serialize;

use super::object::{self, Meta, Phase, RequestEcho, ResponseOut};
use super::wire::{self, EmptyList, ItemOut, PartOut, SummaryOut};
use crate::canonical::{BlockDelta, BlockStart, StopReason, StreamEvent};
use crate::Usage;

/// What a canonical block accumulates: the protocol repeats the whole content in its `.done`
/// events and in the final response object.
#[derive(Debug)]
enum Kind {
    Text {
        text: String,
    },
    Thinking {
        text: String,
        part_open: bool,
        signature: Option<String>,
    },
    Redacted {
        data: String,
    },
    Tool {
        call_id: String,
        name: String,
        args: String,
    },
}

/// One canonical block as an output item (its position in `blocks` is its `output_index`).
#[derive(Debug)]
struct Block {
    index: usize,
    item_id: String,
    kind: Kind,
    open: bool,
}

impl Block {
    /// The item as announced (`in_progress`, empty) or finished (`completed`, whole).
    /// The item as sent; `refusal`: the answer turned out to be a refusal (known only when
    /// the stream completes), so its text goes out as `refusal` parts.
    fn item(&self, done: bool, refusal: bool) -> ItemOut<'_> {
        let status = if done { "completed" } else { "in_progress" };
        let id = self.item_id.as_str();
        match &self.kind {
            Kind::Text { text } => ItemOut::Message {
                id,
                status,
                role: "assistant",
                content: if done && refusal {
                    vec![PartOut::Refusal { refusal: text }]
                } else if done {
                    vec![PartOut::text(text)]
                } else {
                    Vec::new()
                },
            },
            Kind::Thinking {
                text, signature, ..
            } => ItemOut::Reasoning {
                id,
                summary: if done && !text.is_empty() {
                    vec![SummaryOut::new(text)]
                } else {
                    Vec::new()
                },
                encrypted_content: signature.as_deref().filter(|_| done),
            },
            Kind::Redacted { data } => ItemOut::Reasoning {
                id,
                summary: Vec::new(),
                encrypted_content: Some(data),
            },
            Kind::Tool {
                call_id,
                name,
                args,
            } => ItemOut::FunctionCall {
                id,
                call_id,
                name,
                arguments: if done { args } else { "" },
                status,
            },
        }
    }
}

/// Every event: `type`, `sequence_number`, then the event's own fields.
#[derive(Serialize)]
struct Envelope<'a, T> {
    #[serde(rename = "type")]
    kind: &'a str,
    sequence_number: u64,
    #[serde(flatten)]
    body: T,
}

#[derive(Serialize)]
struct ResponseBody<'a> {
    response: ResponseOut<'a>,
}

#[derive(Serialize)]
struct ItemBody<'a> {
    output_index: usize,
    item: ItemOut<'a>,
}

#[derive(Serialize)]
struct ContentPartBody<'a> {
    item_id: &'a str,
    output_index: usize,
    content_index: u32,
    part: PartOut<'a>,
}

#[derive(Serialize)]
struct TextBody<'a> {
    item_id: &'a str,
    output_index: usize,
    content_index: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    delta: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    text: Option<&'a str>,
    logprobs: EmptyList,
}

#[derive(Serialize)]
struct SummaryPartBody<'a> {
    item_id: &'a str,
    output_index: usize,
    summary_index: u32,
    part: SummaryOut<'a>,
}

#[derive(Serialize)]
struct SummaryTextBody<'a> {
    item_id: &'a str,
    output_index: usize,
    summary_index: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    delta: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    text: Option<&'a str>,
}

#[derive(Serialize)]
struct ArgumentsBody<'a> {
    item_id: &'a str,
    output_index: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    delta: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    arguments: Option<&'a str>,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    code: &'a str,
    message: &'a str,
    param: Option<()>,
}

/// Appends `event: <kind>` and its data line, numbering it with `seq`.
fn emit<T: Serialize>(seq: &mut u64, kind: &str, body: T, out: &mut BytesMut) {
    let mark = out.len();
    out.extend_from_slice(b"event: ");
    out.extend_from_slice(kind.as_bytes());
    out.extend_from_slice(b"\ndata: ");
    let envelope = Envelope {
        kind,
        sequence_number: *seq,
        body,
    };
    if serde_json::to_writer((&mut *out).writer(), &envelope).is_err() {
        out.truncate(mark);
        return;
    }
    out.extend_from_slice(b"\n\n");
    *seq += 1;
}

/// Encodes canonical events as a Responses SSE stream.
///
/// `response.created` and `response.in_progress` open the stream; each canonical block is one
/// output item: text a `message` (one `output_text` part), thinking a `reasoning` item (one
/// summary part, opened at its first text; the signature becomes `encrypted_content`),
/// redacted thinking a `reasoning` item with only `encrypted_content`, a tool use a
/// `function_call`. `MessageStop` closes open items and sends `response.completed` (or
/// `response.incomplete` for `MaxTokens` / `ContentFilter`) with the whole output and usage.
/// An `Error` is an `error` event. Every event carries an increasing `sequence_number`.
#[derive(Debug)]
pub struct StreamEncoder {
    echo: RequestEcho,
    meta: Meta,
    seq: u64,
    created: bool,
    finished: bool,
    blocks: Vec<Block>,
    stop_reason: Option<StopReason>,
    usage: Option<Usage>,
}

impl Default for StreamEncoder {
    fn default() -> Self {
        Self::new()
    }
}

impl StreamEncoder {
    /// An encoder whose response objects echo default request settings.
    pub fn new() -> Self {
        Self::with_request(RequestEcho::default())
    }

    /// An encoder whose response objects echo `echo` (see [`RequestEcho::from_request`]).
    pub fn with_request(echo: RequestEcho) -> Self {
        StreamEncoder {
            echo,
            meta: Meta {
                id: wire::response_id(""),
                model: String::new(),
                created_at: object::now_secs(),
            },
            seq: 0,
            created: false,
            finished: false,
            blocks: Vec::new(),
            stop_reason: None,
            usage: None,
        }
    }

    /// Appends the SSE bytes for one canonical event to `out` (possibly none).
    pub fn encode(&mut self, event: &StreamEvent, out: &mut BytesMut) {
        if self.finished {
            return;
        }
        match event {
            StreamEvent::MessageStart { id, model, usage } => {
                if !self.created {
                    self.meta.id = wire::response_id(id);
                    self.meta.model.clone_from(model);
                }
                self.merge_usage(usage.as_ref());
                self.ensure_created(out);
            }
            StreamEvent::BlockStart { index, block } => {
                self.ensure_created(out);
                self.block_start(*index, block, out);
            }
            StreamEvent::BlockDelta { index, delta } => self.block_delta(*index, delta, out),
            StreamEvent::BlockStop { index } => {
                if let Some(pos) = self.position(*index) {
                    self.block_stop(pos, out);
                }
            }
            StreamEvent::MessageDelta { stop_reason, usage } => {
                if let Some(stop) = stop_reason {
                    self.stop_reason = Some(stop.clone());
                }
                self.merge_usage(usage.as_ref());
            }
            StreamEvent::MessageStop => self.complete(out),
            StreamEvent::Ping => {}
            StreamEvent::Error { kind, message } => {
                let body = ErrorBody {
                    code: kind,
                    message,
                    param: None,
                };
                emit(&mut self.seq, "error", body, out);
            }
        }
    }

    fn merge_usage(&mut self, usage: Option<&Usage>) {
        let Some(new) = usage else { return };
        self.usage = Some(match self.usage {
            None => *new,
            Some(old) => Usage {
                prompt_tokens: old.prompt_tokens.max(new.prompt_tokens),
                completion_tokens: old.completion_tokens.max(new.completion_tokens),
                cached_tokens: old.cached_tokens.max(new.cached_tokens),
                reasoning_tokens: old.reasoning_tokens.max(new.reasoning_tokens),
                cache_write_tokens: old.cache_write_tokens.max(new.cache_write_tokens),
            },
        });
    }

    fn ensure_created(&mut self, out: &mut BytesMut) {
        if self.created {
            return;
        }
        self.created = true;
        for kind in ["response.created", "response.in_progress"] {
            let response =
                object::response_object(&self.meta, &self.echo, Phase::InProgress, &[], None);
            emit(&mut self.seq, kind, ResponseBody { response }, out);
        }
    }

    /// The output index of the open block with canonical `index`.
    fn position(&self, index: usize) -> Option<usize> {
        self.blocks
            .iter()
            .rposition(|b| b.index == index)
            .filter(|&pos| self.blocks[pos].open)
    }

    fn block_start(&mut self, index: usize, block: &BlockStart, out: &mut BytesMut) {
        let output_index = self.blocks.len();
        let (item_id, kind) = match block {
            BlockStart::Text => (
                wire::item_id("msg", &self.meta.id, output_index),
                Kind::Text {
                    text: String::new(),
                },
            ),
            BlockStart::Thinking => (
                wire::item_id("rs", &self.meta.id, output_index),
                Kind::Thinking {
                    text: String::new(),
                    part_open: false,
                    signature: None,
                },
            ),
            BlockStart::RedactedThinking { data } => (
                wire::item_id("rs", &self.meta.id, output_index),
                Kind::Redacted { data: data.clone() },
            ),
            BlockStart::ToolUse { id, name } => (
                wire::call_item_id(id),
                Kind::Tool {
                    call_id: id.clone(),
                    name: name.clone(),
                    args: String::new(),
                },
            ),
        };
        self.blocks.push(Block {
            index,
            item_id,
            kind,
            open: true,
        });
        let b = &self.blocks[output_index];
        let item = b.item(false, false);
        emit(
            &mut self.seq,
            "response.output_item.added",
            ItemBody { output_index, item },
            out,
        );
        if let Kind::Text { .. } = b.kind {
            let body = ContentPartBody {
                item_id: &b.item_id,
                output_index,
                content_index: 0,
                part: PartOut::text(""),
            };
            emit(&mut self.seq, "response.content_part.added", body, out);
        }
    }

    fn block_delta(&mut self, index: usize, delta: &BlockDelta, out: &mut BytesMut) {
        let Some(output_index) = self.position(index) else {
            return;
        };
        let b = &mut self.blocks[output_index];
        let item_id = b.item_id.as_str();
        match (&mut b.kind, delta) {
            (Kind::Text { text }, BlockDelta::Text { text: piece }) => {
                text.push_str(piece);
                let body = TextBody {
                    item_id,
                    output_index,
                    content_index: 0,
                    delta: Some(piece),
                    text: None,
                    logprobs: EmptyList,
                };
                emit(&mut self.seq, "response.output_text.delta", body, out);
            }
            (
                Kind::Thinking {
                    text, part_open, ..
                },
                BlockDelta::Thinking { text: piece },
            ) => {
                if !*part_open {
                    *part_open = true;
                    let body = SummaryPartBody {
                        item_id,
                        output_index,
                        summary_index: 0,
                        part: SummaryOut::new(""),
                    };
                    emit(
                        &mut self.seq,
                        "response.reasoning_summary_part.added",
                        body,
                        out,
                    );
                }
                text.push_str(piece);
                let body = SummaryTextBody {
                    item_id,
                    output_index,
                    summary_index: 0,
                    delta: Some(piece),
                    text: None,
                };
                emit(
                    &mut self.seq,
                    "response.reasoning_summary_text.delta",
                    body,
                    out,
                );
            }
            (Kind::Thinking { signature, .. }, BlockDelta::Signature { signature: sig }) => {
                *signature = Some(sig.clone());
            }
            (Kind::Tool { args, .. }, BlockDelta::ToolInput { partial_json }) => {
                args.push_str(partial_json);
                let body = ArgumentsBody {
                    item_id,
                    output_index,
                    delta: Some(partial_json),
                    name: None,
                    arguments: None,
                };
                emit(
                    &mut self.seq,
                    "response.function_call_arguments.delta",
                    body,
                    out,
                );
            }
            _ => {}
        }
    }

    fn block_stop(&mut self, output_index: usize, out: &mut BytesMut) {
        let b = &mut self.blocks[output_index];
        b.open = false;
        let b = &self.blocks[output_index];
        let item_id = b.item_id.as_str();
        match &b.kind {
            Kind::Text { text } => {
                let body = TextBody {
                    item_id,
                    output_index,
                    content_index: 0,
                    delta: None,
                    text: Some(text),
                    logprobs: EmptyList,
                };
                emit(&mut self.seq, "response.output_text.done", body, out);
                let body = ContentPartBody {
                    item_id,
                    output_index,
                    content_index: 0,
                    part: PartOut::text(text),
                };
                emit(&mut self.seq, "response.content_part.done", body, out);
            }
            Kind::Thinking {
                text,
                part_open: true,
                ..
            } => {
                let body = SummaryTextBody {
                    item_id,
                    output_index,
                    summary_index: 0,
                    delta: None,
                    text: Some(text),
                };
                emit(
                    &mut self.seq,
                    "response.reasoning_summary_text.done",
                    body,
                    out,
                );
                let body = SummaryPartBody {
                    item_id,
                    output_index,
                    summary_index: 0,
                    part: SummaryOut::new(text),
                };
                emit(
                    &mut self.seq,
                    "response.reasoning_summary_part.done",
                    body,
                    out,
                );
            }
            Kind::Tool { name, args, .. } => {
                let body = ArgumentsBody {
                    item_id,
                    output_index,
                    delta: None,
                    name: Some(name),
                    arguments: Some(args),
                };
                emit(
                    &mut self.seq,
                    "response.function_call_arguments.done",
                    body,
                    out,
                );
            }
            Kind::Thinking { .. } | Kind::Redacted { .. } => {}
        }
        let item = b.item(true, false);
        emit(
            &mut self.seq,
            "response.output_item.done",
            ItemBody { output_index, item },
            out,
        );
    }

    fn complete(&mut self, out: &mut BytesMut) {
        self.ensure_created(out);
        for pos in 0..self.blocks.len() {
            if self.blocks[pos].open {
                self.block_stop(pos, out);
            }
        }
        self.finished = true;
        let refusal = self.stop_reason == Some(StopReason::Refusal);
        let output: Vec<ItemOut<'_>> = self.blocks.iter().map(|b| b.item(true, refusal)).collect();
        let phase = Phase::Done(self.stop_reason.as_ref());
        let response =
            object::response_object(&self.meta, &self.echo, phase, &output, self.usage.as_ref());
        let kind = match wire::status_of(self.stop_reason.as_ref()).0 {
            "incomplete" => "response.incomplete",
            _ => "response.completed",
        };
        emit(&mut self.seq, kind, ResponseBody { response }, out);
    }
}
