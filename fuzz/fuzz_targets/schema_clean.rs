//! The JSON-schema cleaners for Gemini and Anthropic tool parameters, on any JSON value; their
//! output is cleaned again (it must not panic either).
#![no_main]

use libfuzzer_sys::fuzz_target;
use llmux_protocol::canonical::schema_clean::{for_anthropic, for_gemini};

fuzz_target!(|data: &[u8]| {
    let Ok(schema) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    let gemini = for_gemini(&schema);
    let anthropic = for_anthropic(&schema);
    let _ = for_gemini(&gemini);
    let _ = for_anthropic(&anthropic);
    let _ = serde_json::to_vec(&gemini);
    let _ = serde_json::to_vec(&anthropic);
});
