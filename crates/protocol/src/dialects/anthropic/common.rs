//! Pieces shared by the request, response and stream codecs: content blocks, usage and stop
//! reasons.

use serde_json::{json, Map, Value};

use crate::canonical::{ContentBlock, Loss, MediaSource, StopReason};
use crate::dialects::DecodeError;
use crate::Usage;

/// The string at `obj[key]`, or an error naming `path.key`.
pub(crate) fn req_str<'a>(obj: &'a Value, key: &str, path: &str) -> Result<&'a str, DecodeError> {
    obj.get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| DecodeError::new(format!("`{path}.{key}` must be a string")))
}

/// The string at `obj[key]` if present and a string.
pub(crate) fn opt_str(obj: &Value, key: &str) -> Option<String> {
    obj.get(key).and_then(Value::as_str).map(str::to_owned)
}

/// The unsigned integer at `obj[key]`, treating absent or `null` as 0.
pub(crate) fn num(obj: &Value, key: &str) -> u64 {
    obj.get(key).and_then(Value::as_u64).unwrap_or(0)
}

/// Maps an Anthropic `stop_reason` (and `stop_sequence`) to the canonical one.
///
/// `end_turn` → `EndTurn`, `max_tokens` → `MaxTokens`, `stop_sequence` → `StopSequence`,
/// `tool_use` → `ToolUse`, `refusal` → `Refusal`, anything else (`pause_turn`, ...) → `Other`.
pub fn stop_reason_from_wire(reason: &str, sequence: Option<String>) -> StopReason {
    match reason {
        "end_turn" => StopReason::EndTurn,
        "max_tokens" => StopReason::MaxTokens,
        "stop_sequence" => StopReason::StopSequence { sequence },
        "tool_use" => StopReason::ToolUse,
        "refusal" => StopReason::Refusal,
        other => StopReason::Other {
            value: other.to_owned(),
        },
    }
}

/// Maps a canonical stop reason to Anthropic's `(stop_reason, stop_sequence)`.
///
/// The inverse of [`stop_reason_from_wire`]; `ContentFilter` (which Anthropic does not have)
/// becomes `refusal`.
pub fn stop_reason_to_wire(reason: &StopReason) -> (String, Option<String>) {
    match reason {
        StopReason::EndTurn => ("end_turn".into(), None),
        StopReason::MaxTokens => ("max_tokens".into(), None),
        StopReason::StopSequence { sequence } => ("stop_sequence".into(), sequence.clone()),
        StopReason::ToolUse => ("tool_use".into(), None),
        StopReason::ContentFilter | StopReason::Refusal => ("refusal".into(), None),
        StopReason::Other { value } => (value.clone(), None),
    }
}

/// Reads `stop_reason` and `stop_sequence` from an object (a message or a `message_delta.delta`).
pub(crate) fn stop_reason_of(obj: &Value) -> Option<StopReason> {
    let reason = obj.get("stop_reason").and_then(Value::as_str)?;
    Some(stop_reason_from_wire(reason, opt_str(obj, "stop_sequence")))
}

/// Writes `stop_reason` and `stop_sequence` into a JSON object.
pub(crate) fn put_stop_reason(obj: &mut Map<String, Value>, reason: Option<&StopReason>) {
    let (r, s) = match reason.map(stop_reason_to_wire) {
        Some((r, s)) => (Value::String(r), s.map_or(Value::Null, Value::String)),
        None => (Value::Null, Value::Null),
    };
    obj.insert("stop_reason".into(), r);
    obj.insert("stop_sequence".into(), s);
}

/// Anthropic usage counts, as the wire reports them (`input_tokens` excludes cache traffic).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct WireUsage {
    /// `input_tokens`: uncached input.
    pub input: u64,
    /// `output_tokens`.
    pub output: u64,
    /// `cache_read_input_tokens`.
    pub cache_read: u64,
    /// `cache_creation_input_tokens`.
    pub cache_write: u64,
}

impl WireUsage {
    /// Overwrites the counts present in a wire `usage` object, keeping the others.
    pub fn update(&mut self, usage: &Value) {
        let set = |field: &mut u64, key: &str| {
            if let Some(n) = usage.get(key).and_then(Value::as_u64) {
                *field = n;
            }
        };
        set(&mut self.input, "input_tokens");
        set(&mut self.output, "output_tokens");
        set(&mut self.cache_read, "cache_read_input_tokens");
        set(&mut self.cache_write, "cache_creation_input_tokens");
    }

