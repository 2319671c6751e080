//! `dialects::ollama::decode_generate_request` (`/api/generate`); a decoded request is encoded
//! for every dialect.
#![no_main]

use libfuzzer_sys::fuzz_target;
use llmux_protocol::dialects;

fuzz_target!(|data: &[u8]| {
    if let Ok(req) = dialects::ollama::decode_generate_request(data) {
        llmux_fuzz::encode_request_all(&req, None);
    }
});
