//! Non-streamed `response` objects.

use std::borrow::Cow;

use serde::Deserialize;

use super::object::{self, Meta, Phase, RequestEcho};
use super::wire::{
    self, IncompleteDetails, ItemOut, OutputItem, OutputPart, PartOut, SummaryOut, WireError,
    WireUsage,
};
use crate::canonical::{ChatResponse, ContentBlock, StopReason};
use crate::dialects::DecodeError;
use crate::Usage;

/// A `response` object, as far as the canonical model reads it.
#[derive(Debug, Deserialize)]
pub(super) struct WireResponse {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub model: Option<String>,
    #[serde(default)]
    pub created_at: Option<f64>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub incomplete_details: Option<IncompleteDetails>,
    #[serde(default)]
    pub error: Option<WireError>,
    #[serde(default)]
    pub output: Option<Vec<OutputItem>>,
    #[serde(default)]
    pub usage: Option<WireUsage>,
}

/// Canonical content of `output` items, and whether they hold function calls and refusals.
#[derive(Debug, Default)]
pub(super) struct Answer {
    pub content: Vec<ContentBlock>,
    pub has_calls: bool,
    pub has_refusal: bool,
}

impl Answer {
    /// Reads output items (built-in tool items are skipped).
    pub fn of(items: Vec<OutputItem>) -> Self {
        let mut a = Answer::default();
        for item in items {
            match item {
                OutputItem::Message { content } => {
                    for part in content.unwrap_or_default() {
                        let text = match part {
                            OutputPart::OutputText { text } => text,
                            OutputPart::Refusal { refusal } => {
                                a.has_refusal = true;
                                refusal
                            }
                            OutputPart::Other => continue,
                        };
                        if !text.is_empty() {
                            a.content.push(ContentBlock::Text { text });
                        }
                    }
                }
                OutputItem::FunctionCall {
                    id,
                    call_id,
                    name,
                    arguments,
                } => {
                    a.has_calls = true;
                    a.content.push(ContentBlock::ToolUse {
                        id: call_id.filter(|c| !c.is_empty()).or(id).unwrap_or_default(),
                        name: name.unwrap_or_default(),
                        input: wire::lenient_arguments(arguments.unwrap_or_default()),
                    });
                }
                OutputItem::Reasoning {
                    summary,
                    content,
                    encrypted_content,
                } => {
                    let text = wire::reasoning_text(
                        &summary.unwrap_or_default(),
                        &content.unwrap_or_default(),
                    );
                    a.content
                        .extend(wire::reasoning_block(text, encrypted_content));
                }
                OutputItem::Other => {}
            }
        }
        a
    }
}

impl WireResponse {
    /// The canonical stop reason, given what the output held.
    pub fn stop_reason(&self, has_calls: bool, has_refusal: bool) -> Option<StopReason> {
        wire::stop_reason(
            self.status.as_deref(),
            self.incomplete_details
                .as_ref()
                .and_then(|d| d.reason.as_deref()),
            has_calls,
            has_refusal,
        )
    }
}

/// Decodes a `response` object.
///
/// Message text (and refusals, as text with [`StopReason::Refusal`]) becomes text blocks,
/// function calls tool uses (id = `call_id`; arguments that are not valid JSON are kept as a
/// JSON string), reasoning items thinking blocks (see [`super::decode_request`]). Annotations,
/// logprobs and built-in tool items are not carried. A `failed` response is an error.
pub fn decode_response(body: &[u8]) -> Result<ChatResponse, DecodeError> {
    let mut w: WireResponse = serde_json::from_slice(body)
        .map_err(|e| DecodeError::new(format!("invalid response object: {e}")))?;
    if w.status.as_deref() == Some("failed") || (w.output.is_none() && w.error.is_some()) {
        let e = w.error.take().unwrap_or_default();
        return Err(DecodeError::new(format!(
            "the response failed: {}: {}",
            e.kind_or("error"),
            e.message.unwrap_or_default()
        )));
    }
    let Some(output) = w.output.take() else {
        return Err(DecodeError::new(
            "`output` is required in a response object",
        ));
    };
    let answer = Answer::of(output);
    let stop_reason = w.stop_reason(answer.has_calls, answer.has_refusal);
    Ok(ChatResponse {
        id: w.id.unwrap_or_default(),
        model: w.model.unwrap_or_default(),
        content: answer.content,
        stop_reason,
        usage: w.usage.map(Usage::from),
        // Fractional seconds are not meaningful here.
        created: w.created_at.map(|t| t.max(0.0) as u64),
    })
}

