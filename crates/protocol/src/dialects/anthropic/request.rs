//! Request bodies: Anthropic `/v1/messages` requests to and from [`ChatRequest`].

use serde_json::{json, Map, Value};

use super::common::{decode_content, encode_block, opt_str, req_str};
use crate::canonical::forced_tool::FORCED_TOOL;
use crate::canonical::schema_clean::for_anthropic;
use crate::canonical::{
    ChatRequest, ContentBlock, Loss, Message, ReasoningConfig, ReasoningEffort, ResponseFormat,
    Role, Sampling, ToolChoice, ToolDef,
};
use crate::dialects::DecodeError;

/// `max_tokens` sent when the canonical request has none (Anthropic requires one).
const DEFAULT_MAX_TOKENS: u32 = 4096;

/// Decodes a client's Anthropic Messages request.
///
/// `thinking: {type: enabled, budget_tokens}` becomes a reasoning budget and
/// `thinking: {type: disabled}` the effort `none`; `tool_choice.disable_parallel_tool_use`
/// becomes `parallel_tool_calls: false`. Server tools (tools with a `type` other than
/// `custom`) and unknown content blocks are errors: they cannot be carried elsewhere.
pub fn decode_request(body: &[u8]) -> Result<ChatRequest, DecodeError> {
    let v: Value = serde_json::from_slice(body)
        .map_err(|e| DecodeError::new(format!("request body is not valid JSON: {e}")))?;
    if !v.is_object() {
        return Err(DecodeError::new("request body must be a JSON object"));
    }
    let model = req_str(&v, "model", "request")?.to_owned();
    let max_tokens = v
        .get("max_tokens")
        .and_then(Value::as_u64)
        .and_then(|n| u32::try_from(n).ok())
        .ok_or_else(|| {
            DecodeError::new("`max_tokens` is required and must be a positive integer")
        })?;

    let system = match v.get("system") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::String(s)) if s.is_empty() => Vec::new(),
        Some(s) => decode_content(s, "system", false)?,
    };

    let msgs = v
        .get("messages")
        .and_then(Value::as_array)
        .ok_or_else(|| DecodeError::new("`messages` is required and must be an array"))?;
    let mut messages = Vec::with_capacity(msgs.len());
    for (i, m) in msgs.iter().enumerate() {
        let path = format!("messages[{i}]");
        let role = match req_str(m, "role", &path)? {
            "user" => Role::User,
            "assistant" => Role::Assistant,
            other => {
                return Err(DecodeError::new(format!(
                    "`{path}.role` `{other}` must be `user` or `assistant`"
                )))
            }
        };
        let content = m
            .get("content")
            .ok_or_else(|| DecodeError::new(format!("`{path}.content` is required")))?;
        messages.push(Message {
            role,
            content: decode_content(content, &format!("{path}.content"), false)?,
        });
    }

    let mut tools = Vec::new();
    if let Some(ts) = v.get("tools").filter(|t| !t.is_null()) {
        let ts = ts
            .as_array()
            .ok_or_else(|| DecodeError::new("`tools` must be an array"))?;
        for (i, t) in ts.iter().enumerate() {
            let path = format!("tools[{i}]");
            if let Some(ty) = t.get("type").and_then(Value::as_str) {
                if ty != "custom" {
                    return Err(DecodeError::new(format!(
                        "`{path}.type` `{ty}`: server tools are not supported"
                    )));
                }
            }
            tools.push(ToolDef {
                name: req_str(t, "name", &path)?.to_owned(),
                description: opt_str(t, "description"),
                parameters: t.get("input_schema").cloned().ok_or_else(|| {
                    DecodeError::new(format!("`{path}.input_schema` is required"))
                })?,
                strict: None,
            });
        }
    }

    let mut parallel_tool_calls = None;
    let tool_choice = match v.get("tool_choice").filter(|t| !t.is_null()) {
        None => None,
        Some(tc) => {
            if let Some(d) = tc.get("disable_parallel_tool_use").and_then(Value::as_bool) {
                parallel_tool_calls = Some(!d);
            }
            Some(match req_str(tc, "type", "tool_choice")? {
                "auto" => ToolChoice::Auto,
                "any" => ToolChoice::Required,
                "none" => ToolChoice::None,
                "tool" => ToolChoice::Named {
                    name: req_str(tc, "name", "tool_choice")?.to_owned(),
                },
                other => {
                    return Err(DecodeError::new(format!(
                        "`tool_choice.type` `{other}` must be `auto`, `any`, `tool` or `none`"
                    )))
                }
            })
        }
    };

    let reasoning = match v.get("thinking").filter(|t| !t.is_null()) {
        None => None,
        Some(th) => match req_str(th, "type", "thinking")? {
            "enabled" => Some(ReasoningConfig {
                budget_tokens: th
                    .get("budget_tokens")
                    .and_then(Value::as_u64)
                    .and_then(|n| u32::try_from(n).ok()),
                ..ReasoningConfig::default()
            }),
            "disabled" => Some(ReasoningConfig {
                effort: Some(ReasoningEffort::None),
                ..ReasoningConfig::default()
            }),
            other => {
                return Err(DecodeError::new(format!(
                    "`thinking.type` `{other}` must be `enabled` or `disabled`"
                )))
            }
        },
    };

    let stop = match v.get("stop_sequences").filter(|s| !s.is_null()) {
        None => Vec::new(),
        Some(s) => s
            .as_array()
            .ok_or_else(|| DecodeError::new("`stop_sequences` must be an array of strings"))?
            .iter()
            .map(|x| {
                x.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| DecodeError::new("`stop_sequences` must be an array of strings"))
            })
            .collect::<Result<_, _>>()?,
    };

    Ok(ChatRequest {
        model,
        system,
        messages,
        tools,
        tool_choice,
        parallel_tool_calls,
        sampling: Sampling {
            max_tokens: Some(max_tokens),
            temperature: v.get("temperature").and_then(Value::as_f64),
            top_p: v.get("top_p").and_then(Value::as_f64),
            top_k: v
                .get("top_k")
                .and_then(Value::as_u64)
                .and_then(|n| u32::try_from(n).ok()),
            stop,
            ..Sampling::default()
        },
        reasoning,
        response_format: None,
        stream: v.get("stream").and_then(Value::as_bool).unwrap_or(false),
        stream_usage: false,
        user: v.get("metadata").and_then(|m| opt_str(m, "user_id")),
    })
}

