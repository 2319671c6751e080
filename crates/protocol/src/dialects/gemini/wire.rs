//! Gemini wire shapes shared by requests, answers and streams, and the part ↔ block mapping.

use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::canonical::{ContentBlock, Loss, MediaSource, StopReason};
use crate::Usage;

/// One `Part` of a `Content` (camelCase on the wire; snake_case accepted too).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Part {
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub thought: Option<bool>,
    #[serde(default, alias = "thought_signature")]
    pub thought_signature: Option<String>,
    #[serde(default, alias = "inline_data")]
    pub inline_data: Option<Blob>,
    #[serde(default, alias = "file_data")]
    pub file_data: Option<FileData>,
    #[serde(default, alias = "function_call")]
    pub function_call: Option<FunctionCall>,
    #[serde(default, alias = "function_response")]
    pub function_response: Option<FunctionResponse>,
}

/// Inline bytes.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Blob {
    #[serde(default, alias = "mime_type")]
    pub mime_type: Option<String>,
    #[serde(default)]
    pub data: String,
}

/// A file by URI.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct FileData {
    #[serde(default, alias = "mime_type")]
    pub mime_type: Option<String>,
    #[serde(default, alias = "file_uri")]
    pub file_uri: String,
}

/// A function call (whole, or streamed in pieces on Vertex with `willContinue`).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct FunctionCall {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub args: Option<Value>,
    #[serde(default, alias = "will_continue")]
    pub will_continue: Option<bool>,
    #[serde(default, alias = "partial_args")]
    pub partial_args: Option<Vec<PartialArg>>,
}

/// One streamed argument piece (Vertex `partialArgs`).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct PartialArg {
    #[serde(default, alias = "json_path")]
    pub json_path: String,
    #[serde(default, alias = "string_value")]
    pub string_value: Option<String>,
    #[serde(default, alias = "number_value")]
    pub number_value: Option<serde_json::Number>,
    #[serde(default, alias = "bool_value")]
    pub bool_value: Option<bool>,
    #[serde(default, alias = "null_value")]
    pub null_value: Option<Value>,
}

/// A function result.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct FunctionResponse {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub response: Option<Value>,
}

/// A `Content`: a role and its parts.
#[derive(Debug, Default, Deserialize)]
pub(super) struct Content {
    #[serde(default)]
    pub role: Option<String>,
    #[serde(default)]
    pub parts: Vec<Part>,
}

/// `usageMetadata`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct UsageMetadata {
    #[serde(default)]
    pub prompt_token_count: Option<u64>,
    #[serde(default)]
    pub candidates_token_count: Option<u64>,
    #[serde(default)]
    pub cached_content_token_count: Option<u64>,
    #[serde(default)]
    pub thoughts_token_count: Option<u64>,
}

impl UsageMetadata {
    /// Normalised usage, or `None` when no count is present (Vertex sends `trafficType` alone).
    pub fn to_usage(&self) -> Option<Usage> {
        if self.prompt_token_count.is_none()
            && self.candidates_token_count.is_none()
            && self.thoughts_token_count.is_none()
        {
            return None;
        }
        let thoughts = self.thoughts_token_count.unwrap_or(0);
        Some(Usage {
            prompt_tokens: self.prompt_token_count.unwrap_or(0),
            completion_tokens: self
                .candidates_token_count
                .unwrap_or(0)
                .saturating_add(thoughts),
            cached_tokens: self.cached_content_token_count.unwrap_or(0),
            reasoning_tokens: thoughts,
            cache_write_tokens: 0,
        })
    }
}

/// `usageMetadata` for a canonical usage.
pub(super) fn usage_to_wire(u: &Usage) -> Value {
    let mut m = Map::new();
    m.insert("promptTokenCount".into(), json!(u.prompt_tokens));
    m.insert(
        "candidatesTokenCount".into(),
        json!(u.completion_tokens.saturating_sub(u.reasoning_tokens)),
    );
    m.insert("totalTokenCount".into(), json!(u.total()));
    if u.cached_tokens > 0 {
        m.insert("cachedContentTokenCount".into(), json!(u.cached_tokens));
    }
    if u.reasoning_tokens > 0 {
        m.insert("thoughtsTokenCount".into(), json!(u.reasoning_tokens));
    }
    Value::Object(m)
}

