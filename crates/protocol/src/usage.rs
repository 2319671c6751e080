//! Token usage in one normalised shape, whatever the provider reported.

use serde::{Deserialize, Serialize};

/// Token counts of one request, normalised so that no token is counted twice.
///
/// `prompt_tokens` includes `cached_tokens` (OpenAI's convention); `completion_tokens` includes
/// `reasoning_tokens`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    /// Input tokens, cached ones included.
    pub prompt_tokens: u64,
    /// Output tokens, reasoning ones included.
    pub completion_tokens: u64,
    /// Input tokens served from the provider's prompt cache.
    pub cached_tokens: u64,
    /// Output tokens spent on hidden reasoning.
    pub reasoning_tokens: u64,
    /// Input tokens written to the provider's prompt cache (Anthropic `cache_creation_input_tokens`),
    /// included in `prompt_tokens`.
    #[serde(default)]
    pub cache_write_tokens: u64,
}

impl Usage {
    /// Total tokens of the request.
    pub fn total(&self) -> u64 {
        self.prompt_tokens + self.completion_tokens
    }
}
