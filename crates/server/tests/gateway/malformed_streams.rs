//! Provider streams that break in translation end the client's stream with a well-formed
//! error event of the client's API: cut short, invalid JSON, unknown events.

use serde_json::{json, Value};

use crate::harness::Harness;

/// `claude` (Anthropic) and `local` (Ollama) at the mock.
async fn providers() -> Harness {
    Harness::with_config(|url| {
        format!(
            "providers:\n  claude:\n    type: anthropic\n    base_url: \"{url}/v1\"\n    models: [claude-sonnet-4-5]\n  local:\n    type: ollama\n    base_url: \"{url}\"\n    models: [llama3.2]\n"
        )
    })
    .await
}

fn openai_stream(model: &str) -> Value {
    json!({"model": model, "stream": true, "messages": [{"role": "user", "content": "hi"}]})
}

/// The `error` object of the last `data:` event of an OpenAI stream.
fn last_error(body: &[u8]) -> Value {
    let text = String::from_utf8_lossy(body);
    let last = text
        .lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .next_back()
        .unwrap_or_else(|| panic!("no events: {text}"));
    let v: Value = serde_json::from_str(last).unwrap_or_else(|e| panic!("{e}: {last}"));
    assert!(
        v["error"]["message"].is_string(),
        "not an error event: {text}"
    );
    v["error"].clone()
}

#[tokio::test]
async fn cut_streams_end_with_an_error_event() {
    let h = providers().await;
    for model in ["claude-sonnet-4-5", "llama3.2"] {
        let resp = h
            .post("/v1/chat/completions", &openai_stream(model))
            .header("x-mock-fault", "truncate")
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "{model}");
        let e = last_error(&resp.bytes().await.unwrap());
        assert!(
            e["message"]
                .as_str()
                .unwrap()
                .contains("ended before the answer was complete"),
            "{model}: {e}"
        );
    }
    // The same for an Anthropic client: an `event: error`.
    let resp = h
        .post("/v1/messages", &json!({"model": "llama3.2", "max_tokens": 10, "stream": true, "messages": [{"role": "user", "content": "hi"}]}))
        .header("x-mock-fault", "truncate")
        .send()
        .await
        .unwrap();
    let text = String::from_utf8(resp.bytes().await.unwrap().to_vec()).unwrap();
    assert!(
        text.trim_end()
            .rsplit("\n\n")
            .next()
            .unwrap()
            .starts_with("event: error"),
        "{text}"
    );
    h.assert_still_serving_model("claude-sonnet-4-5").await;
}

#[tokio::test]
async fn invalid_json_in_an_event_ends_the_stream_with_an_error() {
    let h = providers().await;
    // A pretty-printed JSON document is not NDJSON: its first line is not a whole object.
    let resp = h
        .post("/v1/chat/completions", &openai_stream("llama3.2"))
        .header("x-mock-fixture", "ollama/docs-chat-stream-first-chunk.json")
        .send()
        .await
        .unwrap();
    let body = resp.bytes().await.unwrap();
    let e = last_error(&body);
    assert!(e["message"].as_str().unwrap().contains("unreadable"), "{e}");
}

#[tokio::test]
async fn unknown_events_are_skipped() {
    let h = providers().await;
    // A captured Anthropic stream (two turns, one after the other) with a server-tool block
    // llmux does not carry: the client still gets complete, well-formed answers.
    let resp = h
        .post("/v1/chat/completions", &openai_stream("claude-sonnet-4-5"))
        .header(
            "x-mock-fixture",
            "anthropic/stream-tool-use-plus-server-tool.chunks.jsonl",
        )
        .send()
        .await
        .unwrap();
    let text = String::from_utf8(resp.bytes().await.unwrap().to_vec()).unwrap();
    assert!(text.contains("data: [DONE]"), "{text}");
    assert!(!text.contains("\"error\""), "{text}");
}
