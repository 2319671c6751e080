//! OpenAI Responses API codec (`POST /v1/responses`), to and from the
//! [canonical model](crate::canonical).
//!
//! - [`decode_request`] / [`encode_request`]: request bodies ([`previous_response_id`] reads the
//!   one field the gateway resolves before decoding);
//! - [`decode_response`] / [`encode_response`] (and [`encode_response_with`], which echoes the
//!   request's settings through a [`RequestEcho`]): non-streamed `response` objects;
//! - [`StreamDecoder`] / [`StreamEncoder`]: typed SSE streams (`event: response.*`).
//!
//! Mapping notes:
//! - `input` items map onto canonical messages: runs of assistant messages, `function_call` and
//!   `reasoning` items form one assistant message, runs of `function_call_output` items one
//!   user message of tool results; a tool use's id is the wire `call_id`;
//! - a `reasoning` item is one thinking block whose text is its summary parts joined by blank
//!   lines and whose signature is its `encrypted_content`; with no text it is redacted
//!   thinking. Encoders give the signature back as `encrypted_content`, and only OpenAI's own
//!   encrypted reasoning is sent upstream: other providers' signatures would be rejected;
//! - what needs OpenAI's server state (built-in tools, `file_id`, item references,
//!   `conversation`, prompt templates, background mode) is a decode error, so that such
//!   requests fail clearly instead of losing meaning when translated;
//! - the Responses API has no stop sequences, `n`, `top_k`, `seed` or penalties: encoding them
//!   is a [`Loss`](crate::canonical::Loss).

mod object;
mod request;
mod request_encode;
mod response;
mod stream;
mod stream_encode;
mod tail;
mod traits;
mod wire;

pub use object::RequestEcho;
pub use request::{decode_request, previous_response_id};
pub use request_encode::encode_request;
pub use response::{decode_response, encode_response, encode_response_with};
pub use stream::StreamDecoder;
pub use stream_encode::StreamEncoder;
pub use tail::tail_usage;

#[cfg(test)]
mod tests;
