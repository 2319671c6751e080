//! Streaming answers as block-indexed events: the shape every dialect's stream maps onto.

use serde::{Deserialize, Serialize};

use super::response::StopReason;
use crate::Usage;

/// How a content block starts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum BlockStart {
    /// Text follows as [`BlockDelta::Text`].
    Text,
    /// Reasoning follows as [`BlockDelta::Thinking`] and [`BlockDelta::Signature`].
    Thinking,
    /// Encrypted reasoning, complete at once.
    RedactedThinking {
        /// Opaque data.
        data: String,
    },
    /// A tool call; its arguments follow as [`BlockDelta::ToolInput`] fragments.
    ToolUse {
        /// Call id.
        id: String,
        /// Tool name.
        name: String,
    },
}

/// A piece of a content block.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum BlockDelta {
    /// More text.
    Text {
        /// The text piece.
        text: String,
    },
    /// More reasoning text.
    Thinking {
        /// The reasoning piece.
        text: String,
    },
    /// The reasoning block's signature (opaque).
    Signature {
        /// The signature.
        signature: String,
    },
    /// A fragment of a tool call's JSON arguments (concatenate to get the whole).
    ToolInput {
        /// Partial JSON text.
        partial_json: String,
    },
}

/// One event of a streamed answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum StreamEvent {
    /// The answer begins.
    MessageStart {
        /// Response id.
        id: String,
        /// Model as reported.
        model: String,
        /// Usage known at the start (input tokens), if any.
        usage: Option<Usage>,
    },
    /// Block `index` begins.
    BlockStart {
        /// Block index, from 0, in answer order.
        index: usize,
        /// What kind of block.
        block: BlockStart,
    },
    /// More of block `index`.
    BlockDelta {
        /// Block index.
        index: usize,
        /// The piece.
        delta: BlockDelta,
    },
    /// Block `index` is complete.
    BlockStop {
        /// Block index.
        index: usize,
    },
    /// Final stop reason and usage (cumulative).
    MessageDelta {
        /// Why it stopped.
        stop_reason: Option<StopReason>,
        /// Usage so far.
        usage: Option<Usage>,
    },
    /// The answer is complete.
    MessageStop,
    /// Keep-alive.
    Ping,
    /// The provider reported an error mid-stream.
    Error {
        /// Error class as the provider named it (`overloaded_error`, ...).
        kind: String,
        /// Its message.
        message: String,
    },
}
