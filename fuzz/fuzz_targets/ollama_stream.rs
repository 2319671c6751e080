//! `dialects::ollama::StreamDecoder` on a provider stream cut into lines at `\n`; decoded
//! events are re-encoded with every dialect's stream encoder.
#![no_main]

use libfuzzer_sys::fuzz_target;
use llmux_protocol::dialects;

fuzz_target!(|data: &[u8]| {
    let pieces = llmux_fuzz::split_lines(data);
    llmux_fuzz::run_stream(dialects::ollama::StreamDecoder::new(), &pieces);
});
