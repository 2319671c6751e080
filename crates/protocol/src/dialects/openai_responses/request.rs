//! Request bodies: a Responses `POST /v1/responses` body to the canonical [`ChatRequest`].

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

use super::wire::{self, TextPart};
use crate::canonical::{
    ChatRequest, ContentBlock, MediaSource, Message, ReasoningConfig, ReasoningEffort,
    ResponseFormat, Role, Sampling, ToolChoice, ToolDef,
};
use crate::dialects::DecodeError;

#[derive(Debug, Deserialize)]
struct WireRequest<'a> {
    model: String,
    #[serde(borrow, default)]
    input: Option<&'a RawValue>,
    #[serde(default)]
    instructions: Option<String>,
    #[serde(default)]
    tools: Option<Vec<Value>>,
    #[serde(default)]
    tool_choice: Option<Value>,
    #[serde(default)]
    parallel_tool_calls: Option<bool>,
    #[serde(default)]
    max_output_tokens: Option<u32>,
    #[serde(default)]
    temperature: Option<f64>,
    #[serde(default)]
    top_p: Option<f64>,
    #[serde(default)]
    reasoning: Option<WireReasoning>,
    #[serde(default)]
    text: Option<WireText>,
    #[serde(default)]
    stream: Option<bool>,
    #[serde(default)]
    user: Option<String>,
    #[serde(default)]
    conversation: Option<Value>,
    #[serde(default)]
    prompt: Option<Value>,
    #[serde(default)]
    background: Option<bool>,
}

#[derive(Debug, Deserialize)]
struct WireReasoning {
    #[serde(default)]
    effort: Option<String>,
    #[serde(default)]
    summary: Option<String>,
    /// The deprecated name of `summary`.
    #[serde(default)]
    generate_summary: Option<String>,
}

#[derive(Debug, Deserialize)]
struct WireText {
    #[serde(default)]
    format: Option<WireFormat>,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum WireFormat {
    Text,
    JsonObject,
    JsonSchema {
        #[serde(default)]
        name: Option<String>,
        #[serde(default)]
        schema: Option<Value>,
        #[serde(default)]
        strict: Option<bool>,
    },
}

#[derive(Debug, Deserialize)]
struct WireFunctionTool {
    name: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    parameters: Option<Value>,
    #[serde(default)]
    strict: Option<bool>,
}

/// One `input` item; which fields matter depends on its `type`.
#[derive(Debug, Deserialize)]
struct InputItem {
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    role: Option<String>,
    #[serde(default)]
    content: Option<Value>,
    #[serde(default)]
    call_id: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    arguments: Option<String>,
    #[serde(default)]
    output: Option<Value>,
    #[serde(default)]
    summary: Option<Vec<TextPart>>,
    #[serde(default)]
    encrypted_content: Option<String>,
}

/// A content part of an input message or of a function call output.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum InputPart {
    InputText {
        text: String,
    },
    OutputText {
        text: String,
    },
    Refusal {
        refusal: String,
    },
    InputImage {
        #[serde(default)]
        image_url: Option<String>,
        #[serde(default)]
        file_id: Option<String>,
        #[serde(default)]
        detail: Option<String>,
    },
    InputFile {
        #[serde(default)]
        file_data: Option<String>,
        #[serde(default)]
        file_url: Option<String>,
        #[serde(default)]
        file_id: Option<String>,
        #[serde(default)]
        filename: Option<String>,
    },
}

fn err(field: &str, e: impl std::fmt::Display) -> DecodeError {
    DecodeError::new(format!("`{field}`: {e}"))
}

/// What the previous item added, to merge runs into one canonical message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Last {
    Other,
    /// An assistant message, function call or reasoning item.
    Assistant,
    /// A function call output.
    ToolOutput,
}

/// The conversation being assembled from `instructions` and `input`.
#[derive(Debug)]
struct Conversation {
    system: Vec<ContentBlock>,
    messages: Vec<Message>,
    last: Last,
}

impl Conversation {
    fn push(&mut self, role: Role, content: Vec<ContentBlock>) {
        self.messages.push(Message { role, content });
        self.last = Last::Other;
    }

    /// Appends to the assistant message of the current run, or starts one.
    fn assistant(&mut self, blocks: Vec<ContentBlock>) {
        match self.messages.last_mut() {
            Some(m) if self.last == Last::Assistant && m.role == Role::Assistant => {
                m.content.extend(blocks)
            }
            _ => self.messages.push(Message {
                role: Role::Assistant,
                content: blocks,
            }),
        }
        self.last = Last::Assistant;
    }

