//! Provider kinds and the wire protocol each one speaks.

use llmux_protocol::Dialect;

use crate::AuthScheme;

/// The API family of a provider; decides its dialect, URL layout and auth header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProviderKind {
    /// api.openai.com.
    OpenAi,
    /// Any host speaking the OpenAI Chat Completions API (vLLM, LM Studio, Groq, ...).
    OpenAiCompatible,
    /// Azure OpenAI: deployment URLs, `api-version`, `api-key` header.
    Azure,
    /// Anthropic Messages API.
    Anthropic,
    /// Google Gemini (AI Studio) API.
    Gemini,
    /// Ollama's native API.
    Ollama,
    /// A host that offers only the OpenAI Responses API (`/responses`).
    OpenAiResponses,
}

impl ProviderKind {
    /// Every kind, in documentation order.
    pub const ALL: [ProviderKind; 7] = [
        ProviderKind::OpenAi,
        ProviderKind::OpenAiCompatible,
        ProviderKind::Azure,
        ProviderKind::Anthropic,
        ProviderKind::Gemini,
        ProviderKind::Ollama,
        ProviderKind::OpenAiResponses,
    ];

    /// The name used for `type:` in the configuration.
    pub fn as_str(self) -> &'static str {
        match self {
            ProviderKind::OpenAi => "openai",
            ProviderKind::OpenAiCompatible => "openai-compatible",
            ProviderKind::Azure => "azure",
            ProviderKind::Anthropic => "anthropic",
            ProviderKind::Gemini => "gemini",
            ProviderKind::Ollama => "ollama",
            ProviderKind::OpenAiResponses => "openai-responses",
        }
    }

    /// Parses a `type:` value.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The wire protocol of the provider's inference endpoints.
    pub fn dialect(self) -> Dialect {
        match self {
            ProviderKind::OpenAi | ProviderKind::OpenAiCompatible | ProviderKind::Azure => {
                Dialect::OpenAiChat
            }
            ProviderKind::Anthropic => Dialect::Anthropic,
            ProviderKind::Gemini => Dialect::Gemini,
            ProviderKind::Ollama => Dialect::Ollama,
            ProviderKind::OpenAiResponses => Dialect::OpenAiResponses,
        }
    }

    /// How the provider expects its API key.
    pub fn default_auth(self) -> AuthScheme {
        match self {
            ProviderKind::OpenAi
            | ProviderKind::OpenAiCompatible
            | ProviderKind::OpenAiResponses => AuthScheme::Bearer,
            ProviderKind::Azure => AuthScheme::Header("api-key".into()),
            ProviderKind::Anthropic => AuthScheme::Header("x-api-key".into()),
            ProviderKind::Gemini => AuthScheme::Header("x-goog-api-key".into()),
            ProviderKind::Ollama => AuthScheme::Bearer,
        }
    }
}
