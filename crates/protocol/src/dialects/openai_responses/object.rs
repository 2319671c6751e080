//! The `response` object as sent to clients (non-streamed bodies and the `response.*`
//! lifecycle events), with the request fields it echoes.

use serde::Serialize;
use serde_json::{json, Value};

use super::request_encode::{effort_of, effort_str, text_json, tool_choice_json, tool_json};
use super::wire::{self, EmptyObject, ItemOut, UsageOut};
use crate::canonical::{ChatRequest, ContentBlock, StopReason};
use crate::Usage;

/// Request settings a Responses object echoes back (`instructions`, `tools`, `temperature`,
/// ...). The defaults are what OpenAI reports for a request that sets none of them.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestEcho {
    /// `instructions`.
    pub instructions: Option<String>,
    /// `max_output_tokens`.
    pub max_output_tokens: Option<u32>,
    /// `parallel_tool_calls`.
    pub parallel_tool_calls: bool,
    /// `reasoning.effort` (`low`, `medium`, ...).
    pub reasoning_effort: Option<String>,
    /// `reasoning.summary` (`auto`, `detailed`, ...).
    pub reasoning_summary: Option<String>,
    /// `temperature`.
    pub temperature: Option<f64>,
    /// `top_p`.
    pub top_p: Option<f64>,
    /// `text` (`{"format": {...}}`).
    pub text: Value,
    /// `tool_choice`.
    pub tool_choice: Value,
    /// `tools`, in wire form.
    pub tools: Vec<Value>,
    /// `user`.
    pub user: Option<String>,
}

impl Default for RequestEcho {
    fn default() -> Self {
        RequestEcho {
            instructions: None,
            max_output_tokens: None,
            parallel_tool_calls: true,
            reasoning_effort: None,
            reasoning_summary: None,
            temperature: Some(1.0),
            top_p: Some(1.0),
            text: text_json(None),
            tool_choice: json!("auto"),
            tools: Vec::new(),
            user: None,
        }
    }
}

impl RequestEcho {
    /// The echo of a canonical request (system text joined by blank lines as `instructions`).
    pub fn from_request(req: &ChatRequest) -> Self {
        let defaults = RequestEcho::default();
        let instructions = req
            .system
            .iter()
            .filter_map(|b| match b {
                ContentBlock::Text { text } => Some(text.as_str()),
                _ => None,
            })
            .collect::<Vec<_>>()
            .join("\n\n");
        let reasoning = req.reasoning.as_ref();
        RequestEcho {
            instructions: (!instructions.is_empty()).then_some(instructions),
            max_output_tokens: req.sampling.max_tokens,
            parallel_tool_calls: req.parallel_tool_calls.unwrap_or(true),
            reasoning_effort: reasoning
                .and_then(effort_of)
                .map(|e| effort_str(e).to_owned()),
            reasoning_summary: reasoning
                .filter(|r| r.include_thoughts == Some(true))
                .map(|_| "auto".to_owned()),
            temperature: req.sampling.temperature.or(defaults.temperature),
            top_p: req.sampling.top_p.or(defaults.top_p),
            text: text_json(req.response_format.as_ref()),
            tool_choice: req
                .tool_choice
                .as_ref()
                .map_or(defaults.tool_choice, tool_choice_json),
            tools: req.tools.iter().map(tool_json).collect(),
            user: req.user.clone(),
        }
    }
}

#[derive(Debug, Serialize)]
struct IncompleteOut {
    reason: &'static str,
}

#[derive(Debug, Serialize)]
struct ReasoningOut<'a> {
    effort: Option<&'a str>,
    summary: Option<&'a str>,
}

/// A Responses `response` object, fields in OpenAI's order.
#[derive(Debug, Serialize)]
pub(super) struct ResponseOut<'a> {
    id: &'a str,
    object: &'static str,
    created_at: u64,
    status: &'static str,
    error: Option<()>,
    incomplete_details: Option<IncompleteOut>,
    instructions: Option<&'a str>,
    max_output_tokens: Option<u32>,
    model: &'a str,
    output: &'a [ItemOut<'a>],
    parallel_tool_calls: bool,
    previous_response_id: Option<()>,
    reasoning: ReasoningOut<'a>,
    temperature: Option<f64>,
    text: &'a Value,
    tool_choice: &'a Value,
    tools: &'a [Value],
    top_p: Option<f64>,
    truncation: &'static str,
    usage: Option<UsageOut>,
    user: Option<&'a str>,
    metadata: EmptyObject,
}

/// Identity of a response: its `resp_` id, model and creation time.
#[derive(Debug, Clone, Default)]
pub(super) struct Meta {
    pub id: String,
    pub model: String,
    pub created_at: u64,
}

/// Where a response is in its life.
#[derive(Debug, Clone, Copy)]
pub(super) enum Phase<'a> {
    /// Still streaming.
    InProgress,
    /// Finished, for this reason.
    Done(Option<&'a StopReason>),
}

/// The response object for `meta` at `phase`, with `output` and `usage`.
pub(super) fn response_object<'a>(
    meta: &'a Meta,
    echo: &'a RequestEcho,
    phase: Phase<'_>,
    output: &'a [ItemOut<'a>],
    usage: Option<&Usage>,
) -> ResponseOut<'a> {
    let (status, incomplete) = match phase {
        Phase::InProgress => ("in_progress", None),
        Phase::Done(stop) => wire::status_of(stop),
    };
    ResponseOut {
        id: &meta.id,
        object: "response",
        created_at: meta.created_at,
        status,
        error: None,
        incomplete_details: incomplete.map(|reason| IncompleteOut { reason }),
        instructions: echo.instructions.as_deref(),
        max_output_tokens: echo.max_output_tokens,
        model: &meta.model,
        output,
        parallel_tool_calls: echo.parallel_tool_calls,
        previous_response_id: None,
        reasoning: ReasoningOut {
            effort: echo.reasoning_effort.as_deref(),
            summary: echo.reasoning_summary.as_deref(),
        },
        temperature: echo.temperature,
        text: &echo.text,
        tool_choice: &echo.tool_choice,
        tools: &echo.tools,
        top_p: echo.top_p,
        truncation: "disabled",
        usage: usage.map(UsageOut::from),
        user: echo.user.as_deref(),
        metadata: EmptyObject {},
    }
}

/// Seconds since the Unix epoch (0 if the clock is before it).
pub(super) fn now_secs() -> u64 {
    crate::dialects::unix_now().0
}