    /// Reads a wire `usage` object.
    pub fn from_json(usage: &Value) -> Self {
        WireUsage {
            input: num(usage, "input_tokens"),
            output: num(usage, "output_tokens"),
            cache_read: num(usage, "cache_read_input_tokens"),
            cache_write: num(usage, "cache_creation_input_tokens"),
        }
    }

    /// From canonical usage (`input` = prompt minus cache reads and writes).
    pub fn from_canonical(u: &Usage) -> Self {
        WireUsage {
            input: u
                .prompt_tokens
                .saturating_sub(u.cached_tokens)
                .saturating_sub(u.cache_write_tokens),
            output: u.completion_tokens,
            cache_read: u.cached_tokens,
            cache_write: u.cache_write_tokens,
        }
    }

    /// Canonical usage (`prompt_tokens` = input + cache reads + cache writes).
    pub fn to_canonical(self) -> Usage {
        Usage {
            prompt_tokens: self
                .input
                .saturating_add(self.cache_read)
                .saturating_add(self.cache_write),
            completion_tokens: self.output,
            cached_tokens: self.cache_read,
            reasoning_tokens: 0,
            cache_write_tokens: self.cache_write,
        }
    }

    /// The wire `usage` object.
    pub fn to_json(self) -> Value {
        json!({
            "input_tokens": self.input,
            "cache_creation_input_tokens": self.cache_write,
            "cache_read_input_tokens": self.cache_read,
            "output_tokens": self.output,
        })
    }
}

/// Decodes a `source` object of an image or document: `(source, media_type)`.
fn decode_source(src: &Value, path: &str) -> Result<(MediaSource, Option<String>), DecodeError> {
    match src.get("type").and_then(Value::as_str) {
        Some("base64") => Ok((
            MediaSource::Base64 {
                data: req_str(src, "data", path)?.to_owned(),
            },
            opt_str(src, "media_type"),
        )),
        Some("url") => Ok((
            MediaSource::Url {
                url: req_str(src, "url", path)?.to_owned(),
            },
            None,
        )),
        Some(other) => Err(DecodeError::new(format!(
            "`{path}.type` `{other}` is not supported (use `base64` or `url`)"
        ))),
        None => Err(DecodeError::new(format!("`{path}.type` is required"))),
    }
}

/// Decodes one content block. `Ok(None)` for a block type the canonical model does not carry
/// (only when `skip_unknown`; otherwise that is an error).
pub(crate) fn decode_block(
    b: &Value,
    path: &str,
    skip_unknown: bool,
) -> Result<Option<ContentBlock>, DecodeError> {
    let ty = req_str(b, "type", path)?;
    let block = match ty {
        "text" => ContentBlock::Text {
            text: req_str(b, "text", path)?.to_owned(),
        },
        "image" => {
            let src = b
                .get("source")
                .ok_or_else(|| DecodeError::new(format!("`{path}.source` is required")))?;
            let (source, media_type) = decode_source(src, &format!("{path}.source"))?;
            ContentBlock::Image {
                source,
                media_type,
                detail: None,
            }
        }
        "document" => {
            let src = b
                .get("source")
                .ok_or_else(|| DecodeError::new(format!("`{path}.source` is required")))?;
            let (source, media_type) = decode_source(src, &format!("{path}.source"))?;
            ContentBlock::Document {
                source,
                media_type,
                title: opt_str(b, "title"),
            }
        }
        "tool_use" => ContentBlock::ToolUse {
            id: req_str(b, "id", path)?.to_owned(),
            name: req_str(b, "name", path)?.to_owned(),
            input: b.get("input").cloned().unwrap_or_else(|| json!({})),
        },
        "tool_result" => {
            let content = match b.get("content") {
                None | Some(Value::Null) => Vec::new(),
                Some(Value::String(s)) => vec![ContentBlock::text(s.clone())],
                Some(v) => decode_blocks(v, &format!("{path}.content"), skip_unknown)?,
            };
            ContentBlock::ToolResult {
                tool_use_id: req_str(b, "tool_use_id", path)?.to_owned(),
                content,
                is_error: b.get("is_error").and_then(Value::as_bool).unwrap_or(false),
            }
        }
        "thinking" => ContentBlock::Thinking {
            text: req_str(b, "thinking", path)?.to_owned(),
            signature: opt_str(b, "signature"),
        },
        "redacted_thinking" => ContentBlock::RedactedThinking {
            data: req_str(b, "data", path)?.to_owned(),
        },
        other => {
            if skip_unknown {
                return Ok(None);
            }
            return Err(DecodeError::new(format!(
                "`{path}.type` `{other}` is not a supported content block"
            )));
        }
    };
    Ok(Some(block))
}

