//! Gateway integration tests: llmux and the mock upstream on real sockets, driven by an HTTP
//! client. One binary, one module per behaviour.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod harness;

mod admin_auth;
mod admin_keys;
mod anthropic_surface;
mod disconnect;
mod discovery;
mod errors;
mod forwards;
mod gemini_provider;
mod gemini_surface;
mod keys;
mod llm_metrics;
mod malformed_streams;
mod member_limits;
mod metrics;
mod ollama;
mod passthrough;
mod profiles;
mod rate_limits;
mod resilience;
mod responses;
mod streaming;
mod translate;
mod upstream_headers;
mod usage_api;
mod usage_cost;
