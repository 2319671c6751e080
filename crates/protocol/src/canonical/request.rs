//! A chat request in canonical form.

use serde::{Deserialize, Serialize};

use super::content::{ContentBlock, Role};

/// One message of the conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    /// Author.
    pub role: Role,
    /// Content blocks, in order.
    pub content: Vec<ContentBlock>,
}

/// A tool the model may call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolDef {
    /// Name.
    pub name: String,
    /// What it does.
    pub description: Option<String>,
    /// JSON Schema of its arguments (encoders clean keywords their provider rejects).
    pub parameters: serde_json::Value,
    /// OpenAI `strict`.
    pub strict: Option<bool>,
}

/// Whether and which tool the model must call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum ToolChoice {
    /// The model decides.
    Auto,
    /// No tool calls.
    None,
    /// At least one tool call (OpenAI `required`, Anthropic `any`, Gemini `ANY`).
    Required,
    /// This tool.
    Named {
        /// Tool name.
        name: String,
    },
}

/// How much the model should reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReasoningEffort {
    /// No reasoning where the provider allows that.
    None,
    /// Minimal.
    Minimal,
    /// Low.
    Low,
    /// Medium.
    Medium,
    /// High.
    High,
}

/// Reasoning settings: an effort level, a token budget, or both.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ReasoningConfig {
    /// OpenAI `reasoning_effort` / `reasoning.effort`.
    pub effort: Option<ReasoningEffort>,
    /// Anthropic `thinking.budget_tokens`, Gemini `thinkingConfig.thinkingBudget`.
    pub budget_tokens: Option<u32>,
    /// Whether reasoning text should be returned (Gemini `includeThoughts`, Ollama `think`).
    pub include_thoughts: Option<bool>,
}

/// The shape the answer must take.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ResponseFormat {
    /// Free text.
    Text,
    /// Any JSON object.
    JsonObject,
    /// JSON matching a schema.
    JsonSchema {
        /// Schema name (OpenAI requires one).
        name: String,
        /// The JSON Schema.
        schema: serde_json::Value,
        /// OpenAI `strict`.
        strict: Option<bool>,
    },
}

/// Sampling and length controls.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Sampling {
    /// Output token limit (OpenAI `max_tokens`/`max_completion_tokens`, Anthropic `max_tokens`,
    /// Gemini `maxOutputTokens`, Ollama `num_predict`).
    pub max_tokens: Option<u32>,
    /// Temperature.
    pub temperature: Option<f64>,
    /// Nucleus sampling.
    pub top_p: Option<f64>,
    /// Top-k sampling (Anthropic, Gemini, Ollama).
    pub top_k: Option<u32>,
    /// Stop sequences.
    pub stop: Vec<String>,
    /// Seed.
    pub seed: Option<i64>,
    /// Presence penalty.
    pub presence_penalty: Option<f64>,
    /// Frequency penalty.
    pub frequency_penalty: Option<f64>,
    /// Number of choices; only 1 translates across dialects.
    pub n: Option<u32>,
}

/// A chat request, whatever dialect it arrived in.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ChatRequest {
    /// Requested model name.
    pub model: String,
    /// Leading system instructions (Anthropic `system`, Gemini `systemInstruction`, Responses
    /// `instructions`, OpenAI leading `system`/`developer` messages).
    pub system: Vec<ContentBlock>,
    /// The conversation.
    pub messages: Vec<Message>,
    /// Tools the model may call.
    pub tools: Vec<ToolDef>,
    /// Tool-choice policy.
    pub tool_choice: Option<ToolChoice>,
    /// Whether the model may call several tools in one turn (`None`: provider default).
    pub parallel_tool_calls: Option<bool>,
    /// Sampling and length controls.
    pub sampling: Sampling,
    /// Reasoning settings.
    pub reasoning: Option<ReasoningConfig>,
    /// Structured output.
    pub response_format: Option<ResponseFormat>,
    /// Stream the answer.
    pub stream: bool,
    /// The client asked for usage in the stream (OpenAI `stream_options.include_usage`).
    pub stream_usage: bool,
    /// End-user id (OpenAI `user`, Anthropic `metadata.user_id`).
    pub user: Option<String>,
}
