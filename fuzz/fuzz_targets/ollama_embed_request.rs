//! `dialects::ollama::decode_embed_request` (`/api/embed`, `/api/embeddings`); a decoded request
//! is turned into the OpenAI embeddings body, which must be valid JSON.
#![no_main]

use libfuzzer_sys::fuzz_target;
use llmux_protocol::dialects::ollama;

fuzz_target!(|data: &[u8]| {
    if let Ok(req) = ollama::decode_embed_request(data) {
        let body = ollama::to_openai_embeddings_body(&req);
        if let Err(e) = serde_json::from_slice::<serde_json::Value>(&body) {
            panic!(
                "invalid embeddings body ({e}): {}",
                String::from_utf8_lossy(&body)
            );
        }
    }
});
