//! Request bodies: `GenerateContentRequest` to and from [`ChatRequest`].

use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::wire::{blocks_to_parts, parts_to_blocks, Content};
use crate::canonical::schema_clean::for_gemini;
use crate::canonical::{
    ChatRequest, ContentBlock, Loss, Message, ReasoningConfig, ReasoningEffort, ResponseFormat,
    Role, Sampling, ToolChoice, ToolDef,
};
use crate::dialects::DecodeError;

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireRequest {
    #[serde(default)]
    contents: Vec<Content>,
    #[serde(default, alias = "system_instruction")]
    system_instruction: Option<Content>,
    #[serde(default)]
    tools: Vec<WireTool>,
    #[serde(default, alias = "tool_config")]
    tool_config: Option<ToolConfig>,
    #[serde(default, alias = "generation_config")]
    generation_config: Option<GenerationConfig>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireTool {
    #[serde(default, alias = "function_declarations")]
    function_declarations: Vec<FunctionDeclaration>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct FunctionDeclaration {
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    parameters: Option<Value>,
    #[serde(default, alias = "parameters_json_schema")]
    parameters_json_schema: Option<Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ToolConfig {
    #[serde(default, alias = "function_calling_config")]
    function_calling_config: Option<FunctionCallingConfig>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct FunctionCallingConfig {
    #[serde(default)]
    mode: Option<String>,
    #[serde(default, alias = "allowed_function_names")]
    allowed_function_names: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct GenerationConfig {
    #[serde(default)]
    temperature: Option<f64>,
    #[serde(default, alias = "top_p")]
    top_p: Option<f64>,
    #[serde(default, alias = "top_k")]
    top_k: Option<f64>,
    #[serde(default, alias = "max_output_tokens")]
    max_output_tokens: Option<u32>,
    #[serde(default, alias = "stop_sequences")]
    stop_sequences: Vec<String>,
    #[serde(default)]
    seed: Option<i64>,
    #[serde(default, alias = "presence_penalty")]
    presence_penalty: Option<f64>,
    #[serde(default, alias = "frequency_penalty")]
    frequency_penalty: Option<f64>,
    #[serde(default, alias = "candidate_count")]
    candidate_count: Option<u32>,
    #[serde(default, alias = "response_mime_type")]
    response_mime_type: Option<String>,
    #[serde(default, alias = "response_schema")]
    response_schema: Option<Value>,
    #[serde(default, alias = "response_json_schema")]
    response_json_schema: Option<Value>,
    #[serde(default, alias = "thinking_config")]
    thinking_config: Option<ThinkingConfig>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ThinkingConfig {
    #[serde(default, alias = "thinking_budget")]
    thinking_budget: Option<i64>,
    #[serde(default, alias = "include_thoughts")]
    include_thoughts: Option<bool>,
    #[serde(default, alias = "thinking_level")]
    thinking_level: Option<String>,
}

/// Decodes a Gemini `generateContent` request body. The model is in the URL: `model` is left
/// empty for the caller to set. Fields llmux does not map are ignored.
pub fn decode_request(body: &[u8]) -> Result<ChatRequest, DecodeError> {
    let wire: WireRequest = serde_json::from_slice(body)
        .map_err(|e| DecodeError::new(format!("invalid GenerateContentRequest: {e}")))?;
    let mut req = ChatRequest::default();
    if let Some(sys) = wire.system_instruction {
        let mut calls = 0;
        req.system = parts_to_blocks(sys.parts, &mut calls, &mut |n| n.to_owned());
    }
    // Calls seen so far and not yet answered: (id, name).
    let mut open_calls: Vec<(String, String)> = Vec::new();
    for (i, content) in wire.contents.into_iter().enumerate() {
        let role = match content.role.as_deref() {
            None | Some("user") | Some("function") | Some("tool") => Role::User,
            Some("model") | Some("assistant") => Role::Assistant,
            Some(other) => {
                return Err(DecodeError::new(format!(
                    "contents[{i}].role: unknown role `{other}` (expected `user` or `model`)"
                )))
            }
        };
        let mut calls = 0;
        let blocks = parts_to_blocks(content.parts, &mut calls, &mut |name| match open_calls
            .iter()
            .position(|(_, n)| n == name)
        {
            Some(pos) => open_calls.remove(pos).0,
            None => name.to_owned(),
        });
        for b in &blocks {
            match b {
                ContentBlock::ToolUse { id, name, .. } => {
                    open_calls.push((id.clone(), name.clone()));
                }
                ContentBlock::ToolResult { tool_use_id, .. } => {
                    open_calls.retain(|(id, _)| id != tool_use_id);
                }
                _ => {}
            }
        }
        req.messages.push(Message {
            role,
            content: blocks,
        });
    }
    for tool in wire.tools {
        for f in tool.function_declarations {
            req.tools.push(ToolDef {
                name: f.name,
                description: f.description,
                parameters: f
                    .parameters_json_schema
                    .or(f.parameters)
                    .unwrap_or_else(|| json!({ "type": "object", "properties": {} })),
                strict: None,
            });
        }
    }
    if let Some(fc) = wire.tool_config.and_then(|t| t.function_calling_config) {
        req.tool_choice = match fc.mode.as_deref() {
            Some("NONE") => Some(ToolChoice::None),
            Some("ANY") if fc.allowed_function_names.len() == 1 => Some(ToolChoice::Named {
                name: fc.allowed_function_names[0].clone(),
            }),
            Some("ANY") => Some(ToolChoice::Required),
            Some("AUTO") | Some("VALIDATED") => Some(ToolChoice::Auto),
            _ => None,
        };
    }
    if let Some(g) = wire.generation_config {
        req.sampling = Sampling {
            max_tokens: g.max_output_tokens,
            temperature: g.temperature,
            top_p: g.top_p,
            top_k: g.top_k.map(|k| k.max(0.0) as u32),
            stop: g.stop_sequences,
            seed: g.seed,
            presence_penalty: g.presence_penalty,
            frequency_penalty: g.frequency_penalty,
            n: g.candidate_count,
        };
        let schema = g.response_json_schema.or(g.response_schema);
        req.response_format = match (g.response_mime_type.as_deref(), schema) {
            (_, Some(schema)) => Some(ResponseFormat::JsonSchema {
                name: "response".to_owned(),
                schema,
                strict: None,
            }),
            (Some("application/json"), None) => Some(ResponseFormat::JsonObject),
            _ => None,
        };
        if let Some(t) = g.thinking_config {
            let effort = match t.thinking_level.as_deref().map(str::to_ascii_lowercase) {
                Some(l) if l == "minimal" => Some(ReasoningEffort::Minimal),
                Some(l) if l == "low" => Some(ReasoningEffort::Low),
                Some(l) if l == "medium" => Some(ReasoningEffort::Medium),
                Some(l) if l == "high" => Some(ReasoningEffort::High),
                _ => None,
            };
            req.reasoning = Some(ReasoningConfig {
                effort,
                // -1 means "dynamic": no fixed budget.
                budget_tokens: t.thinking_budget.and_then(|b| u32::try_from(b).ok()),
                include_thoughts: t.include_thoughts,
            });
        }
    }
    Ok(req)
}

/// Encodes a canonical request as a Gemini `generateContent` body (without the model, which
/// goes in the URL; `stream` chooses the URL too).
///
/// Tool parameters and the response schema are cleaned by [`for_gemini`] and sent as
/// `parameters` and `responseSchema` (Gemini's OpenAPI subset, which every Gemini model takes).
///
/// Not carried: `user` (Gemini has no end-user field) and tools' `strict`. A [`Loss`] is
/// reported for mid-conversation system messages, `parallel_tool_calls: false`, redacted
/// thinking, tool results whose call is unknown, and non-text tool results.
pub fn encode_request(req: &ChatRequest) -> Result<Vec<u8>, Loss> {
    if req.sampling.n.is_some_and(|n| n > 1) {
        return Err(Loss::new(
            "n",
            "llmux translates one candidate per Gemini answer; send one request per choice",
        ));
    }
    let mut body = Map::new();
    // Tool call id -> function name, for function responses.
    let mut names: Vec<(String, String)> = Vec::new();
    let mut contents = Vec::with_capacity(req.messages.len());
    for (i, m) in req.messages.iter().enumerate() {
        let role = match m.role {
            Role::User => "user",
            Role::Assistant => "model",
            Role::System => {
                return Err(Loss::new(
                    format!("messages[{i}].role"),
                    "Gemini takes system instructions only before the conversation",
                ))
            }
        };
        for b in &m.content {
            if let ContentBlock::ToolUse { id, name, .. } = b {
                names.push((id.clone(), name.clone()));
            }
        }
        let lookup = |id: &str| {
            names
                .iter()
                .rev()
                .find(|(i, _)| i == id)
                .map(|(_, n)| n.clone())
        };
        let parts = blocks_to_parts(&m.content, &format!("messages[{i}].content"), &lookup)?;
        contents.push(json!({ "role": role, "parts": parts }));
    }
    body.insert("contents".into(), Value::Array(contents));
    if !req.system.is_empty() {
        let parts = blocks_to_parts(&req.system, "system", &|_| None)?;
        body.insert("systemInstruction".into(), json!({ "parts": parts }));
    }
    if !req.tools.is_empty() {
        let decls: Vec<Value> = req
            .tools
            .iter()
            .map(|t| {
                let mut d = json!({ "name": t.name });
                if !t.parameters.is_null() {
                    d["parameters"] = for_gemini(&t.parameters);
                }
                if let Some(desc) = &t.description {
                    d["description"] = json!(desc);
                }
                d
            })
            .collect();
        body.insert("tools".into(), json!([{ "functionDeclarations": decls }]));
    }
    if req.parallel_tool_calls == Some(false) {
        return Err(Loss::new(
            "parallel_tool_calls",
            "Gemini cannot be told to make at most one function call per turn",
        ));
    }
    if let Some(choice) = &req.tool_choice {
        let fcc = match choice {
            ToolChoice::Auto => json!({ "mode": "AUTO" }),
            ToolChoice::None => json!({ "mode": "NONE" }),
            ToolChoice::Required => json!({ "mode": "ANY" }),
            ToolChoice::Named { name } => {
                json!({ "mode": "ANY", "allowedFunctionNames": [name] })
            }
        };
        body.insert("toolConfig".into(), json!({ "functionCallingConfig": fcc }));
    }
    let gen = generation_config(req);
    if !gen.is_empty() {
        body.insert("generationConfig".into(), Value::Object(gen));
    }
    serde_json::to_vec(&Value::Object(body))
        .map_err(|e| Loss::new("request", format!("cannot serialise: {e}")))
}

fn generation_config(req: &ChatRequest) -> Map<String, Value> {
    let s = &req.sampling;
    let mut g = Map::new();
    let mut put = |k: &str, v: Value| {
        g.insert(k.to_owned(), v);
    };
    if let Some(v) = s.temperature {
        put("temperature", json!(v));
    }
    if let Some(v) = s.top_p {
        put("topP", json!(v));
    }
    if let Some(v) = s.top_k {
        put("topK", json!(v));
    }
    if let Some(v) = s.max_tokens {
        put("maxOutputTokens", json!(v));
    }
    if !s.stop.is_empty() {
        put("stopSequences", json!(s.stop));
    }
    if let Some(v) = s.seed {
        put("seed", json!(v));
    }
    if let Some(v) = s.presence_penalty {
        put("presencePenalty", json!(v));
    }
    if let Some(v) = s.frequency_penalty {
        put("frequencyPenalty", json!(v));
    }
    if let Some(v) = s.n {
        put("candidateCount", json!(v));
    }

    match &req.response_format {
        Some(ResponseFormat::JsonObject) => put("responseMimeType", json!("application/json")),
        Some(ResponseFormat::JsonSchema { schema, .. }) => {
            put("responseMimeType", json!("application/json"));
            put("responseSchema", for_gemini(schema));
        }
        Some(ResponseFormat::Text) | None => {}
    }
    if let Some(r) = &req.reasoning {
        let mut t = Map::new();
        if let Some(b) = r.budget_tokens {
            t.insert("thinkingBudget".into(), json!(b));
        }
        match r.effort {
            Some(ReasoningEffort::None) if r.budget_tokens.is_none() => {
                t.insert("thinkingBudget".into(), json!(0));
            }
            Some(ReasoningEffort::None) | None => {}
            Some(e) => {
                let level = match e {
                    ReasoningEffort::Minimal => "minimal",
                    ReasoningEffort::Low => "low",
                    ReasoningEffort::Medium => "medium",
                    _ => "high",
                };
                t.insert("thinkingLevel".into(), json!(level));
            }
        }
        if let Some(inc) = r.include_thoughts {
            t.insert("includeThoughts".into(), json!(inc));
        }
        if !t.is_empty() {
            put("thinkingConfig", Value::Object(t));
        }
    }
    g
}
