//! The canonical model: the neutral hub every dialect decodes into and encodes from.
//!
//! It is a superset of the dialects, not OpenAI JSON in disguise: message content is a list of
//! typed blocks (text, image, document, tool use, tool result, thinking with its signature),
//! and streams are block-indexed events, the richest shape any provider emits. Every dialect
//! has one decoder and one encoder to this model (N + M, never N × M). A translation that
//! cannot be faithful reports a [`Loss`] instead of dropping anything silently.

pub mod accumulate;
mod content;
pub mod forced_tool;
mod request;
mod response;
pub mod schema_clean;
mod stream;

pub use content::{ContentBlock, MediaSource, Role};
pub use request::{
    ChatRequest, Message, ReasoningConfig, ReasoningEffort, ResponseFormat, Sampling, ToolChoice,
    ToolDef,
};
pub use response::{ChatResponse, StopReason};
pub use stream::{BlockDelta, BlockStart, StreamEvent};

/// A field or feature that a translation cannot carry faithfully.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loss {
    /// The field at stake, as the client named it (`response_format`, `messages[2].content[0]`).
    pub field: String,
    /// Why it cannot be carried, and what to do instead.
    pub reason: String,
}

impl Loss {
    /// A loss of `field` for `reason`.
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Loss {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

impl std::fmt::Display for Loss {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "`{}`: {}", self.field, self.reason)
    }
}