/// Encodes a canonical response as a `response` object with default echo fields.
///
/// See [`encode_response_with`].
pub fn encode_response(resp: &ChatResponse) -> Vec<u8> {
    encode_response_with(resp, &RequestEcho::default())
}

/// Encodes a canonical response as a `response` object, echoing `echo`'s request fields.
///
/// Each text block becomes an assistant `message` item (`refusal` parts when the stop reason
/// is [`StopReason::Refusal`]), each thinking block a `reasoning` item (its text as one summary
/// part, its signature as `encrypted_content`), redacted thinking a `reasoning` item with only
/// `encrypted_content`, each tool use a `function_call` item. `MaxTokens` and `ContentFilter`
/// make the status `incomplete`. Images, documents and tool results are left out.
pub fn encode_response_with(resp: &ChatResponse, echo: &RequestEcho) -> Vec<u8> {
    let meta = Meta {
        id: wire::response_id(&resp.id),
        model: resp.model.clone(),
        created_at: resp.created.unwrap_or_else(object::now_secs),
    };
    let refusal = resp.stop_reason == Some(StopReason::Refusal);
    let ids: Vec<String> = resp
        .content
        .iter()
        .enumerate()
        .map(|(n, b)| match b {
            ContentBlock::Text { .. } => wire::item_id("msg", &meta.id, n),
            ContentBlock::Thinking { .. } | ContentBlock::RedactedThinking { .. } => {
                wire::item_id("rs", &meta.id, n)
            }
            ContentBlock::ToolUse { id, .. } => wire::call_item_id(id),
            _ => String::new(),
        })
        .collect();
    let args: Vec<Cow<'_, str>> = resp
        .content
        .iter()
        .map(|b| match b {
            ContentBlock::ToolUse { input, .. } => wire::arguments_string(input),
            _ => Cow::Borrowed(""),
        })
        .collect();
    let output: Vec<ItemOut<'_>> = resp
        .content
        .iter()
        .zip(&ids)
        .zip(&args)
        .filter_map(|((block, id), args)| item_out(block, id, args, refusal))
        .collect();
    let body = object::response_object(
        &meta,
        echo,
        Phase::Done(resp.stop_reason.as_ref()),
        &output,
        resp.usage.as_ref(),
    );
    serde_json::to_vec(&body).unwrap_or_default()
}

fn item_out<'a>(
    block: &'a ContentBlock,
    id: &'a str,
    args: &'a str,
    refusal: bool,
) -> Option<ItemOut<'a>> {
    Some(match block {
        ContentBlock::Text { text } => ItemOut::Message {
            id,
            status: "completed",
            role: "assistant",
            content: vec![if refusal {
                PartOut::Refusal { refusal: text }
            } else {
                PartOut::text(text)
            }],
        },
        ContentBlock::Thinking { text, signature } => ItemOut::Reasoning {
            id,
            summary: if text.is_empty() {
                Vec::new()
            } else {
                vec![SummaryOut::new(text)]
            },
            encrypted_content: signature.as_deref(),
        },
        ContentBlock::RedactedThinking { data } => ItemOut::Reasoning {
            id,
            summary: Vec::new(),
            encrypted_content: Some(data),
        },
        ContentBlock::ToolUse {
            id: call_id, name, ..
        } => ItemOut::FunctionCall {
            id,
            call_id,
            name,
            arguments: args,
            status: "completed",
        },
        _ => return None,
    })
}
