//! The usage readers that scan the tail of a non-streamed answer: Anthropic, Gemini, Ollama,
//! on the whole input and on a tail cut mid-document.
#![no_main]

use libfuzzer_sys::fuzz_target;
use llmux_protocol::dialects::{anthropic, gemini, ollama};

fuzz_target!(|data: &[u8]| {
    let cut = data.first().map_or(0, |&b| usize::from(b) % data.len());
    for tail in [data, &data[cut..]] {
        let _ = anthropic::tail_usage(tail);
        let _ = gemini::tail_usage(tail);
        let _ = ollama::tail_usage(tail);
    }
});