/// A candidate's `finishReason` in canonical form (`has_calls`: its content holds function calls).
pub(super) fn stop_reason_from_wire(reason: &str, has_calls: bool) -> StopReason {
    match reason {
        "STOP" if has_calls => StopReason::ToolUse,
        "STOP" => StopReason::EndTurn,
        "MAX_TOKENS" => StopReason::MaxTokens,
        "SAFETY" | "RECITATION" | "BLOCKLIST" | "PROHIBITED_CONTENT" | "SPII" | "IMAGE_SAFETY" => {
            StopReason::ContentFilter
        }
        other => StopReason::Other {
            value: other.to_owned(),
        },
    }
}

/// The `finishReason` for a canonical stop reason.
pub(super) fn stop_reason_to_wire(reason: &StopReason) -> String {
    match reason {
        StopReason::EndTurn | StopReason::ToolUse | StopReason::StopSequence { .. } => {
            "STOP".to_owned()
        }
        StopReason::MaxTokens => "MAX_TOKENS".to_owned(),
        StopReason::ContentFilter | StopReason::Refusal => "SAFETY".to_owned(),
        StopReason::Other { value } => value.clone(),
    }
}

/// The canonical id of the `n`th call of a message or answer when Gemini gives none.
pub(super) fn call_id(id: Option<String>, n: usize) -> String {
    id.filter(|s| !s.is_empty())
        .unwrap_or_else(|| format!("call_{n}"))
}

/// A media block for a MIME type: images become `Image`, anything else `Document`.
fn media(source: MediaSource, mime: Option<String>) -> ContentBlock {
    if mime.as_deref().is_some_and(|m| m.starts_with("image/")) {
        ContentBlock::Image {
            source,
            media_type: mime,
            detail: None,
        }
    } else {
        ContentBlock::Document {
            source,
            media_type: mime,
            title: None,
        }
    }
}

/// The canonical content of a function response: `{"result": "text"}` becomes that text,
/// `{"error": "text"}` that text with `is_error`, anything else its JSON text.
fn response_content(response: Option<Value>) -> (Vec<ContentBlock>, bool) {
    let value = response.unwrap_or(Value::Object(Map::new()));
    if let Value::Object(m) = &value {
        if m.len() == 1 {
            if let Some(Value::String(s)) = m.get("result") {
                return (vec![ContentBlock::text(s.clone())], false);
            }
            if let Some(Value::String(s)) = m.get("error") {
                return (vec![ContentBlock::text(s.clone())], true);
            }
        }
    }
    (vec![ContentBlock::text(value.to_string())], false)
}

/// Converts wire parts into canonical blocks.
///
/// A `thoughtSignature` on a part that is not a thought (a function call, or the text after the
/// thoughts) becomes a `Thinking` block with empty text just before that part's block.
/// `calls` counts function calls for generated ids; `answered` finds the id of the call a
/// `functionResponse` without id answers (by name).
pub(super) fn parts_to_blocks(
    parts: Vec<Part>,
    calls: &mut usize,
    answered: &mut dyn FnMut(&str) -> String,
) -> Vec<ContentBlock> {
    let mut out = Vec::with_capacity(parts.len());
    for part in parts {
        let thought = part.thought.unwrap_or(false);
        if thought {
            out.push(ContentBlock::Thinking {
                text: part.text.unwrap_or_default(),
                signature: part.thought_signature,
            });
            continue;
        }
        if let Some(signature) = part.thought_signature {
            out.push(ContentBlock::Thinking {
                text: String::new(),
                signature: Some(signature),
            });
        }
        if let Some(call) = part.function_call {
            let id = call_id(call.id, *calls);
            *calls += 1;
            out.push(ContentBlock::ToolUse {
                id,
                name: call.name.unwrap_or_default(),
                input: call.args.unwrap_or(Value::Object(Map::new())),
            });
        } else if let Some(resp) = part.function_response {
            let tool_use_id = match resp.id.filter(|s| !s.is_empty()) {
                Some(id) => id,
                None => answered(&resp.name),
            };
            let (content, is_error) = response_content(resp.response);
            out.push(ContentBlock::ToolResult {
                tool_use_id,
                content,
                is_error,
            });
        } else if let Some(blob) = part.inline_data {
            out.push(media(
                MediaSource::Base64 { data: blob.data },
                blob.mime_type,
            ));
        } else if let Some(file) = part.file_data {
            out.push(media(
                MediaSource::Url { url: file.file_uri },
                file.mime_type,
            ));
        } else if let Some(text) = part.text.filter(|t| !t.is_empty()) {
            out.push(ContentBlock::text(text));
        }
    }
    out
}

