use super::*;
use crate::sse::{event_data, SseSplitter};
use bytes::Bytes;

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/../../tests/fixtures/providers/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

#[test]
fn usage_from_nonstream_body_tail() {
    let body = fixture("openai-chat/nonstream-text.json");
    let tail = &body[body.len().saturating_sub(1024)..];
    let usage = tail_usage(tail).unwrap();
    assert_eq!(usage.prompt_tokens, 16);
    assert_eq!(usage.completion_tokens, 363);
    assert_eq!(usage.cached_tokens, 0);
}

#[test]
fn usage_with_reasoning_tokens() {
    let body = fixture("openai-chat/nonstream-reasoning-usage.json");
    let usage = tail_usage(&body).unwrap();
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        usage.reasoning_tokens,
        v["usage"]["completion_tokens_details"]["reasoning_tokens"]
            .as_u64()
            .unwrap()
    );
    assert!(usage.reasoning_tokens > 0);
}

#[test]
fn usage_from_stream_only_in_the_usage_chunk() {
    let body = fixture("openai-chat/stream-finish-length-usage.sse");
    let mut events = Vec::new();
    SseSplitter::new().push(Bytes::from(body), &mut events);
    let mut found = Vec::new();
    for ev in &events {
        let data = event_data(ev).unwrap();
        if let Some(u) = chunk_usage(&data) {
            assert!(is_usage_only_chunk(&data));
            found.push(u);
        } else {
            assert!(!is_usage_only_chunk(&data));
        }
    }
    assert_eq!(found.len(), 1, "exactly one usage chunk");
    assert!(found[0].completion_tokens > 0);
}

#[test]
fn usage_key_inside_content_is_not_taken_for_usage() {
    let data = br#"{"choices":[{"delta":{"content":"the \"usage\" field"}}],"usage":null}"#;
    assert_eq!(chunk_usage(data), None);
    assert!(!is_usage_only_chunk(data));
}

#[test]
fn error_body_shape() {
    let body = error_body(
        "model 'x' not found",
        "invalid_request_error",
        Some("model"),
        Some("model_not_found"),
    );
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["error"]["message"], "model 'x' not found");
    assert_eq!(v["error"]["type"], "invalid_request_error");
    assert_eq!(v["error"]["param"], "model");
    assert_eq!(v["error"]["code"], "model_not_found");
}

proptest::proptest! {
    #[test]
    fn arbitrary_chunks_never_panic(data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200)) {
        let _ = chunk_usage(&data);
        let _ = is_usage_only_chunk(&data);
    }
}

#[test]
fn openrouter_reported_cost() {
    // The shape OpenRouter documents for its final chunk / body usage.
    let chunk = br#"{"object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":194,
        "completion_tokens":2,"total_tokens":196,"cost":0.95,"is_byok":false,
        "cost_details":{"upstream_inference_cost":19}}}"#;
    assert_eq!(reported_cost(chunk), Some(0.95));
    // BYOK: the provider bills the caller's own key on top of OpenRouter's fee.
    let byok = br#"{"usage":{"prompt_tokens":1,"completion_tokens":1,"cost":0.05,"is_byok":true,
        "cost_details":{"upstream_inference_cost":1.0}}}"#;
    assert_eq!(reported_cost(byok), Some(1.05));
    // OpenAI itself states no cost; nonsense is refused.
    let plain = br#"{"usage":{"prompt_tokens":3,"completion_tokens":4}}"#;
    assert_eq!(reported_cost(plain), None);
    assert_eq!(reported_cost(br#"{"usage":{"cost":-1}}"#), None);
    assert_eq!(reported_cost(br#"{"usage":{"cost":"0.1"}}"#), None);
    assert_eq!(reported_cost(b"no json"), None);
}
