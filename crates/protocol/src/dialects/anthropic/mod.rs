//! Anthropic Messages API codec (`/v1/messages`), to and from the [canonical model](crate::canonical).
//!
//! - [`decode_request`] / [`encode_request`]: request bodies;
//! - [`decode_response`] / [`encode_response`]: non-streamed answers;
//! - [`StreamDecoder`] / [`StreamEncoder`]: SSE streams.
//!
//! Content blocks Anthropic defines but the canonical model does not carry (server tool use,
//! web search results, ...) are skipped in answers and streams, consistently with their deltas
//! and stops; stream block indices are renumbered so canonical indices stay contiguous.

mod common;
mod request;
mod response;
mod stream;

pub use common::{stop_reason_from_wire, stop_reason_to_wire};
pub use request::{decode_request, encode_request};
pub use response::{decode_response, encode_response};
pub use stream::{StreamDecoder, StreamEncoder};

/// Reads `usage` from the final bytes of a non-streamed Messages answer (cache reads and
/// writes folded into `prompt_tokens`, as everywhere in llmux).
pub fn tail_usage(tail: &[u8]) -> Option<crate::Usage> {
    #[derive(serde::Deserialize)]
    struct Wire {
        #[serde(default)]
        input_tokens: u64,
        #[serde(default)]
        output_tokens: u64,
        #[serde(default)]
        cache_read_input_tokens: Option<u64>,
        #[serde(default)]
        cache_creation_input_tokens: Option<u64>,
    }
    let start = crate::openai::usage_object_start(tail)?;
    let mut values = serde_json::Deserializer::from_slice(&tail[start..]).into_iter::<Wire>();
    let w = values.next()?.ok()?;
    let read = w.cache_read_input_tokens.unwrap_or(0);
    let write = w.cache_creation_input_tokens.unwrap_or(0);
    Some(crate::Usage {
        prompt_tokens: w.input_tokens.saturating_add(read).saturating_add(write),
        completion_tokens: w.output_tokens,
        cached_tokens: read,
        reasoning_tokens: 0,
        cache_write_tokens: write,
    })
}

#[cfg(test)]
mod tests;