/// Decodes an array of content blocks.
pub(crate) fn decode_blocks(
    v: &Value,
    path: &str,
    skip_unknown: bool,
) -> Result<Vec<ContentBlock>, DecodeError> {
    let arr = v
        .as_array()
        .ok_or_else(|| DecodeError::new(format!("`{path}` must be an array of content blocks")))?;
    let mut out = Vec::with_capacity(arr.len());
    for (i, b) in arr.iter().enumerate() {
        if let Some(block) = decode_block(b, &format!("{path}[{i}]"), skip_unknown)? {
            out.push(block);
        }
    }
    Ok(out)
}

/// Decodes content that is either a string (one text block) or an array of blocks.
pub(crate) fn decode_content(
    v: &Value,
    path: &str,
    skip_unknown: bool,
) -> Result<Vec<ContentBlock>, DecodeError> {
    match v {
        Value::String(s) => Ok(vec![ContentBlock::text(s.clone())]),
        _ => decode_blocks(v, path, skip_unknown),
    }
}

/// Encodes a media source as an Anthropic `source` object.
fn encode_source(
    source: &MediaSource,
    media_type: Option<&String>,
    path: &str,
) -> Result<Value, Loss> {
    match source {
        MediaSource::Base64 { data } => {
            let media_type = media_type.ok_or_else(|| {
                Loss::new(
                    format!("{path}.media_type"),
                    "Anthropic needs the media type of inline base64 data",
                )
            })?;
            Ok(json!({"type": "base64", "media_type": media_type, "data": data}))
        }
        MediaSource::Url { url } => {
            if let Some(rest) = url.strip_prefix("data:") {
                if let Some((mt, data)) = rest.split_once(";base64,") {
                    return Ok(json!({"type": "base64", "media_type": mt, "data": data}));
                }
            }
            let lower = url.to_ascii_lowercase();
            if lower.starts_with("https://") || lower.starts_with("http://") {
                Ok(json!({"type": "url", "url": url}))
            } else {
                Err(Loss::new(
                    format!("{path}.url"),
                    "Anthropic fetches only http(s) URLs; send the data inline as base64",
                ))
            }
        }
    }
}

/// Encodes one canonical content block as an Anthropic block.
pub(crate) fn encode_block(block: &ContentBlock, path: &str) -> Result<Value, Loss> {
    Ok(match block {
        ContentBlock::Text { text } => json!({"type": "text", "text": text}),
        ContentBlock::Image {
            source, media_type, ..
        } => json!({
            "type": "image",
            "source": encode_source(source, media_type.as_ref(), &format!("{path}.source"))?,
        }),
        ContentBlock::Document {
            source,
            media_type,
            title,
        } => {
            let mut obj = json!({
                "type": "document",
                "source": encode_source(source, media_type.as_ref(), &format!("{path}.source"))?,
            });
            if let (Some(t), Some(o)) = (title, obj.as_object_mut()) {
                o.insert("title".into(), Value::String(t.clone()));
            }
            obj
        }
        ContentBlock::ToolUse { id, name, input } => {
            json!({"type": "tool_use", "id": id, "name": name, "input": input})
        }
        ContentBlock::ToolResult {
            tool_use_id,
            content,
            is_error,
        } => {
            let mut obj = Map::new();
            obj.insert("type".into(), json!("tool_result"));
            obj.insert("tool_use_id".into(), json!(tool_use_id));
            if !content.is_empty() {
                let blocks = content
                    .iter()
                    .enumerate()
                    .map(|(i, b)| encode_block(b, &format!("{path}.content[{i}]")))
                    .collect::<Result<Vec<_>, _>>()?;
                obj.insert("content".into(), Value::Array(blocks));
            }
            if *is_error {
                obj.insert("is_error".into(), json!(true));
            }
            Value::Object(obj)
        }
        ContentBlock::Thinking { text, signature } => {
            let mut obj = json!({"type": "thinking", "thinking": text});
            if let (Some(s), Some(o)) = (signature, obj.as_object_mut()) {
                o.insert("signature".into(), Value::String(s.clone()));
            }
            obj
        }
        ContentBlock::RedactedThinking { data } => {
            json!({"type": "redacted_thinking", "data": data})
        }
    })
}
