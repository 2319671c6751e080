//! OpenAI usage extraction: `chunk_usage`, `tail_usage` (also on a tail cut mid-document) and
//! `is_usage_only_chunk`, on raw payloads and on the `data` of SSE events.
#![no_main]

use libfuzzer_sys::fuzz_target;
use llmux_protocol::{openai, sse};

fuzz_target!(|data: &[u8]| {
    let _ = openai::chunk_usage(data);
    let _ = openai::tail_usage(data);
    let _ = openai::is_usage_only_chunk(data);
    if let Some(&seed) = data.first() {
        let cut = usize::from(seed) % data.len();
        let _ = openai::tail_usage(&data[cut..]);
    }
    if let Some(payload) = sse::event_data(data) {
        let _ = openai::chunk_usage(&payload);
        let _ = openai::is_usage_only_chunk(&payload);
    }
});
