//! Test tools for llmux.
//!
//! The main piece is [`mock`]: a small, fast mock LLM upstream that speaks the OpenAI,
//! Anthropic, Gemini and Ollama wire formats (scripted answers or replayed captured
//! fixtures) and can inject faults on request. The `llmux-mock` binary serves it standalone.
//! [`model_server`] fakes the local model servers endpoint discovery looks for.

pub mod mock;
pub mod model_server;