    /// Appends a tool result to the user message of the current run of outputs, or starts one.
    fn tool_result(&mut self, block: ContentBlock) {
        match self.messages.last_mut() {
            Some(m) if self.last == Last::ToolOutput => m.content.push(block),
            _ => self.messages.push(Message {
                role: Role::User,
                content: vec![block],
            }),
        }
        self.last = Last::ToolOutput;
    }

    fn item(&mut self, it: InputItem, field: &str) -> Result<(), DecodeError> {
        let kind = match it.kind.as_deref() {
            Some(k) => k,
            None if it.role.is_some() => "message",
            None => return Err(err(field, "an input item needs a `type` or a `role`")),
        };
        match kind {
            "message" => self.message(it, field),
            "function_call" => {
                let call_id = it
                    .call_id
                    .ok_or_else(|| err(field, "`call_id` is required for a function call"))?;
                let name = it
                    .name
                    .ok_or_else(|| err(field, "`name` is required for a function call"))?;
                let raw = it.arguments.unwrap_or_default();
                let input = if raw.trim().is_empty() {
                    Value::Object(serde_json::Map::new())
                } else {
                    serde_json::from_str(&raw).map_err(|e| {
                        err(
                            &format!("{field}.arguments"),
                            format!("not valid JSON: {e}"),
                        )
                    })?
                };
                self.assistant(vec![ContentBlock::ToolUse {
                    id: call_id,
                    name,
                    input,
                }]);
                Ok(())
            }
            "function_call_output" => {
                let tool_use_id = it.call_id.ok_or_else(|| {
                    err(field, "`call_id` is required for a function call output")
                })?;
                let content = match it.output {
                    None | Some(Value::Null) => Vec::new(),
                    Some(Value::String(s)) if s.is_empty() => Vec::new(),
                    Some(output) => content_blocks(Some(&output), &format!("{field}.output"))?,
                };
                self.tool_result(ContentBlock::ToolResult {
                    tool_use_id,
                    content,
                    is_error: false,
                });
                Ok(())
            }
            "reasoning" => {
                let content = match &it.content {
                    None | Some(Value::Null) => Vec::new(),
                    Some(v) => Vec::<TextPart>::deserialize(v)
                        .map_err(|e| err(&format!("{field}.content"), e))?,
                };
                let text = wire::reasoning_text(&it.summary.unwrap_or_default(), &content);
                // An item that only references stored reasoning by id carries nothing here.
                let blocks = wire::reasoning_block(text, it.encrypted_content)
                    .into_iter()
                    .collect();
                self.assistant(blocks);
                Ok(())
            }
            "item_reference" => Err(err(
                field,
                "item references need responses stored by OpenAI; send the items themselves",
            )),
            other => Err(err(
                field,
                format!("input item type `{other}` is only available with OpenAI providers"),
            )),
        }
    }

    fn message(&mut self, it: InputItem, field: &str) -> Result<(), DecodeError> {
        let blocks = content_blocks(it.content.as_ref(), &format!("{field}.content"))?;
        match it.role.as_deref().unwrap_or_default() {
            "user" => self.push(Role::User, blocks),
            "system" | "developer" => {
                if self.messages.is_empty() {
                    self.system.extend(blocks);
                } else {
                    self.push(Role::System, blocks);
                }
            }
            "assistant" => self.assistant(
                blocks
                    .into_iter()
                    .filter(|b| !matches!(b, ContentBlock::Text { text } if text.is_empty()))
                    .collect(),
            ),
            other => {
                return Err(err(
                    &format!("{field}.role"),
                    format!("unknown role `{other}`"),
                ))
            }
        }
        Ok(())
    }
}

/// Canonical blocks of a message `content` or function call `output`: a string or parts.
fn content_blocks(content: Option<&Value>, field: &str) -> Result<Vec<ContentBlock>, DecodeError> {
    match content {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::String(s)) => Ok(vec![ContentBlock::text(s.clone())]),
        Some(Value::Array(parts)) => parts
            .iter()
            .enumerate()
            .map(|(i, part)| part_block(part, &format!("{field}[{i}]")))
            .collect(),
        Some(_) => Err(err(field, "must be a string or an array of content parts")),
    }
}

