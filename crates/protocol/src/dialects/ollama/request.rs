//! `/api/chat` request bodies to and from [`ChatRequest`].

use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::image::{image_block, image_to_wire};
use super::options::{
    decode_format, decode_options, decode_think, encode_format, encode_options, encode_think,
};
use super::wire::{call_id, call_input, parse_object, WireMessage};
use crate::canonical::{ChatRequest, ContentBlock, Loss, Message, Role, ToolChoice, ToolDef};
use crate::dialects::DecodeError;

#[derive(Debug, Default, Deserialize)]
struct WireChatRequest {
    #[serde(default)]
    model: String,
    #[serde(default)]
    messages: Vec<WireMessage>,
    #[serde(default)]
    tools: Option<Vec<WireTool>>,
    #[serde(default)]
    format: Option<Value>,
    #[serde(default)]
    options: Option<Value>,
    #[serde(default)]
    stream: Option<bool>,
    #[serde(default)]
    think: Option<Value>,
}

#[derive(Debug, Default, Deserialize)]
struct WireTool {
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    function: WireToolFunction,
}

#[derive(Debug, Default, Deserialize)]
struct WireToolFunction {
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    parameters: Option<Value>,
}

/// Tool calls of the conversation so far, for the ids of `tool` messages.
#[derive(Debug, Default)]
struct Calls {
    next: usize,
    /// Calls not yet answered: (id, name), oldest first.
    open: Vec<(String, String)>,
}

impl Calls {
    fn call(&mut self, id: Option<String>, name: &str) -> String {
        let id = call_id(id, self.next);
        self.next += 1;
        self.open.push((id.clone(), name.to_owned()));
        id
    }

    /// The id a `tool` message answers: its own `tool_call_id`, else the oldest open call of
    /// that name, else the oldest open call, else a fresh id.
    fn answer(&mut self, id: Option<String>, name: Option<&str>) -> String {
        if let Some(id) = id.filter(|s| !s.is_empty()) {
            self.open.retain(|(open, _)| *open != id);
            return id;
        }
        let by_name = name.and_then(|n| self.open.iter().position(|(_, open)| open == n));
        match by_name.or((!self.open.is_empty()).then_some(0)) {
            Some(pos) => self.open.remove(pos).0,
            None => {
                self.next += 1;
                call_id(None, self.next - 1)
            }
        }
    }
}

fn text_and_images(content: Option<String>, images: Option<Vec<String>>) -> Vec<ContentBlock> {
    let mut blocks = Vec::new();
    if let Some(text) = content.filter(|t| !t.is_empty()) {
        blocks.push(ContentBlock::text(text));
    }
    blocks.extend(images.unwrap_or_default().into_iter().map(image_block));
    blocks
}

/// Decodes an Ollama `/api/chat` request body (see the [module notes](super) for the mapping).
///
/// Leading `system` messages become [`ChatRequest::system`], later ones [`Role::System`]
/// messages; runs of `tool` messages become one user message of tool results. `stream`
/// defaults to true.
pub fn decode_request(body: &[u8]) -> Result<ChatRequest, DecodeError> {
    let w: WireChatRequest = parse_object(body, "Ollama chat request")?;
    let mut system = Vec::new();
    let mut messages: Vec<Message> = Vec::with_capacity(w.messages.len());
    let mut calls = Calls::default();
    let mut last_was_tool = false;
    for (i, m) in w.messages.into_iter().enumerate() {
        let role = m.role.unwrap_or_default();
        let is_tool = role == "tool";
        match role.as_str() {
            "system" => {
                let blocks = text_and_images(m.content, m.images);
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
                content: text_and_images(m.content, m.images),
            }),
            "assistant" => {
                let mut content = Vec::new();
                if let Some(text) = m.thinking.filter(|t| !t.is_empty()) {
                    content.push(ContentBlock::Thinking {
                        text,
                        signature: None,
                    });
                }
                content.extend(text_and_images(m.content, m.images));
                for call in m.tool_calls.unwrap_or_default() {
                    let name = call.function.name;
                    content.push(ContentBlock::ToolUse {
                        id: calls.call(call.id, &name),
                        name,
                        input: call_input(call.function.arguments),
                    });
                }
                messages.push(Message {
                    role: Role::Assistant,
                    content,
                });
            }
            "tool" => {
                let block = ContentBlock::ToolResult {
                    tool_use_id: calls.answer(m.tool_call_id, m.tool_name.as_deref()),
                    content: text_and_images(m.content, m.images),
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
                return Err(DecodeError::new(format!(
                    "`messages[{i}].role`: unknown role `{other}` (expected system, user, assistant or tool)"
                )))
            }
        }
        last_was_tool = is_tool;
    }
    let mut tools = Vec::new();
    for (i, t) in w.tools.unwrap_or_default().into_iter().enumerate() {
        if t.kind.as_deref().is_some_and(|k| k != "function") {
            return Err(DecodeError::new(format!(
                "`tools[{i}].type`: only `function` tools are supported"
            )));
        }
        tools.push(ToolDef {
            name: t.function.name,
            description: t.function.description,
            parameters: t.function.parameters.unwrap_or(Value::Null),
            strict: None,
        });
    }
    Ok(ChatRequest {
        model: w.model,
        system,
        messages,
        tools,
        sampling: decode_options(w.options)?,
        reasoning: decode_think(w.think)?,
        response_format: decode_format(w.format)?,
        stream: w.stream.unwrap_or(true),
        ..ChatRequest::default()
    })
}

