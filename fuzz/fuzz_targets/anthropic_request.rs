//! `dialects::anthropic::decode_request` on a client body; a decoded request is encoded for every
//! other dialect (a `Loss` is fine, a panic or invalid JSON is not).
#![no_main]

use libfuzzer_sys::fuzz_target;
use llmux_protocol::{dialects, Dialect};

fuzz_target!(|data: &[u8]| {
    if let Ok(req) = dialects::anthropic::decode_request(data) {
        llmux_fuzz::encode_request_all(&req, Some(Dialect::Anthropic));
    }
});