/// Thinking budget used for an effort level given without a budget.
fn effort_budget(effort: ReasoningEffort) -> Option<u32> {
    match effort {
        ReasoningEffort::None => None,
        ReasoningEffort::Minimal => Some(1024),
        ReasoningEffort::Low => Some(2048),
        ReasoningEffort::Medium => Some(8192),
        ReasoningEffort::High => Some(16384),
    }
}

/// Encodes a canonical request as an Anthropic Messages request body.
///
/// - `max_tokens` defaults to 4096 (or the thinking budget plus 4096 when thinking is on);
/// - `system` blocks and `Role::System` messages from the conversation are hoisted into
///   `system` (so a mid-conversation instruction moves to the front);
/// - consecutive messages of the same role are merged (Anthropic requires alternation), messages
///   left without content are dropped, and tool results move to the front of a user turn (as
///   Anthropic requires);
/// - a reasoning budget becomes `thinking: {type: enabled}`; an effort without a budget maps to
///   1024 / 2048 / 8192 / 16384 tokens (minimal / low / medium / high); effort `none` becomes
///   `thinking: {type: disabled}`;
/// - tool schemas are cleaned by [`for_anthropic`];
/// - a JSON `response_format` becomes the forced tool [`FORCED_TOOL`], declared after the
///   client's tools (see [`crate::canonical::forced_tool`]; answers need
///   [`unwrap_response`](crate::canonical::forced_tool::unwrap_response) or
///   [`UnwrapStream`](crate::canonical::forced_tool::UnwrapStream));
/// - `Loss` for: a JSON `response_format` that cannot be forced (with tools the model may call,
///   a required or named `tool_choice`, a client tool named [`FORCED_TOOL`], thinking on, or a
///   schema whose root is not an object), `n` > 1, `seed`, non-zero `presence_penalty` /
///   `frequency_penalty`, non-text system content, media without a source Anthropic can read
///   (e.g. `gs://` URLs).
pub fn encode_request(req: &ChatRequest) -> Result<Vec<u8>, Loss> {
    let s = &req.sampling;

    let mut thinking = None;
    let mut budget = None;
    if let Some(r) = &req.reasoning {
        budget = r.budget_tokens.or_else(|| r.effort.and_then(effort_budget));
        if let Some(b) = budget {
            thinking = Some(json!({"type": "enabled", "budget_tokens": b}));
        } else if r.effort == Some(ReasoningEffort::None) {
            thinking = Some(json!({"type": "disabled"}));
        }
    }
    let forced_tool = structured_output_tool(req, budget.is_some())?;

    if s.n.is_some_and(|n| n > 1) {
        return Err(Loss::new("n", "Anthropic returns a single choice"));
    }
    if s.seed.is_some() {
        return Err(Loss::new(
            "seed",
            "Anthropic does not support seeded sampling",
        ));
    }
    if s.presence_penalty.is_some_and(|p| p != 0.0) {
        return Err(Loss::new(
            "presence_penalty",
            "Anthropic does not support penalties",
        ));
    }
    if s.frequency_penalty.is_some_and(|p| p != 0.0) {
        return Err(Loss::new(
            "frequency_penalty",
            "Anthropic does not support penalties",
        ));
    }

    let mut obj = Map::new();
    obj.insert("model".into(), json!(req.model));

    // System: leading blocks plus hoisted system messages; text only.
    let mut system: Vec<Value> = Vec::new();
    let mut push_system = |b: &ContentBlock, path: String| -> Result<(), Loss> {
        match b {
            ContentBlock::Text { text } => {
                system.push(json!({"type": "text", "text": text}));
                Ok(())
            }
            _ => Err(Loss::new(path, "Anthropic system content must be text")),
        }
    };
    for (i, b) in req.system.iter().enumerate() {
        push_system(b, format!("system[{i}]"))?;
    }
    for (i, m) in req.messages.iter().enumerate() {
        if m.role == Role::System {
            for (j, b) in m.content.iter().enumerate() {
                push_system(b, format!("messages[{i}].content[{j}]"))?;
            }
        }
    }

    // Conversation, merged so roles alternate.
    let mut messages: Vec<(Role, Vec<Value>)> = Vec::new();
    for (i, m) in req.messages.iter().enumerate() {
        if m.role == Role::System {
            continue;
        }
        let blocks = m
            .content
            .iter()
            .enumerate()
            .map(|(j, b)| encode_block(b, &format!("messages[{i}].content[{j}]")))
            .collect::<Result<Vec<_>, _>>()?;
        if blocks.is_empty() {
            continue;
        }
        match messages.last_mut() {
            Some((role, content)) if *role == m.role => content.extend(blocks),
            _ => messages.push((m.role, blocks)),
        }
    }
    let messages: Vec<Value> = messages
        .into_iter()
        .map(|(role, mut content)| {
            if role == Role::User {
                // Anthropic wants tool results before any other content of a user turn.
                content
                    .sort_by_key(|b| b.get("type").and_then(Value::as_str) != Some("tool_result"));
            }
            let role = if role == Role::Assistant {
                "assistant"
            } else {
                "user"
            };
            json!({"role": role, "content": content})
        })
        .collect();

    let max_tokens = s.max_tokens.unwrap_or_else(|| match budget {
        Some(b) => b.saturating_add(DEFAULT_MAX_TOKENS),
        None => DEFAULT_MAX_TOKENS,
    });
    obj.insert("max_tokens".into(), json!(max_tokens));

    if !system.is_empty() {
        obj.insert("system".into(), Value::Array(system));
    }
    obj.insert("messages".into(), Value::Array(messages));

    let mut tools: Vec<Value> = req
        .tools
        .iter()
        .map(|t| {
            let mut o = Map::new();
            o.insert("name".into(), json!(t.name));
            if let Some(d) = &t.description {
                o.insert("description".into(), json!(d));
            }
            o.insert("input_schema".into(), for_anthropic(&t.parameters));
            Value::Object(o)
        })
        .collect();
    let forced = forced_tool.is_some();
    tools.extend(forced_tool);
    if !tools.is_empty() {
        obj.insert("tools".into(), Value::Array(tools));
    }

    let disable_parallel = req.parallel_tool_calls == Some(false);
    let choice = match &req.tool_choice {
        _ if forced => Some(json!({
            "type": "tool", "name": FORCED_TOOL, "disable_parallel_tool_use": true,
        })),
        Some(ToolChoice::Auto) => Some(json!({"type": "auto"})),
        Some(ToolChoice::None) => Some(json!({"type": "none"})),
        Some(ToolChoice::Required) => Some(json!({"type": "any"})),
        Some(ToolChoice::Named { name }) => Some(json!({"type": "tool", "name": name})),
        None if disable_parallel && !req.tools.is_empty() => Some(json!({"type": "auto"})),
        None => None,
    };
    if let Some(mut c) = choice {
        if disable_parallel && req.tool_choice != Some(ToolChoice::None) {
            if let Some(o) = c.as_object_mut() {
                o.insert("disable_parallel_tool_use".into(), json!(true));
            }
        }
        obj.insert("tool_choice".into(), c);
    }

    if let Some(t) = s.temperature {
        obj.insert("temperature".into(), json!(t));
    }
    if let Some(p) = s.top_p {
        obj.insert("top_p".into(), json!(p));
    }
    if let Some(k) = s.top_k {
        obj.insert("top_k".into(), json!(k));
    }
    if !s.stop.is_empty() {
        obj.insert("stop_sequences".into(), json!(s.stop));
    }
    if let Some(t) = thinking {
        obj.insert("thinking".into(), t);
    }
    if req.stream {
        obj.insert("stream".into(), json!(true));
    }
    if let Some(u) = &req.user {
        obj.insert("metadata".into(), json!({"user_id": u}));
    }
    serde_json::to_vec(&Value::Object(obj))
        .map_err(|e| Loss::new("request", format!("cannot serialise: {e}")))
}

