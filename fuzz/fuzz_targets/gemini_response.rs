//! `dialects::gemini::decode_response` on a provider body; a decoded answer is re-encoded with
//! every dialect's response encoder.
#![no_main]

use libfuzzer_sys::fuzz_target;
use llmux_protocol::dialects;

fuzz_target!(|data: &[u8]| {
    if let Ok(resp) = dialects::gemini::decode_response(data) {
        llmux_fuzz::encode_response_all(&resp);
    }
});
