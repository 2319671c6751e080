//! Request bodies: the canonical [`ChatRequest`] to a Responses body, for providers that only
//! offer `/v1/responses`.

use serde_json::{json, Map, Value};

use super::wire;
use crate::canonical::{
    ChatRequest, ContentBlock, Loss, MediaSource, Message, ReasoningConfig, ReasoningEffort,
    ResponseFormat, Role, ToolChoice, ToolDef,
};
use crate::dialects::openai_common;

/// Wire name of a reasoning effort.
pub(super) fn effort_str(effort: ReasoningEffort) -> &'static str {
    match effort {
        ReasoningEffort::None => "none",
        ReasoningEffort::Minimal => "minimal",
        ReasoningEffort::Low => "low",
        ReasoningEffort::Medium => "medium",
        ReasoningEffort::High => "high",
    }
}

/// The effort of a reasoning config; a budget without an effort maps to one
/// (≤ 1024 → low, ≤ 8192 → medium, more → high).
pub(super) fn effort_of(r: &ReasoningConfig) -> Option<ReasoningEffort> {
    r.effort.or(r.budget_tokens.map(|b| match b {
        0..=1024 => ReasoningEffort::Low,
        1025..=8192 => ReasoningEffort::Medium,
        _ => ReasoningEffort::High,
    }))
}

/// The `tools` entry of a function tool. Responses functions are strict unless told
/// otherwise, so an unspecified `strict` is sent as `false` (the Chat Completions default).
pub(super) fn tool_json(t: &ToolDef) -> Value {
    let mut f = Map::new();
    f.insert("type".into(), "function".into());
    f.insert("name".into(), t.name.clone().into());
    if let Some(d) = &t.description {
        f.insert("description".into(), d.clone().into());
    }
    let parameters = if t.parameters.is_null() {
        json!({"type": "object", "properties": {}})
    } else {
        t.parameters.clone()
    };
    f.insert("parameters".into(), parameters);
    f.insert("strict".into(), t.strict.unwrap_or(false).into());
    Value::Object(f)
}

/// The wire `tool_choice`.
pub(super) fn tool_choice_json(choice: &ToolChoice) -> Value {
    match choice {
        ToolChoice::Auto => json!("auto"),
        ToolChoice::None => json!("none"),
        ToolChoice::Required => json!("required"),
        ToolChoice::Named { name } => json!({"type": "function", "name": name}),
    }
}

/// The wire `text` object for a response format.
pub(super) fn text_json(format: Option<&ResponseFormat>) -> Value {
    let format = match format {
        None | Some(ResponseFormat::Text) => json!({"type": "text"}),
        Some(ResponseFormat::JsonObject) => json!({"type": "json_object"}),
        Some(ResponseFormat::JsonSchema {
            name,
            schema,
            strict,
        }) => {
            let mut f = Map::new();
            f.insert("type".into(), "json_schema".into());
            f.insert("name".into(), name.clone().into());
            if !schema.is_null() {
                f.insert("schema".into(), schema.clone());
            }
            if let Some(strict) = strict {
                f.insert("strict".into(), (*strict).into());
            }
            Value::Object(f)
        }
    };
    json!({ "format": format })
}

fn check_sampling(req: &ChatRequest) -> Result<(), Loss> {
    let s = &req.sampling;
    if !s.stop.is_empty() {
        return Err(Loss::new("stop", "the Responses API has no stop sequences"));
    }
    if s.n.is_some_and(|n| n > 1) {
        return Err(Loss::new("n", "the Responses API returns a single answer"));
    }
    if s.top_k.is_some() {
        return Err(Loss::new("top_k", "the Responses API has no top_k"));
    }
    if s.seed.is_some() {
        return Err(Loss::new("seed", "the Responses API has no seed"));
    }
    if s.presence_penalty.is_some_and(|p| p != 0.0) {
        return Err(Loss::new(
            "presence_penalty",
            "the Responses API has no penalties",
        ));
    }
    if s.frequency_penalty.is_some_and(|p| p != 0.0) {
        return Err(Loss::new(
            "frequency_penalty",
            "the Responses API has no penalties",
        ));
    }
    Ok(())
}

