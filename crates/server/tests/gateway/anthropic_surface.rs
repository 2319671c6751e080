//! Anthropic Messages clients: passthrough to Anthropic providers, translation to OpenAI-family
//! providers, errors in Anthropic's shape.

use serde_json::json;

use crate::harness::{fixture, mock_provider, Harness};

async fn both() -> Harness {
    Harness::with_config(|url| {
        format!(
            "{}  claude:\n    type: anthropic\n    base_url: \"{url}/v1\"\n    api_key: sk-ant-test-0002\n    models: [claude-sonnet-4-5]\n",
            mock_provider(url)
        )
    })
    .await
}

fn messages(model: &str, stream: bool) -> serde_json::Value {
    json!({"model": model, "max_tokens": 64, "stream": stream, "system": "Be brief.",
           "messages": [{"role": "user", "content": "hi"}]})
}

fn anthropic_error(body: &[u8]) -> serde_json::Value {
    let v: serde_json::Value = serde_json::from_slice(body).unwrap();
    assert_eq!(v["type"], "error", "{v}");
    assert!(v["error"]["message"].is_string(), "{v}");
    v["error"].clone()
}

#[tokio::test]
async fn passthrough_to_anthropic_is_byte_exact_and_metered() {
    let h = both().await;
    for (stream, file) in [
        (true, "anthropic/stream-text.sse"),
        (false, "anthropic/nonstream-text.json"),
    ] {
        let resp = h
            .post("/v1/messages", &messages("claude-sonnet-4-5", stream))
            .header("x-api-key", "client-key-not-forwarded")
            .header("anthropic-version", "2023-06-01")
            .header("x-mock-fixture", file)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "{file}");
        assert_eq!(
            resp.bytes().await.unwrap().as_ref(),
            fixture(file).as_slice(),
            "{file}"
        );
        let up = h.mock.last_request().unwrap();
        assert_eq!(up.path, "/v1/messages");
        assert_eq!(up.header("x-api-key"), Some("sk-ant-test-0002"));
        assert!(
            up.json().get("stream_options").is_none(),
            "no OpenAI fields sent to Anthropic"
        );
    }
    let records = h.records.wait(2).await;
    for r in &records {
        let u = r.usage.unwrap_or_else(|| panic!("usage recorded: {r:?}"));
        assert!(u.prompt_tokens > 0 && u.completion_tokens > 0, "{r:?}");
    }
}

#[tokio::test]
async fn translated_to_an_openai_provider() {
    let h = both().await;
    let resp = h
        .post("/v1/messages", &messages("mock-model", false))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let v: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(v["type"], "message");
    assert_eq!(v["role"], "assistant");
    assert_eq!(v["content"][0]["type"], "text");
    assert_eq!(v["content"][0]["text"], "Hello from llmux-mock.");
    assert_eq!(v["stop_reason"], "end_turn");
    assert_eq!(v["usage"]["output_tokens"], 5);
    let up = h.mock.last_request().unwrap().json();
    assert_eq!(up["messages"][0]["role"], "system");
    assert_eq!(up["messages"][0]["content"], "Be brief.");

    let resp = h
        .post("/v1/messages", &messages("mock-model", true))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let body = String::from_utf8(resp.bytes().await.unwrap().to_vec()).unwrap();
    assert!(body.starts_with("event: message_start\n"), "{body}");
    assert!(body.contains("event: message_stop"), "{body}");
    let text: String = body
        .lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .filter_map(|d| serde_json::from_str::<serde_json::Value>(d).ok())
        .filter_map(|v| v["delta"]["text"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(text, "Hello from llmux-mock.");
    let records = h.records.wait(2).await;
    assert!(records.iter().all(|r| r.usage.is_some()), "{records:?}");
}

#[tokio::test]
async fn errors_in_anthropic_shape() {
    let h = both().await;
    let resp = h
        .post("/v1/messages", &messages("no-such-model", false))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    assert_eq!(
        anthropic_error(&resp.bytes().await.unwrap())["type"],
        "not_found_error"
    );

    let resp = h
        .client
        .post(h.url("/anthropic/v1/messages"))
        .header("content-type", "application/json")
        .body("{broken")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    assert_eq!(
        anthropic_error(&resp.bytes().await.unwrap())["type"],
        "invalid_request_error"
    );

    // A mid-stream failure of a translated stream ends with an Anthropic error event.
    let resp = h
        .post("/v1/messages", &messages("mock-model", true))
        .header("x-mock-fault", "reset-mid-stream")
        .send()
        .await
        .unwrap();
    let body = String::from_utf8(resp.bytes().await.unwrap().to_vec()).unwrap();
    assert!(body.contains("event: error\ndata: {\"error\":"), "{body}");
    h.assert_still_serving().await;
}

#[tokio::test]
async fn count_tokens_exact_from_anthropic_estimated_elsewhere() {
    let h = both().await;
    let body = json!({"model": "claude-sonnet-4-5", "system": "Be brief.",
                      "messages": [{"role": "user", "content": "hello there"}]});
    let resp = h
        .post("/anthropic/v1/messages/count_tokens", &body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.headers().get("x-llmux-token-count").is_none());
    assert_eq!(
        resp.json::<serde_json::Value>().await.unwrap(),
        json!({"input_tokens": 9})
    );
    let up = h.mock.last_request().unwrap();
    assert_eq!(up.path, "/v1/messages/count_tokens");
    assert_eq!(up.header("x-api-key"), Some("sk-ant-test-0002"));

    let mut body = body;
    body["model"] = json!("mock-model");
    let resp = h
        .post("/v1/messages/count_tokens", &body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["x-llmux-token-count"], "estimate");
    let n = resp.json::<serde_json::Value>().await.unwrap()["input_tokens"]
        .as_u64()
        .unwrap();
    assert!((3..50).contains(&n), "{n}");

    let resp = h
        .post(
            "/v1/messages/count_tokens",
            &json!({"model": "nope", "messages": []}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    anthropic_error(&resp.bytes().await.unwrap());
}

#[tokio::test]
async fn passthrough_stream_with_an_unterminated_last_event_is_unchanged() {
    // The captured stream's last event has no blank line after it: it must still arrive once.
    let h = both().await;
    let resp = h
        .post("/v1/messages", &messages("claude-sonnet-4-5", true))
        .header("x-mock-fixture", "anthropic/stream-tool-use.sse")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.bytes().await.unwrap(),
        fixture("anthropic/stream-tool-use.sse")
    );
    let records = h.records.wait(1).await;
    assert!(records[0].usage.is_some());
}
