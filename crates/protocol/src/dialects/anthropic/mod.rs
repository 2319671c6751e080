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

#[cfg(test)]
mod tests;
