//! Message roles and typed content blocks.

use serde::{Deserialize, Serialize};

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Instructions (OpenAI `system`/`developer` messages that appear mid-conversation). Leading
    /// system text lives in [`crate::canonical::ChatRequest::system`].
    System,
    /// The user, including tool results (as [`ContentBlock::ToolResult`] blocks).
    User,
    /// The model, including its tool calls (as [`ContentBlock::ToolUse`] blocks).
    Assistant,
}

/// Where the bytes of an image or document are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum MediaSource {
    /// Inline, base64-encoded (a `data:` URL is decoded into this).
    Base64 {
        /// Base64 text, without the `data:...;base64,` prefix.
        data: String,
    },
    /// A URL the provider fetches: `https://...`, or a provider-specific scheme such as `gs://`
    /// or a Files-API URI. Encoders refuse schemes their provider cannot take.
    Url {
        /// The URL as given.
        url: String,
    },
}

/// One typed piece of message content.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ContentBlock {
    /// Plain text.
    Text {
        /// The text.
        text: String,
    },
    /// An image.
    Image {
        /// Where its bytes are.
        source: MediaSource,
        /// MIME type (`image/png`), when known or detected.
        media_type: Option<String>,
        /// OpenAI's `detail` hint (`low`, `high`, `auto`).
        detail: Option<String>,
    },
    /// A document such as a PDF.
    Document {
        /// Where its bytes are.
        source: MediaSource,
        /// MIME type (`application/pdf`).
        media_type: Option<String>,
        /// A title or file name, when given.
        title: Option<String>,
    },
    /// A tool call made by the model.
    ToolUse {
        /// Call id; preserved across dialects, or generated deterministically when absent.
        id: String,
        /// Tool name.
        name: String,
        /// Arguments as a JSON value (OpenAI's argument string is parsed into it).
        input: serde_json::Value,
    },
    /// The result of a tool call, sent back by the client.
    ToolResult {
        /// The id of the call it answers.
        tool_use_id: String,
        /// Result content: text and images.
        content: Vec<ContentBlock>,
        /// Whether the tool failed.
        is_error: bool,
    },
    /// Visible reasoning, with the provider's signature when it gives one (round-tripped
    /// unchanged: signatures are opaque).
    Thinking {
        /// The reasoning text.
        text: String,
        /// Opaque signature (Anthropic `signature`, Gemini `thoughtSignature`).
        signature: Option<String>,
    },
    /// Reasoning the provider returned encrypted; opaque, round-tripped unchanged.
    RedactedThinking {
        /// Opaque data.
        data: String,
    },
}

impl ContentBlock {
    /// A text block.
    pub fn text(text: impl Into<String>) -> Self {
        ContentBlock::Text { text: text.into() }
    }
}
