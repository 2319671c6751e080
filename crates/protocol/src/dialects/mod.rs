//! One codec per wire protocol, to and from the [canonical model](crate::canonical).
//!
//! Each dialect module offers the same functions:
//! - `decode_request(&[u8]) -> Result<ChatRequest, DecodeError>`: a client's request body;
//! - `encode_request(&ChatRequest) -> Result<Vec<u8>, Loss>`: the body for a provider (a `Loss`
//!   names the first field the provider cannot take);
//! - `decode_response(&[u8]) -> Result<ChatResponse, DecodeError>`: a provider's answer;
//! - `encode_response(&ChatResponse) -> Vec<u8>`: the answer for a client;
//! - `StreamDecoder`: raw SSE events of a provider's stream → [`StreamEvent`](crate::canonical::StreamEvent)s;
//! - `StreamEncoder`: canonical events → the client's SSE bytes.

pub mod anthropic;
pub mod openai_chat;

use std::fmt;

/// A body or stream event that is not valid in its dialect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    /// What is wrong, naming the field, in words a client can act on.
    pub message: String,
}

impl DecodeError {
    /// An error with this message.
    pub fn new(message: impl Into<String>) -> Self {
        DecodeError {
            message: message.into(),
        }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for DecodeError {}
