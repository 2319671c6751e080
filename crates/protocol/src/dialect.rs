//! The wire protocols llmux speaks, on the client side and on the provider side.

use std::fmt;

/// A wire protocol ("dialect") of an LLM API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dialect {
    /// OpenAI Chat Completions, Completions, Embeddings and Models (and every compatible host).
    OpenAiChat,
    /// OpenAI Responses API.
    OpenAiResponses,
    /// Anthropic Messages API.
    Anthropic,
    /// Google Gemini `generateContent` API.
    Gemini,
    /// Ollama's native `/api/*` API.
    Ollama,
}

impl Dialect {
    /// Stable, lowercase name used in logs, errors and configuration.
    pub fn as_str(self) -> &'static str {
        match self {
            Dialect::OpenAiChat => "openai-chat",
            Dialect::OpenAiResponses => "openai-responses",
            Dialect::Anthropic => "anthropic-messages",
            Dialect::Gemini => "gemini",
            Dialect::Ollama => "ollama",
        }
    }
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
