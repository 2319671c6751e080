//! OpenAI Chat Completions codec (`/v1/chat/completions`), including the DeepSeek
//! `reasoning_content` extension.

mod fast;
mod request;
mod response;
mod stream;
mod wire;

pub use request::{decode_request, encode_request};
pub use response::{decode_response, encode_response};
pub use stream::{StreamDecoder, StreamEncoder};

#[cfg(test)]
mod tests;