fn part_block(part: &Value, field: &str) -> Result<ContentBlock, DecodeError> {
    let part = InputPart::deserialize(part).map_err(|e| err(field, e))?;
    Ok(match part {
        InputPart::InputText { text } | InputPart::OutputText { text } => {
            ContentBlock::Text { text }
        }
        InputPart::Refusal { refusal } => ContentBlock::Text { text: refusal },
        InputPart::InputImage {
            image_url,
            file_id,
            detail,
        } => {
            let Some(url) = image_url else {
                return Err(err(field, missing_source("image_url", file_id.is_some())));
            };
            let (source, media_type) = wire::media_from_url(&url);
            ContentBlock::Image {
                source,
                media_type,
                detail,
            }
        }
        InputPart::InputFile {
            file_data,
            file_url,
            file_id,
            filename,
        } => {
            let (source, media_type) = match (file_data, file_url) {
                (Some(data), _) => match wire::media_from_url(&data) {
                    (MediaSource::Base64 { data }, media_type) => {
                        (MediaSource::Base64 { data }, media_type)
                    }
                    // A bare base64 payload without the `data:` prefix.
                    (MediaSource::Url { .. }, _) => (MediaSource::Base64 { data }, None),
                },
                (None, Some(url)) => (MediaSource::Url { url }, None),
                (None, None) => {
                    return Err(err(field, missing_source("file_data", file_id.is_some())))
                }
            };
            ContentBlock::Document {
                source,
                media_type,
                title: filename,
            }
        }
    })
}

fn missing_source(wanted: &str, has_file_id: bool) -> String {
    if has_file_id {
        format!("`file_id` references are only available with OpenAI providers; send `{wanted}`")
    } else {
        format!("`{wanted}` is missing")
    }
}

fn decode_tool(v: &Value, field: &str) -> Result<ToolDef, DecodeError> {
    match v.get("type").and_then(Value::as_str) {
        Some("function") => {
            let f = WireFunctionTool::deserialize(v).map_err(|e| err(field, e))?;
            Ok(ToolDef {
                name: f.name,
                description: f.description,
                parameters: f.parameters.unwrap_or(Value::Null),
                strict: f.strict,
            })
        }
        Some(other) => Err(err(
            field,
            format!("built-in tool `{other}` is only available with OpenAI providers"),
        )),
        None => Err(err(field, "`type` is required")),
    }
}

fn decode_tool_choice(v: &Value) -> Result<ToolChoice, DecodeError> {
    match v {
        Value::String(s) => match s.as_str() {
            "auto" => Ok(ToolChoice::Auto),
            "none" => Ok(ToolChoice::None),
            "required" => Ok(ToolChoice::Required),
            other => Err(err("tool_choice", format!("unknown value `{other}`"))),
        },
        Value::Object(o) => match o.get("type").and_then(Value::as_str) {
            Some("function") => o
                .get("name")
                .and_then(Value::as_str)
                .map(|name| ToolChoice::Named {
                    name: name.to_owned(),
                })
                .ok_or_else(|| err("tool_choice", "`name` is required for type `function`")),
            Some("allowed_tools") => Err(err(
                "tool_choice",
                "`allowed_tools` is only available with OpenAI providers",
            )),
            Some(other) => Err(err(
                "tool_choice",
                format!("built-in tool `{other}` is only available with OpenAI providers"),
            )),
            None => Err(err("tool_choice", "`type` is required")),
        },
        _ => Err(err("tool_choice", "expected a string or an object")),
    }
}

fn decode_reasoning(r: WireReasoning) -> Result<Option<ReasoningConfig>, DecodeError> {
    let effort = match r.effort.as_deref() {
        None => None,
        Some("none") => Some(ReasoningEffort::None),
        Some("minimal") => Some(ReasoningEffort::Minimal),
        Some("low") => Some(ReasoningEffort::Low),
        Some("medium") => Some(ReasoningEffort::Medium),
        // `xhigh` is beyond the canonical scale: the highest level it has.
        Some("high") | Some("xhigh") => Some(ReasoningEffort::High),
        Some(other) => return Err(err("reasoning.effort", format!("unknown value `{other}`"))),
    };
    let summary = r.summary.or(r.generate_summary);
    let include_thoughts = summary.map(|s| s != "none");
    Ok(
        (effort.is_some() || include_thoughts.is_some()).then_some(ReasoningConfig {
            effort,
            budget_tokens: None,
            include_thoughts,
        }),
    )
}

