//! Request bodies: OpenAI chat messages to the canonical [`ChatRequest`] and back.

use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::wire::{self, WireMessage};
use crate::canonical::{
    ChatRequest, ContentBlock, Loss, MediaSource, Message, ReasoningConfig, ReasoningEffort,
    ResponseFormat, Role, Sampling, ToolChoice, ToolDef,
};
use crate::dialects::openai_common;
use crate::dialects::DecodeError;

#[derive(Debug, Deserialize)]
struct WireRequest {
    model: String,
    messages: Vec<Value>,
    #[serde(default)]
    tools: Option<Vec<WireTool>>,
    #[serde(default)]
    tool_choice: Option<Value>,
    #[serde(default)]
    parallel_tool_calls: Option<bool>,
    #[serde(default)]
    max_tokens: Option<u32>,
    #[serde(default)]
    max_completion_tokens: Option<u32>,
    #[serde(default)]
    temperature: Option<f64>,
    #[serde(default)]
    top_p: Option<f64>,
    #[serde(default)]
    stop: Option<WireStop>,
    #[serde(default)]
    seed: Option<i64>,
    #[serde(default)]
    presence_penalty: Option<f64>,
    #[serde(default)]
    frequency_penalty: Option<f64>,
    #[serde(default)]
    n: Option<u32>,
    #[serde(default)]
    stream: Option<bool>,
    #[serde(default)]
    stream_options: Option<WireStreamOptions>,
    #[serde(default)]
    response_format: Option<WireResponseFormat>,
    #[serde(default)]
    reasoning_effort: Option<ReasoningEffort>,
    #[serde(default)]
    user: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum WireStop {
    One(String),
    Many(Vec<String>),
}

#[derive(Debug, Deserialize)]
struct WireStreamOptions {
    #[serde(default)]
    include_usage: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum WireResponseFormat {
    Text,
    JsonObject,
    JsonSchema { json_schema: WireJsonSchema },
}

#[derive(Debug, Deserialize)]
struct WireJsonSchema {
    name: String,
    #[serde(default)]
    schema: Option<Value>,
    #[serde(default)]
    strict: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum WireTool {
    Function { function: WireFunctionDef },
}

#[derive(Debug, Deserialize)]
struct WireFunctionDef {
    name: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    parameters: Option<Value>,
    #[serde(default)]
    strict: Option<bool>,
}

fn err(field: &str, e: impl std::fmt::Display) -> DecodeError {
    DecodeError::new(format!("`{field}`: {e}"))
}

/// Decodes a Chat Completions request body.
///
/// Leading `system`/`developer` messages become [`ChatRequest::system`], later ones
/// [`Role::System`] messages; `tool` messages become [`ContentBlock::ToolResult`]s of one user
/// message per run; assistant `tool_calls` become [`ContentBlock::ToolUse`] (their `arguments`
/// must be valid JSON) and DeepSeek `reasoning_content` a [`ContentBlock::Thinking`].
pub fn decode_request(body: &[u8]) -> Result<ChatRequest, DecodeError> {
    let w: WireRequest = serde_json::from_slice(body)
        .map_err(|e| DecodeError::new(format!("invalid chat completions request: {e}")))?;
    let mut system = Vec::new();
    let mut messages: Vec<Message> = Vec::new();
    let mut last_was_tool = false;
    for (i, raw) in w.messages.iter().enumerate() {
        let field = format!("messages[{i}]");
        let m: WireMessage = serde_json::from_value(raw.clone()).map_err(|e| err(&field, e))?;
        let content_field = format!("{field}.content");
        let role = m.role.as_deref().unwrap_or_default();
        let is_tool = role == "tool";
        match role {
            "system" | "developer" => {
                let blocks = wire::content_blocks(m.content.as_ref(), &content_field)?;
                if messages.is_empty() {
                    system.extend(blocks);
                } else {
                    messages.push(Message {
                        role: Role::System,
                        content: blocks,
                    });
                }
            }
            "user" => messages.push(Message {
                role: Role::User,
                content: wire::content_blocks(m.content.as_ref(), &content_field)?,
            }),
            "assistant" => {
                let mut content = Vec::new();
                if let Some(text) = m.reasoning_content.filter(|t| !t.is_empty()) {
                    content.push(ContentBlock::Thinking {
                        text,
                        signature: None,
                    });
                }
                content.extend(
                    wire::content_blocks(m.content.as_ref(), &content_field)?
                        .into_iter()
                        .filter(|b| !matches!(b, ContentBlock::Text { text } if text.is_empty())),
                );
                if let Some(refusal) = m.refusal {
                    content.push(ContentBlock::text(refusal));
                }
                for (j, call) in m.tool_calls.unwrap_or_default().into_iter().enumerate() {
                    let raw = call.function.arguments.unwrap_or_default();
                    let input = if raw.trim().is_empty() {
                        json!({})
                    } else {
                        serde_json::from_str(&raw).map_err(|e| {
                            err(
                                &format!("{field}.tool_calls[{j}].function.arguments"),
                                format!("not valid JSON: {e}"),
                            )
                        })?
                    };
                    content.push(ContentBlock::ToolUse {
                        id: call.id,
                        name: call.function.name,
                        input,
                    });
                }
                messages.push(Message {
                    role: Role::Assistant,
                    content,
                });
            }
            "tool" => {
                let tool_use_id = m
                    .tool_call_id
                    .ok_or_else(|| err(&field, "`tool_call_id` is required for role `tool`"))?;
                let block = ContentBlock::ToolResult {
                    tool_use_id,
                    content: wire::content_blocks(m.content.as_ref(), &content_field)?,
                    is_error: false,
                };
                match messages.last_mut() {
                    Some(prev) if last_was_tool => prev.content.push(block),
                    _ => messages.push(Message {
                        role: Role::User,
                        content: vec![block],
                    }),
                }
            }
            other => {
                return Err(err(
                    &format!("{field}.role"),
                    format!("unknown role `{other}`"),
                ))
            }
        }
        last_was_tool = is_tool;
    }
    let tools = w
        .tools
        .unwrap_or_default()
        .into_iter()
        .map(|WireTool::Function { function: f }| ToolDef {
            name: f.name,
            description: f.description,
            parameters: f.parameters.unwrap_or(Value::Null),
            strict: f.strict,
        })
        .collect();
    let tool_choice = w.tool_choice.map(decode_tool_choice).transpose()?;
    let stop = match w.stop {
        None => Vec::new(),
        Some(WireStop::One(s)) => vec![s],
        Some(WireStop::Many(v)) => v,
    };
    let response_format = w.response_format.map(|f| match f {
        WireResponseFormat::Text => ResponseFormat::Text,
        WireResponseFormat::JsonObject => ResponseFormat::JsonObject,
        WireResponseFormat::JsonSchema { json_schema: s } => ResponseFormat::JsonSchema {
            name: s.name,
            schema: s.schema.unwrap_or(Value::Null),
            strict: s.strict,
        },
    });
    Ok(ChatRequest {
        model: w.model,
        system,
        messages,
        tools,
        tool_choice,
        parallel_tool_calls: w.parallel_tool_calls,
        sampling: Sampling {
            max_tokens: w.max_completion_tokens.or(w.max_tokens),
            temperature: w.temperature,
            top_p: w.top_p,
            top_k: None,
            stop,
            seed: w.seed,
            presence_penalty: w.presence_penalty,
            frequency_penalty: w.frequency_penalty,
            n: w.n,
        },
        reasoning: w.reasoning_effort.map(|effort| ReasoningConfig {
            effort: Some(effort),
            ..ReasoningConfig::default()
        }),
        response_format,
        stream: w.stream.unwrap_or(false),
        stream_usage: w
            .stream_options
            .and_then(|o| o.include_usage)
            .unwrap_or(false),
        user: w.user,
    })
}

fn decode_tool_choice(v: Value) -> Result<ToolChoice, DecodeError> {
    match &v {
        Value::String(s) => match s.as_str() {
            "auto" => Ok(ToolChoice::Auto),
            "none" => Ok(ToolChoice::None),
            "required" => Ok(ToolChoice::Required),
            other => Err(err("tool_choice", format!("unknown value `{other}`"))),
        },
        Value::Object(o) => o
            .get("function")
            .and_then(|f| f.get("name"))
            .and_then(Value::as_str)
            .map(|name| ToolChoice::Named {
                name: name.to_owned(),
            })
            .ok_or_else(|| {
                err(
                    "tool_choice",
                    "expected {\"type\":\"function\",\"function\":{\"name\":...}}",
                )
            }),
        _ => Err(err("tool_choice", "expected a string or an object")),
    }
}

/// A user content part for a canonical block.
fn user_part(block: &ContentBlock, field: &str) -> Result<Value, Loss> {
    match block {
        ContentBlock::Text { text } => Ok(json!({"type": "text", "text": text})),
        ContentBlock::Image {
            source,
            media_type,
            detail,
        } => {
            let url =
                crate::dialects::openai_common::image_url(source, media_type.as_deref(), field)?;
            let mut image_url = Map::new();
            image_url.insert("url".into(), url.into());
            wire::put(&mut image_url, "detail", detail.clone());
            Ok(json!({"type": "image_url", "image_url": image_url}))
        }
        ContentBlock::Document {
            source,
            media_type,
            title,
        } => match source {
            MediaSource::Base64 { data } => {
                let mut file = Map::new();
                wire::put(&mut file, "filename", title.clone());
                file.insert(
                    "file_data".into(),
                    wire::data_url(data, media_type.as_deref()).into(),
                );
                Ok(json!({"type": "file", "file": file}))
            }
            MediaSource::Url { .. } => Err(Loss::new(
                field,
                "OpenAI Chat takes documents only as inline file data, not by URL",
            )),
        },
        _ => Err(Loss::new(
            field,
            "this block cannot appear in a user message",
        )),
    }
}

/// User content: a string for a single text block, parts otherwise.
fn user_content(blocks: &[ContentBlock], field: &str) -> Result<Value, Loss> {
    if let [ContentBlock::Text { text }] = blocks {
        return Ok(Value::String(text.clone()));
    }
    blocks
        .iter()
        .map(|b| user_part(b, field))
        .collect::<Result<Vec<_>, _>>()
        .map(Value::Array)
}

/// Encodes a canonical request as a Chat Completions body.
///
/// - Thinking blocks in assistant history are omitted: OpenAI does not accept reasoning text
///   back in messages. Redacted thinking cannot be omitted without losing it, so it is a [`Loss`].
/// - A tool result's `is_error` flag has no wire form; the result content is sent as is.
/// - `reasoning.budget_tokens` without an effort maps to `reasoning_effort`
///   (≤ 1024 → low, ≤ 8192 → medium, more → high); `top_k` is a [`Loss`].
/// - When `stream` is true, `stream_options.include_usage` is always requested.
pub fn encode_request(req: &ChatRequest) -> Result<Vec<u8>, Loss> {
    let mut messages = Vec::new();
    if !req.system.is_empty() {
        messages.push(json!({"role": "system", "content": openai_common::text_content(&req.system, "system", "text")?}));
    }
    for (i, m) in req.messages.iter().enumerate() {
        let field = format!("messages[{i}].content");
        match m.role {
            Role::System => messages
                .push(json!({"role": "system", "content": openai_common::text_content(&m.content, &field, "text")?})),
            Role::User => encode_user(&m.content, &field, &mut messages)?,
            Role::Assistant => messages.push(encode_assistant(&m.content, &field)?),
        }
    }
    let mut body = Map::new();
    body.insert("model".into(), req.model.clone().into());
    body.insert("messages".into(), Value::Array(messages));
    if !req.tools.is_empty() {
        let tools = req
            .tools
            .iter()
            .map(|t| {
                let mut f = Map::new();
                f.insert("name".into(), t.name.clone().into());
                wire::put(&mut f, "description", t.description.clone());
                if !t.parameters.is_null() {
                    f.insert("parameters".into(), t.parameters.clone());
                }
                wire::put(&mut f, "strict", t.strict);
                json!({"type": "function", "function": f})
            })
            .collect();
        body.insert("tools".into(), Value::Array(tools));
    }
    if let Some(choice) = &req.tool_choice {
        let v = match choice {
            ToolChoice::Auto => json!("auto"),
            ToolChoice::None => json!("none"),
            ToolChoice::Required => json!("required"),
            ToolChoice::Named { name } => json!({"type": "function", "function": {"name": name}}),
        };
        body.insert("tool_choice".into(), v);
    }
    wire::put(&mut body, "parallel_tool_calls", req.parallel_tool_calls);
    let s = &req.sampling;
    if s.top_k.is_some() {
        return Err(Loss::new("sampling.top_k", "OpenAI Chat has no top_k"));
    }
    wire::put(&mut body, "max_tokens", s.max_tokens);
    wire::put(&mut body, "temperature", s.temperature);
    wire::put(&mut body, "top_p", s.top_p);
    if !s.stop.is_empty() {
        body.insert("stop".into(), json!(s.stop));
    }
    wire::put(&mut body, "seed", s.seed);
    wire::put(&mut body, "presence_penalty", s.presence_penalty);
    wire::put(&mut body, "frequency_penalty", s.frequency_penalty);
    wire::put(&mut body, "n", s.n);
    if let Some(r) = &req.reasoning {
        let effort = r.effort.or(r.budget_tokens.map(|b| match b {
            0..=1024 => ReasoningEffort::Low,
            1025..=8192 => ReasoningEffort::Medium,
            _ => ReasoningEffort::High,
        }));
        if let Some(effort) = effort {
            body.insert("reasoning_effort".into(), json!(effort));
        }
    }
    if let Some(f) = &req.response_format {
        let v = match f {
            ResponseFormat::Text => json!({"type": "text"}),
            ResponseFormat::JsonObject => json!({"type": "json_object"}),
            ResponseFormat::JsonSchema {
                name,
                schema,
                strict,
            } => {
                let mut s = Map::new();
                s.insert("name".into(), name.clone().into());
                if !schema.is_null() {
                    s.insert("schema".into(), schema.clone());
                }
                wire::put(&mut s, "strict", *strict);
                json!({"type": "json_schema", "json_schema": s})
            }
        };
        body.insert("response_format".into(), v);
    }
    if req.stream {
        body.insert("stream".into(), true.into());
        body.insert("stream_options".into(), json!({"include_usage": true}));
    }
    wire::put(&mut body, "user", req.user.clone());
    serde_json::to_vec(&Value::Object(body))
        .map_err(|e| Loss::new("request", format!("cannot serialize: {e}")))
}

/// A user message: tool results become `tool` messages, runs of other blocks user messages.
fn encode_user(blocks: &[ContentBlock], field: &str, out: &mut Vec<Value>) -> Result<(), Loss> {
    let mut pending: Vec<ContentBlock> = Vec::new();
    for block in blocks {
        if let ContentBlock::ToolResult {
            tool_use_id,
            content,
            ..
        } = block
        {
            if !pending.is_empty() {
                out.push(json!({"role": "user", "content": user_content(&pending, field)?}));
                pending.clear();
            }
            let content = if content.is_empty() {
                Value::String(String::new())
            } else {
                openai_common::text_content(content, &format!("{field}.tool_result"), "text")?
            };
            out.push(json!({"role": "tool", "tool_call_id": tool_use_id, "content": content}));
        } else {
            pending.push(block.clone());
        }
    }
    if !pending.is_empty() || blocks.is_empty() {
        out.push(json!({"role": "user", "content": user_content(&pending, field)?}));
    }
    Ok(())
}

fn encode_assistant(blocks: &[ContentBlock], field: &str) -> Result<Value, Loss> {
    let mut texts = Vec::new();
    let mut calls = Vec::new();
    for block in blocks {
        match block {
            ContentBlock::Text { text } => texts.push(ContentBlock::text(text.clone())),
            ContentBlock::ToolUse { id, name, input } => {
                calls.push(wire::tool_call_json(id, name, input))
            }
            ContentBlock::Thinking { .. } => {}
            ContentBlock::RedactedThinking { .. } => {
                return Err(Loss::new(
                    field,
                    "OpenAI Chat cannot carry redacted thinking in history",
                ))
            }
            _ => {
                return Err(Loss::new(
                    field,
                    "assistant messages take only text and tool calls",
                ))
            }
        }
    }
    let mut msg = Map::new();
    msg.insert("role".into(), "assistant".into());
    let content = if texts.is_empty() {
        if calls.is_empty() {
            Value::String(String::new())
        } else {
            Value::Null
        }
    } else {
        openai_common::text_content(&texts, field, "text")?
    };
    msg.insert("content".into(), content);
    if !calls.is_empty() {
        msg.insert("tool_calls".into(), Value::Array(calls));
    }
    Ok(Value::Object(msg))
}
