//! A complete (non-streamed) answer in canonical form.

use serde::{Deserialize, Serialize};

use super::content::ContentBlock;
use crate::Usage;

/// Why the model stopped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum StopReason {
    /// Natural end (OpenAI `stop`, Anthropic `end_turn`, Gemini `STOP`).
    EndTurn,
    /// The output token limit (OpenAI `length`, Anthropic `max_tokens`, Gemini `MAX_TOKENS`).
    MaxTokens,
    /// A stop sequence matched (Anthropic reports which).
    StopSequence {
        /// The sequence, when the provider says.
        sequence: Option<String>,
    },
    /// The model called tools (OpenAI `tool_calls`, Anthropic `tool_use`).
    ToolUse,
    /// Filtered by the provider (OpenAI `content_filter`, Gemini `SAFETY`, ...).
    ContentFilter,
    /// The model refused (Anthropic `refusal`).
    Refusal,
    /// Anything else, as the provider named it.
    Other {
        /// The provider's own value.
        value: String,
    },
}

/// A complete answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatResponse {
    /// Response id (generated when the provider gives none).
    pub id: String,
    /// The model that answered, as the provider reported it.
    pub model: String,
    /// Answer content, in order: thinking, text, tool calls.
    pub content: Vec<ContentBlock>,
    /// Why it stopped.
    pub stop_reason: Option<StopReason>,
    /// Token usage, normalised.
    pub usage: Option<Usage>,
    /// Unix time of creation, when the provider gives it.
    pub created: Option<u64>,
}