/// The tool declaration that carries a JSON `response_format`, or `None` when the request asks
/// for free text. `thinking` is whether extended thinking is on.
fn structured_output_tool(req: &ChatRequest, thinking: bool) -> Result<Option<Value>, Loss> {
    let loss = |reason: &str| Err(Loss::new("response_format", reason));
    let (schema, description) = match &req.response_format {
        None | Some(ResponseFormat::Text) => return Ok(None),
        Some(ResponseFormat::JsonObject) => (
            json!({"type": "object", "additionalProperties": true}),
            "Give the response as a JSON object: call this tool with it as input.".to_owned(),
        ),
        Some(ResponseFormat::JsonSchema { name, schema, .. }) => {
            let schema = for_anthropic(schema);
            if schema.get("type").and_then(Value::as_str) != Some("object") {
                return loss(
                    "with Anthropic, structured output is a tool input, which must be an object; \
                     give the schema an object root",
                );
            }
            (
                schema,
                format!("Give the response (`{name}`): call this tool with it as input."),
            )
        }
    };
    if req.tools.iter().any(|t| t.name == FORCED_TOOL) {
        return loss(&format!(
            "with Anthropic, structured output uses a tool named `{FORCED_TOOL}`, and the \
             request already has a tool of that name; rename it"
        ));
    }
    match (&req.tool_choice, req.tools.is_empty()) {
        (Some(ToolChoice::None), _) | (None | Some(ToolChoice::Auto), true) => {}
        (None | Some(ToolChoice::Auto), false) => {
            return loss(
                "response_format with tools cannot be combined when the provider is Anthropic: \
                 structured output there is a forced tool call, which would forbid the other \
                 tools; drop the tools or the response_format, or set tool_choice to none",
            )
        }
        (Some(ToolChoice::Required | ToolChoice::Named { .. }), _) => {
            return loss(
                "with Anthropic, structured output is a forced tool call, which conflicts with a \
                 required or named tool_choice",
            )
        }
    }
    if thinking {
        return loss(
            "with Anthropic, structured output is a forced tool call, which Anthropic refuses \
             while extended thinking is on; disable reasoning or drop the response_format",
        );
    }
    Ok(Some(json!({
        "name": FORCED_TOOL,
        "description": description,
        "input_schema": schema,
    })))
}