fn decode_input(raw: &RawValue, conv: &mut Conversation) -> Result<(), DecodeError> {
    if raw.get().trim_start().starts_with('"') {
        let text: String = serde_json::from_str(raw.get()).map_err(|e| err("input", e))?;
        conv.push(Role::User, vec![ContentBlock::text(text)]);
        return Ok(());
    }
    let items: Vec<&RawValue> = serde_json::from_str(raw.get()).map_err(|e| {
        err(
            "input",
            format!("expected a string or an array of items: {e}"),
        )
    })?;
    for (i, item) in items.iter().enumerate() {
        let field = format!("input[{i}]");
        let it: InputItem = serde_json::from_str(item.get()).map_err(|e| err(&field, e))?;
        conv.item(it, &field)?;
    }
    Ok(())
}

/// Decodes a Responses request body.
///
/// - `instructions` and leading `system`/`developer` messages become [`ChatRequest::system`];
///   later ones [`Role::System`] messages;
/// - runs of assistant messages, `function_call` and `reasoning` items become one assistant
///   message; runs of `function_call_output` items one user message of tool results;
/// - a `reasoning` item with summary (or raw) text becomes [`ContentBlock::Thinking`] with its
///   `encrypted_content` as signature; one with only encrypted content
///   [`ContentBlock::RedactedThinking`]; one with neither is dropped;
/// - `reasoning.summary` (any value but `none`) sets `include_thoughts`; effort `xhigh` is read
///   as `high`;
/// - `previous_response_id` is not read (see [`previous_response_id`]); `store`, `metadata`,
///   `include`, `truncation`, `service_tier` and `text.verbosity` are ignored;
/// - built-in tools, `file_id` references, item references, `conversation`, `prompt`
///   templates and `background` mode need OpenAI's server state: they are errors.
///
/// Responses streams always carry usage, so `stream_usage` is true.
pub fn decode_request(body: &[u8]) -> Result<ChatRequest, DecodeError> {
    let w: WireRequest<'_> = serde_json::from_slice(body)
        .map_err(|e| DecodeError::new(format!("invalid responses request: {e}")))?;
    for (field, present) in [
        (
            "conversation",
            w.conversation.as_ref().is_some_and(|v| !v.is_null()),
        ),
        ("prompt", w.prompt.as_ref().is_some_and(|v| !v.is_null())),
        ("background", w.background == Some(true)),
    ] {
        if present {
            return Err(err(field, "is only available with OpenAI providers"));
        }
    }
    let mut conv = Conversation {
        system: Vec::new(),
        messages: Vec::new(),
        last: Last::Other,
    };
    if let Some(instructions) = w.instructions.filter(|s| !s.is_empty()) {
        conv.system.push(ContentBlock::text(instructions));
    }
    if let Some(input) = w.input {
        decode_input(input, &mut conv)?;
    }
    let tools = w
        .tools
        .unwrap_or_default()
        .iter()
        .enumerate()
        .map(|(i, t)| decode_tool(t, &format!("tools[{i}]")))
        .collect::<Result<Vec<_>, _>>()?;
    let tool_choice = w
        .tool_choice
        .as_ref()
        .filter(|v| !v.is_null())
        .map(decode_tool_choice)
        .transpose()?;
    let response_format = w.text.and_then(|t| t.format).map(|f| match f {
        WireFormat::Text => ResponseFormat::Text,
        WireFormat::JsonObject => ResponseFormat::JsonObject,
        WireFormat::JsonSchema {
            name,
            schema,
            strict,
        } => ResponseFormat::JsonSchema {
            name: name.unwrap_or_default(),
            schema: schema.unwrap_or(Value::Null),
            strict,
        },
    });
    Ok(ChatRequest {
        model: w.model,
        system: conv.system,
        messages: conv.messages,
        tools,
        tool_choice,
        parallel_tool_calls: w.parallel_tool_calls,
        sampling: Sampling {
            max_tokens: w.max_output_tokens,
            temperature: w.temperature,
            top_p: w.top_p,
            ..Sampling::default()
        },
        reasoning: w.reasoning.map(decode_reasoning).transpose()?.flatten(),
        response_format,
        stream: w.stream.unwrap_or(false),
        stream_usage: true,
        user: w.user,
    })
}

/// The `previous_response_id` of a Responses request body, if it names one.
///
/// The gateway resolves it (splicing the stored conversation into `input`) before
/// [`decode_request`], which ignores the field.
pub fn previous_response_id(body: &[u8]) -> Option<String> {
    #[derive(Deserialize)]
    struct Probe {
        #[serde(default)]
        previous_response_id: Option<String>,
    }
    serde_json::from_slice::<Probe>(body)
        .ok()?
        .previous_response_id
        .filter(|id| !id.is_empty())
}