/// An input content part (user messages and function call outputs).
fn input_part(block: &ContentBlock, field: &str) -> Result<Value, Loss> {
    match block {
        ContentBlock::Text { text } => Ok(json!({"type": "input_text", "text": text})),
        ContentBlock::Image {
            source,
            media_type,
            detail,
        } => {
            let url =
                crate::dialects::openai_common::image_url(source, media_type.as_deref(), field)?;
            Ok(json!({
                "type": "input_image",
                "image_url": url,
                "detail": detail.as_deref().unwrap_or("auto"),
            }))
        }
        ContentBlock::Document {
            source,
            media_type,
            title,
        } => {
            let mut part = Map::new();
            part.insert("type".into(), "input_file".into());
            if let Some(title) = title {
                part.insert("filename".into(), title.clone().into());
            }
            match source {
                MediaSource::Base64 { data } => part.insert(
                    "file_data".into(),
                    wire::data_url(data, media_type.as_deref()).into(),
                ),
                MediaSource::Url { url } => part.insert("file_url".into(), url.clone().into()),
            };
            Ok(Value::Object(part))
        }
        _ => Err(Loss::new(field, "this block cannot appear in user content")),
    }
}

/// User content: a string for a single text block, parts otherwise.
fn input_content(blocks: &[ContentBlock], field: &str) -> Result<Value, Loss> {
    if let [ContentBlock::Text { text }] = blocks {
        return Ok(Value::String(text.clone()));
    }
    blocks
        .iter()
        .map(|b| input_part(b, field))
        .collect::<Result<Vec<_>, _>>()
        .map(Value::Array)
}

/// A user message: tool results become `function_call_output` items, runs of other blocks
/// user messages, in order.
fn encode_user(blocks: &[ContentBlock], field: &str, out: &mut Vec<Value>) -> Result<(), Loss> {
    let mut start = 0;
    let flush = |run: &[ContentBlock], out: &mut Vec<Value>| -> Result<(), Loss> {
        if !run.is_empty() {
            let content = input_content(run, field)?;
            out.push(json!({"type": "message", "role": "user", "content": content}));
        }
        Ok(())
    };
    for (i, block) in blocks.iter().enumerate() {
        if let ContentBlock::ToolResult {
            tool_use_id,
            content,
            ..
        } = block
        {
            flush(&blocks[start..i], out)?;
            start = i + 1;
            let output = if content.is_empty() {
                Value::String(String::new())
            } else {
                input_content(content, &format!("{field}[{i}].content"))?
            };
            out.push(
                json!({"type": "function_call_output", "call_id": tool_use_id, "output": output}),
            );
        }
    }
    if blocks.is_empty() {
        out.push(json!({"type": "message", "role": "user", "content": ""}));
    }
    flush(&blocks[start..], out)
}

/// An assistant message: text runs become assistant message items, tool uses
/// `function_call` items, OpenAI reasoning `reasoning` items; other reasoning is dropped.
fn encode_assistant(
    blocks: &[ContentBlock],
    field: &str,
    out: &mut Vec<Value>,
) -> Result<(), Loss> {
    let mut texts: Vec<Value> = Vec::new();
    let flush = |texts: &mut Vec<Value>, out: &mut Vec<Value>| {
        if !texts.is_empty() {
            let content = Value::Array(std::mem::take(texts));
            out.push(json!({"type": "message", "role": "assistant", "content": content}));
        }
    };
    for (i, block) in blocks.iter().enumerate() {
        match block {
            ContentBlock::Text { text } => {
                texts.push(json!({"type": "output_text", "text": text}));
                continue;
            }
            ContentBlock::ToolUse { id, name, input } => {
                flush(&mut texts, out);
                out.push(json!({
                    "type": "function_call",
                    "call_id": id,
                    "name": name,
                    "arguments": wire::arguments_string(input),
                }));
            }
            ContentBlock::Thinking {
                text,
                signature: Some(sig),
            } if wire::is_openai_encrypted(sig) => {
                flush(&mut texts, out);
                let summary: Vec<Value> = if text.is_empty() {
                    Vec::new()
                } else {
                    vec![json!({"type": "summary_text", "text": text})]
                };
                out.push(
                    json!({"type": "reasoning", "summary": summary, "encrypted_content": sig}),
                );
            }
            ContentBlock::RedactedThinking { data } if wire::is_openai_encrypted(data) => {
                flush(&mut texts, out);
                out.push(json!({"type": "reasoning", "summary": [], "encrypted_content": data}));
            }
            ContentBlock::Thinking { .. } | ContentBlock::RedactedThinking { .. } => {}
            _ => {
                return Err(Loss::new(
                    format!("{field}[{i}]"),
                    "assistant messages take only text, tool calls and reasoning",
                ))
            }
        }
    }
    flush(&mut texts, out);
    Ok(())
}