/// Encodes a canonical request as an Ollama `/api/chat` body (`stream` always explicit).
///
/// Not carried: `user`, tools' `strict`, a JSON schema's name and `strict` (Ollama always
/// constrains to the schema), thinking signatures, and a tool result's `is_error` (its content
/// is sent as is). `tool_choice: none` sends no tools. A [`Loss`] is reported for
/// `tool_choice` `required` or a named tool, `parallel_tool_calls: false`, `n` above 1, image
/// URLs (Ollama takes only inline base64 images), documents, redacted thinking and tool
/// call arguments that are not a JSON object.
pub fn encode_request(req: &ChatRequest) -> Result<Vec<u8>, Loss> {
    let mut messages = Vec::with_capacity(req.messages.len() + 1);
    if !req.system.is_empty() {
        messages.push(Value::Object(plain_message(
            "system",
            &req.system,
            "system",
        )?));
    }
    // Tool call id -> tool name, for `tool_name` of tool results.
    let mut names: Vec<(&str, &str)> = Vec::new();
    for (i, m) in req.messages.iter().enumerate() {
        let field = format!("messages[{i}].content");
        match m.role {
            Role::System => {
                messages.push(Value::Object(plain_message("system", &m.content, &field)?))
            }
            Role::User => encode_user(&m.content, &field, &names, &mut messages)?,
            Role::Assistant => messages.push(encode_assistant(&m.content, &field, &mut names)?),
        }
    }
    let mut body = Map::new();
    body.insert("model".into(), json!(req.model));
    body.insert("messages".into(), Value::Array(messages));
    match &req.tool_choice {
        None | Some(ToolChoice::Auto) => {
            if !req.tools.is_empty() {
                body.insert(
                    "tools".into(),
                    Value::Array(req.tools.iter().map(tool_json).collect()),
                );
            }
        }
        Some(ToolChoice::None) => {}
        Some(ToolChoice::Required | ToolChoice::Named { .. }) => {
            return Err(Loss::new(
                "tool_choice",
                "Ollama has no tool_choice: the model always decides whether to call a tool",
            ))
        }
    }
    if req.parallel_tool_calls == Some(false) {
        return Err(Loss::new(
            "parallel_tool_calls",
            "Ollama cannot be told to make at most one tool call per turn",
        ));
    }
    let options = encode_options(&req.sampling)?;
    if !options.is_empty() {
        body.insert("options".into(), Value::Object(options));
    }
    if let Some(format) = encode_format(req.response_format.as_ref()) {
        body.insert("format".into(), format);
    }
    if let Some(think) = encode_think(req.reasoning.as_ref()) {
        body.insert("think".into(), think);
    }
    body.insert("stream".into(), json!(req.stream));
    serde_json::to_vec(&Value::Object(body))
        .map_err(|e| Loss::new("request", format!("cannot serialise: {e}")))
}

fn tool_json(t: &ToolDef) -> Value {
    let mut f = Map::new();
    f.insert("name".into(), json!(t.name));
    if let Some(d) = &t.description {
        f.insert("description".into(), json!(d));
    }
    if !t.parameters.is_null() {
        f.insert("parameters".into(), t.parameters.clone());
    }
    json!({ "type": "function", "function": f })
}

/// Text (joined by newlines) and images of a message, in Ollama's shape.
#[derive(Default)]
struct Parts {
    text: String,
    images: Vec<String>,
}

