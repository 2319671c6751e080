//! Google Gemini `generateContent` codec, to and from the [canonical model](crate::canonical).
//!
//! - [`decode_request`] / [`encode_request`]: request bodies;
//! - [`decode_response`] / [`encode_response`]: non-streamed answers;
//! - [`StreamDecoder`] / [`StreamEncoder`]: `streamGenerateContent?alt=sse` streams.
//!
//! Mapping notes:
//! - the model is part of the URL, never of the body;
//! - Gemini call ids are optional: missing ones are generated as `call_<n>`, counted within the
//!   message or answer;
//! - a `thoughtSignature` on a part that is not a thought (a function call, or the first text
//!   after the thoughts) is carried as a `Thinking` block with empty text and that signature,
//!   right before the block of the part; encoders give it back to the part that follows;
//! - a function response's `{"result": "..."}` is the tool result's text, `{"error": "..."}` an
//!   error result, and any other JSON is kept as its text.

mod request;
mod response;
mod stream;
mod tail;
mod wire;

pub use request::{decode_request, encode_request};
pub use response::{decode_response, encode_response};
pub use stream::{StreamDecoder, StreamEncoder};
pub use tail::tail_usage;

#[cfg(test)]
mod tests;