fn encode_message(m: &Message, field: &str, out: &mut Vec<Value>) -> Result<(), Loss> {
    match m.role {
        Role::System => {
            let content = openai_common::text_content(&m.content, field, "input_text")?;
            out.push(json!({"type": "message", "role": "system", "content": content}));
            Ok(())
        }
        Role::User => encode_user(&m.content, field, out),
        Role::Assistant => encode_assistant(&m.content, field, out),
    }
}

/// Encodes a canonical request as a Responses body.
///
/// - one leading system text becomes `instructions`; several become a leading `system`
///   message (so they round-trip as separate blocks); system content must be text;
/// - thinking and redacted thinking are carried as `reasoning` items only when their opaque
///   data is OpenAI encrypted reasoning (it becomes `encrypted_content`); reasoning from other
///   providers is dropped: the model does not need it to continue the conversation;
/// - a tool result's `is_error` has no wire form; tools with unspecified `strict` are sent
///   with `strict: false`; `reasoning.include_thoughts` asks for `summary: auto`;
/// - always `store: false` (the gateway owns conversation state); when reasoning is
///   requested, `include: ["reasoning.encrypted_content"]` so the next turn can carry it;
/// - [`Loss`] for stop sequences, `n` > 1, `top_k`, `seed` and non-zero penalties, which the
///   Responses API does not have.
pub fn encode_request(req: &ChatRequest) -> Result<Vec<u8>, Loss> {
    check_sampling(req)?;
    let mut input = Vec::new();
    let mut instructions = None;
    match req.system.as_slice() {
        [] => {}
        [ContentBlock::Text { text }] => instructions = Some(text.clone()),
        blocks => {
            let content = match openai_common::text_content(blocks, "system", "input_text")? {
                Value::String(s) => json!([{"type": "input_text", "text": s}]),
                parts => parts,
            };
            input.push(json!({"type": "message", "role": "system", "content": content}));
        }
    }
    for (i, m) in req.messages.iter().enumerate() {
        encode_message(m, &format!("messages[{i}].content"), &mut input)?;
    }
    let mut body = Map::new();
    body.insert("model".into(), req.model.clone().into());
    if let Some(instructions) = instructions {
        body.insert("instructions".into(), instructions.into());
    }
    body.insert("input".into(), Value::Array(input));
    if !req.tools.is_empty() {
        body.insert(
            "tools".into(),
            Value::Array(req.tools.iter().map(tool_json).collect()),
        );
    }
    if let Some(choice) = &req.tool_choice {
        body.insert("tool_choice".into(), tool_choice_json(choice));
    }
    if let Some(p) = req.parallel_tool_calls {
        body.insert("parallel_tool_calls".into(), p.into());
    }
    let s = &req.sampling;
    if let Some(m) = s.max_tokens {
        body.insert("max_output_tokens".into(), m.into());
    }
    if let Some(t) = s.temperature {
        body.insert("temperature".into(), t.into());
    }
    if let Some(p) = s.top_p {
        body.insert("top_p".into(), p.into());
    }
    if let Some(r) = &req.reasoning {
        let mut reasoning = Map::new();
        let effort = effort_of(r);
        if let Some(effort) = effort {
            reasoning.insert("effort".into(), effort_str(effort).into());
        }
        if r.include_thoughts == Some(true) {
            reasoning.insert("summary".into(), "auto".into());
        }
        if !reasoning.is_empty() {
            body.insert("reasoning".into(), Value::Object(reasoning));
        }
        if effort.is_some_and(|e| e != ReasoningEffort::None) {
            body.insert("include".into(), json!(["reasoning.encrypted_content"]));
        }
    }
    if let Some(f) = &req.response_format {
        body.insert("text".into(), text_json(Some(f)));
    }
    if req.stream {
        body.insert("stream".into(), true.into());
    }
    if let Some(user) = &req.user {
        body.insert("user".into(), user.clone().into());
    }
    body.insert("store".into(), false.into());
    serde_json::to_vec(&Value::Object(body))
        .map_err(|e| Loss::new("request", format!("cannot serialize: {e}")))
}
