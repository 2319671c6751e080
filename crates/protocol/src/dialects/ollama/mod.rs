//! Ollama native API codec (`/api/chat`, `/api/generate`, `/api/embed`, `/api/embeddings`), to
//! and from the [canonical model](crate::canonical).
//!
//! - [`decode_request`] / [`encode_request`]: `/api/chat` request bodies;
//! - [`decode_response`] / [`encode_response`]: non-streamed `/api/chat` answers;
//! - [`StreamDecoder`] / [`StreamEncoder`]: NDJSON streams ([`Framing::Ndjson`](super::Framing));
//! - [`decode_generate_request`], [`encode_generate_response`], [`GenerateStreamEncoder`]: the
//!   client side of `/api/generate`;
//! - [`tail_usage`]: token counts from the end of an answer or stream, without a full parse;
//! - [`decode_embed_request`], [`to_openai_embeddings_body`], [`from_openai_embeddings`]: the
//!   client side of `/api/embed` and the legacy `/api/embeddings`, served by an OpenAI-style
//!   embeddings provider.
//!
//! Mapping notes:
//! - `stream` defaults to **true** when absent, as in Ollama;
//! - Ollama has no tool call ids: missing ones are generated as `call_<n>`, counted across the
//!   conversation (within the answer for responses). A `tool` message answers the oldest
//!   unanswered call with the same `tool_name`, else the oldest unanswered call; an explicit
//!   `tool_call_id` (newer clients) wins. Runs of `tool` messages become one user message;
//! - `options`: `num_predict`, `temperature`, `top_p`, `top_k`, `stop`, `seed`,
//!   `presence_penalty` and `frequency_penalty` map to [`Sampling`](crate::canonical::Sampling);
//!   the others (`num_ctx`, `repeat_penalty`, `mirostat`, ...) have no canonical field and are
//!   ignored: the context size in particular is a setting of the serving side, not of the
//!   request's meaning. A negative `num_predict` (unlimited) means no limit. `keep_alive` is
//!   ignored;
//! - `think`: `true` asks for thoughts, `false` for none (effort `none`), `"low"`, `"medium"`,
//!   `"high"` for that effort with thoughts;
//! - `format`: `"json"` is [`ResponseFormat::JsonObject`](crate::canonical::ResponseFormat), a
//!   schema object [`ResponseFormat::JsonSchema`](crate::canonical::ResponseFormat) named
//!   `response`;
//! - images are bare base64; their MIME type is detected from the magic bytes
//!   ([`detect_image_mime`]);
//! - `done_reason`: `stop` is an end of turn (a tool use when the answer holds calls), `length`
//!   the token limit; Ollama reports no cached or reasoning token counts: `prompt_eval_count` and
//!   `eval_count` are the input and output tokens, and durations are written as 0.

mod embed;
mod generate;
mod image;
mod options;
mod request;
mod response;
mod stream;
mod tail;
mod time;
mod traits;
mod wire;

pub use embed::{
    decode_embed_request, from_openai_embeddings, to_openai_embeddings_body, EmbedRequest,
};
pub use generate::{decode_generate_request, encode_generate_response, GenerateStreamEncoder};
pub use image::detect_image_mime;
pub use request::{decode_request, encode_request};
pub use response::{decode_response, encode_response};
pub use stream::{StreamDecoder, StreamEncoder};
pub use tail::tail_usage;
pub use time::format_rfc3339;

#[cfg(test)]
mod tests;
