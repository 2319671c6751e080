//! `dialects::ollama::from_openai_embeddings`: an OpenAI embeddings provider's answer turned
//! into Ollama's, for both endpoint shapes; the result must be valid JSON.
#![no_main]

use libfuzzer_sys::fuzz_target;
use llmux_protocol::dialects::ollama::{from_openai_embeddings, EmbedRequest};

fuzz_target!(|data: &[u8]| {
    // The first byte picks the request shape; the rest is the provider body.
    let Some((&seed, body)) = data.split_first() else {
        return;
    };
    let req = EmbedRequest {
        model: "m".to_owned(),
        inputs: vec!["a".to_owned(); usize::from(seed % 4)],
        legacy: seed & 0x80 != 0,
        ..EmbedRequest::default()
    };
    if let Ok(out) = from_openai_embeddings(body, &req) {
        if let Err(e) = serde_json::from_slice::<serde_json::Value>(&out) {
            panic!(
                "invalid Ollama embeddings body ({e}): {}",
                String::from_utf8_lossy(&out)
            );
        }
    }
});
