//! Wire-level building blocks shared by every llmux dialect: SSE framing, cheap top-level JSON
//! object editing for passthrough, token usage and the error shapes of each client API.
//!
//! This crate is pure: no tokio, no HTTP client. Every function here is testable with plain data.

pub mod canonical;
pub mod dialect;
pub mod dialects;
pub mod json_object;
pub mod ndjson;
pub mod openai;
pub mod sse;
pub mod usage;

pub use dialect::Dialect;
pub use json_object::RawObject;
pub use usage::Usage;