impl Parts {
    fn push_text(&mut self, text: &str) {
        if !self.text.is_empty() {
            self.text.push('\n');
        }
        self.text.push_str(text);
    }

    /// Takes a text or image block; anything else is handed back.
    fn take<'b>(
        &mut self,
        block: &'b ContentBlock,
        field: &str,
    ) -> Result<Option<&'b ContentBlock>, Loss> {
        match block {
            ContentBlock::Text { text } => self.push_text(text),
            ContentBlock::Image { source, .. } => self.images.push(image_to_wire(source, field)?),
            ContentBlock::Document { .. } => {
                return Err(Loss::new(
                    field,
                    "Ollama takes no documents, only text and base64 images",
                ))
            }
            other => return Ok(Some(other)),
        }
        Ok(None)
    }

    fn message(self, role: &str) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("role".into(), json!(role));
        m.insert("content".into(), json!(self.text));
        if !self.images.is_empty() {
            m.insert("images".into(), json!(self.images));
        }
        m
    }
}

/// A message of text and images only.
fn plain_message(
    role: &str,
    blocks: &[ContentBlock],
    field: &str,
) -> Result<Map<String, Value>, Loss> {
    let mut parts = Parts::default();
    for (j, b) in blocks.iter().enumerate() {
        let here = format!("{field}[{j}]");
        if parts.take(b, &here)?.is_some() {
            return Err(Loss::new(
                here,
                format!("Ollama {role} messages take only text and images"),
            ));
        }
    }
    Ok(parts.message(role))
}

/// A user message: tool results become `tool` messages, runs of other blocks user messages.
fn encode_user(
    blocks: &[ContentBlock],
    field: &str,
    names: &[(&str, &str)],
    out: &mut Vec<Value>,
) -> Result<(), Loss> {
    let mut pending = Parts::default();
    let mut pending_any = false;
    for (j, b) in blocks.iter().enumerate() {
        let here = format!("{field}[{j}]");
        let Some(rest) = pending.take(b, &here)? else {
            pending_any = true;
            continue;
        };
        let ContentBlock::ToolResult {
            tool_use_id,
            content,
            ..
        } = rest
        else {
            return Err(Loss::new(
                here,
                "Ollama user messages take only text, images and tool results",
            ));
        };
        if pending_any {
            out.push(Value::Object(std::mem::take(&mut pending).message("user")));
            pending_any = false;
        }
        let mut msg = plain_message("tool", content, &format!("{here}.content"))?;
        if let Some((_, name)) = names.iter().rev().find(|(id, _)| id == tool_use_id) {
            msg.insert("tool_name".into(), json!(name));
        }
        out.push(Value::Object(msg));
    }
    if pending_any || blocks.is_empty() {
        out.push(Value::Object(pending.message("user")));
    }
    Ok(())
}

/// An assistant message: text, `thinking`, images and `tool_calls`.
fn encode_assistant<'r>(
    blocks: &'r [ContentBlock],
    field: &str,
    names: &mut Vec<(&'r str, &'r str)>,
) -> Result<Value, Loss> {
    let mut parts = Parts::default();
    let mut thinking = String::new();
    let mut calls = Vec::new();
    for (j, b) in blocks.iter().enumerate() {
        let here = format!("{field}[{j}]");
        match parts.take(b, &here)? {
            None => {}
            Some(ContentBlock::Thinking { text, .. }) => thinking.push_str(text),
            Some(ContentBlock::ToolUse { id, name, input }) => {
                if !input.is_object() {
                    return Err(Loss::new(
                        format!("{here}.input"),
                        "Ollama tool call arguments must be a JSON object",
                    ));
                }
                names.push((id, name));
                calls.push(json!({ "function": { "name": name, "arguments": input } }));
            }
            Some(ContentBlock::RedactedThinking { .. }) => {
                return Err(Loss::new(
                    here,
                    "Ollama cannot carry redacted (encrypted) thinking",
                ))
            }
            Some(_) => {
                return Err(Loss::new(
                    here,
                    "Ollama assistant messages take only text, thinking, images and tool calls",
                ))
            }
        }
    }
    let mut m = parts.message("assistant");
    if !thinking.is_empty() {
        m.insert("thinking".into(), json!(thinking));
    }
    if !calls.is_empty() {
        m.insert("tool_calls".into(), Value::Array(calls));
    }
    Ok(Value::Object(m))
}