/// Converts canonical blocks into wire parts.
///
/// `field` names the blocks for losses; `call_name` finds the function name a tool result
/// answers. A `Thinking` block with empty text and a signature gives its signature to the next
/// part (or to an empty text part when it is last), as Gemini expects.
pub(super) fn blocks_to_parts(
    blocks: &[ContentBlock],
    field: &str,
    call_name: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<Value>, Loss> {
    let mut parts: Vec<Value> = Vec::with_capacity(blocks.len());
    let mut pending_sig: Option<String> = None;
    for (i, block) in blocks.iter().enumerate() {
        let here = || format!("{field}[{i}]");
        let mut part = match block {
            ContentBlock::Text { text } => json!({ "text": text }),
            ContentBlock::Thinking { text, signature } => {
                if text.is_empty() && signature.is_some() {
                    pending_sig = signature.clone();
                    continue;
                }
                let mut p = json!({ "text": text, "thought": true });
                if let Some(sig) = signature {
                    p["thoughtSignature"] = json!(sig);
                }
                p
            }
            ContentBlock::Image {
                source, media_type, ..
            }
            | ContentBlock::Document {
                source, media_type, ..
            } => media_part(source, media_type.as_deref(), &here())?,
            ContentBlock::ToolUse { id, name, input } => {
                let args = if input.is_object() {
                    input.clone()
                } else {
                    return Err(Loss::new(
                        here(),
                        "Gemini function call arguments must be a JSON object",
                    ));
                };
                json!({ "functionCall": { "id": id, "name": name, "args": args } })
            }
            ContentBlock::ToolResult {
                tool_use_id,
                content,
                is_error,
            } => {
                let Some(name) = call_name(tool_use_id) else {
                    return Err(Loss::new(
                        format!("{}.tool_use_id", here()),
                        format!(
                            "Gemini needs the function name of a tool result; no earlier tool call has id `{tool_use_id}`"
                        ),
                    ));
                };
                let mut text = String::new();
                for c in content {
                    match c {
                        ContentBlock::Text { text: t } => text.push_str(t),
                        _ => return Err(Loss::new(
                            format!("{}.content", here()),
                            "Gemini function responses carry JSON only, not images or documents",
                        )),
                    }
                }
                let response = match serde_json::from_str::<Value>(&text) {
                    Ok(v @ Value::Object(_)) if !*is_error => v,
                    _ if *is_error => json!({ "error": text }),
                    _ => json!({ "result": text }),
                };
                json!({ "functionResponse": { "id": tool_use_id, "name": name, "response": response } })
            }
            ContentBlock::RedactedThinking { .. } => {
                return Err(Loss::new(
                    here(),
                    "Gemini has no redacted (encrypted) thinking blocks",
                ))
            }
        };
        if let Some(sig) = pending_sig.take() {
            part["thoughtSignature"] = json!(sig);
        }
        parts.push(part);
    }
    if let Some(sig) = pending_sig {
        parts.push(json!({ "text": "", "thoughtSignature": sig }));
    }
    Ok(parts)
}

/// `inlineData` or `fileData` for a media source.
fn media_part(source: &MediaSource, mime: Option<&str>, field: &str) -> Result<Value, Loss> {
    Ok(match source {
        MediaSource::Base64 { data } => {
            let Some(mime) = mime else {
                return Err(Loss::new(
                    field,
                    "Gemini inline data needs a MIME type, and none is known",
                ));
            };
            json!({ "inlineData": { "mimeType": mime, "data": data } })
        }
        MediaSource::Url { url } => {
            let mut fd = json!({ "fileUri": url });
            if let Some(m) = mime {
                fd["mimeType"] = json!(m);
            }
            json!({ "fileData": fd })
        }
    })
}
