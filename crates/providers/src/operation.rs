//! The inference operations of the OpenAI API family.

/// One OpenAI-family endpoint a request targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    /// `POST /chat/completions`.
    ChatCompletions,
    /// `POST /completions` (legacy and fill-in-the-middle).
    Completions,
    /// `POST /embeddings`.
    Embeddings,
    /// `GET /models`.
    Models,
}

impl Operation {
    /// Path below the provider's base URL (which ends in `/v1` or the vendor's equivalent).
    pub fn path(self) -> &'static str {
        match self {
            Operation::ChatCompletions => "/chat/completions",
            Operation::Completions => "/completions",
            Operation::Embeddings => "/embeddings",
            Operation::Models => "/models",
        }
    }

    /// Short label for logs and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::ChatCompletions => "chat_completions",
            Operation::Completions => "completions",
            Operation::Embeddings => "embeddings",
            Operation::Models => "models",
        }
    }

    /// Whether the operation can stream its answer.
    pub fn can_stream(self) -> bool {
        matches!(self, Operation::ChatCompletions | Operation::Completions)
    }
}
