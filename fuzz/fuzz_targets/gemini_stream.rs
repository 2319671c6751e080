//! `dialects::gemini::StreamDecoder` on a provider stream cut into SSE events at `\n\n`;
//! decoded events are re-encoded with every dialect's stream encoder.
#![no_main]

use libfuzzer_sys::fuzz_target;
use llmux_protocol::dialects;

fuzz_target!(|data: &[u8]| {
    let pieces = llmux_fuzz::split_keep(data, b"\n\n");
    llmux_fuzz::run_stream(dialects::gemini::StreamDecoder::new(), &pieces);
});
