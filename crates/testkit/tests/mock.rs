//! Integration tests of the mock upstream over real sockets.

use std::time::Duration;

use futures_util::StreamExt;
use llmux_testkit::mock::{MockConfig, MockUpstream};
use serde_json::{json, Value};

const FIXTURES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../tests/fixtures/providers"
);

/// A mock plus one client (building a reqwest client loads the TLS roots: do it once).
struct Ctx {
    mock: MockUpstream,
    client: reqwest::Client,
}

#[allow(clippy::unwrap_used)] // test helpers
impl Ctx {
    async fn with(config: MockConfig) -> Ctx {
        let mock = MockUpstream::start(config).await.unwrap();
        let client = reqwest::Client::builder().no_proxy().build().unwrap();
        Ctx { mock, client }
    }

    async fn new() -> Ctx {
        Ctx::with(MockConfig::default()).await
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.mock.url())
    }

    async fn post(&self, path: &str, body: Value, headers: &[(&str, &str)]) -> reqwest::Response {
        let mut req = self.client.post(self.url(path)).json(&body);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        req.send().await.unwrap()
    }
}

#[allow(clippy::unwrap_used)]
fn fixture(rel: &str) -> Vec<u8> {
    std::fs::read(format!("{FIXTURES}/{rel}")).unwrap()
}

/// `data:` payloads of an SSE body.
#[allow(clippy::unwrap_used)]
fn sse_data(body: &str) -> Vec<String> {
    body.split("\n\n")
        .filter(|e| !e.is_empty())
        .map(|e| e.strip_prefix("data: ").unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn scripted_chat_nonstream() {
    let t = Ctx::new().await;
    let body = json!({"model": "gpt-test", "messages": [{"role": "user", "content": "hi"}]});
    let resp = t.post("/v1/chat/completions", body, &[]).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "application/json");
    let v: Value = resp.json().await.unwrap();
    assert!(v["id"].as_str().unwrap().starts_with("chatcmpl-mock"));
    assert_eq!(v["object"], "chat.completion");
    assert_eq!(v["model"], "gpt-test");
    assert!(v["created"].as_u64().unwrap() > 1_600_000_000);
    assert_eq!(v["choices"][0]["message"]["role"], "assistant");
    assert_eq!(
        v["choices"][0]["message"]["content"],
        "Hello from llmux-mock."
    );
    assert_eq!(v["choices"][0]["finish_reason"], "stop");
    let u = &v["usage"];
    assert_eq!(
        (u["prompt_tokens"].as_u64(), u["completion_tokens"].as_u64()),
        (Some(9), Some(5))
    );
    assert_eq!(u["total_tokens"], 14);
    assert_eq!(u["prompt_tokens_details"]["cached_tokens"], 0);
    assert_eq!(u["completion_tokens_details"]["reasoning_tokens"], 0);
    let stats = t.mock.stats();
    assert_eq!(
        (stats.requests, stats.completed, stats.cancelled),
        (1, 1, 0)
    );
}

#[tokio::test]
async fn scripted_chat_stream_without_usage() {
    let t = Ctx::new().await;
    let body = json!({"model": "m1", "stream": true, "messages": []});
    let resp = t.post("/v1/chat/completions", body, &[]).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "text/event-stream");
    let text = resp.text().await.unwrap();
    let events = sse_data(&text);
    assert_eq!(events.last().unwrap(), "[DONE]");
    assert!(
        !text.contains("usage"),
        "no usage without include_usage: {text}"
    );
    let chunks: Vec<Value> = events[..events.len() - 1]
        .iter()
        .map(|e| serde_json::from_str(e).unwrap())
        .collect();
    assert_eq!(chunks.len(), 1 + 3 + 1, "role, 3 content, finish");
    assert_eq!(chunks[0]["choices"][0]["delta"]["role"], "assistant");
    let content: String = chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
        .collect();
    assert_eq!(content, "Hello from llmux-mock.");
    for c in &chunks {
        assert_eq!(c["object"], "chat.completion.chunk");
        assert_eq!(c["model"], "m1");
    }
    assert_eq!(chunks[4]["choices"][0]["finish_reason"], "stop");
}

#[tokio::test]
async fn scripted_chat_stream_with_usage_and_controls() {
    let t = Ctx::new().await;
    let body = json!({"model": "m2", "stream": true, "stream_options": {"include_usage": true}});
    let headers = [
        ("x-mock-chunks", "2"),
        ("x-mock-text", "one two three four"),
    ];
    let text = t
        .post("/openai/v1/chat/completions", body, &headers)
        .await
        .text()
        .await
        .unwrap();
    let events = sse_data(&text);
    assert_eq!(events.last().unwrap(), "[DONE]");
    let chunks: Vec<Value> = events[..events.len() - 1]
        .iter()
        .map(|e| serde_json::from_str(e).unwrap())
        .collect();
    assert_eq!(
        chunks.len(),
        1 + 2 + 1 + 1,
        "role, 2 content, finish, usage"
    );
    let (usage, rest) = chunks.split_last().unwrap();
    assert_eq!(usage["choices"], json!([]));
    assert_eq!(usage["usage"]["total_tokens"], 14);
    for c in rest {
        assert!(c["usage"].is_null() && c.as_object().unwrap().contains_key("usage"));
    }
    let content: String = rest
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
        .collect();
    assert_eq!(content, "one two three four");
}

/// `(event name, data as JSON)` of an Anthropic SSE body; asserts that every event has both
/// lines and that the name equals the data's `type`.
#[allow(clippy::unwrap_used)]
fn anthropic_events(body: &str) -> Vec<(String, Value)> {
    body.split("\n\n")
        .filter(|e| !e.is_empty())
        .map(|e| {
            let (name, data) = e.split_once('\n').unwrap();
            let name = name.strip_prefix("event: ").unwrap().to_owned();
            let data: Value = serde_json::from_str(data.strip_prefix("data: ").unwrap()).unwrap();
            assert_eq!(data["type"], name.as_str(), "{e}");
            (name, data)
        })
        .collect()
}

#[tokio::test]
async fn scripted_anthropic_stream_with_text_controls() {
    let t = Ctx::new().await;
    let body = json!({"model": "claude-m", "max_tokens": 64, "stream": true,
                      "messages": [{"role": "user", "content": "hi"}]});
    let headers = [
        ("x-mock-chunks", "3"),
        ("x-mock-text", "one two \"three\" four"),
    ];
    let resp = t.post("/v1/messages", body.clone(), &headers).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "text/event-stream");
    let events = anthropic_events(&resp.text().await.unwrap());
    let names: Vec<&str> = events.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "message_start",
            "content_block_start",
            "content_block_delta",
            "content_block_delta",
            "content_block_delta",
            "content_block_stop",
            "message_delta",
            "message_stop"
        ]
    );
    let start = &events[0].1["message"];
    assert_eq!(start["model"], "claude-m");
    assert_eq!(start["role"], "assistant");
    assert!(start["id"].as_str().unwrap().starts_with("msg_mock-"));
    assert_eq!(start["usage"]["input_tokens"], 9);
    assert_eq!(
        events[1].1["content_block"],
        json!({"type": "text", "text": ""})
    );
    let text: String = events[2..5]
        .iter()
        .map(|(_, d)| {
            assert_eq!(d["index"], 0);
            assert_eq!(d["delta"]["type"], "text_delta");
            d["delta"]["text"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(text, "one two \"three\" four");
    assert_eq!(events[6].1["delta"]["stop_reason"], "end_turn");
    assert_eq!(events[6].1["usage"]["output_tokens"], 5);

    // Only the chunk count: the default text, split in two.
    let resp = t
        .post("/v1/messages", body.clone(), &[("x-mock-chunks", "2")])
        .await;
    let events = anthropic_events(&resp.text().await.unwrap());
    assert_eq!(events.len(), 2 + 2 + 3);
    // Without stream, or without controls, the fixtures are still replayed.
    let whole = json!({"model": "claude-m", "max_tokens": 64, "messages": []});
    let resp = t.post("/v1/messages", whole, &headers).await;
    assert_eq!(
        resp.bytes().await.unwrap().to_vec(),
        fixture("anthropic/nonstream-text.json")
    );
    let resp = t.post("/v1/messages", body, &[]).await;
    assert_eq!(
        resp.bytes().await.unwrap().to_vec(),
        fixture("anthropic/stream-text.sse")
    );
}

#[tokio::test]
async fn scripted_anthropic_stream_from_server_default_text() {
    // What `llmux-mock --chunks 50 --text …` does (the benchmark's translated-stream scenarios).
    let words: Vec<String> = (0..50).map(|i| format!(" w{i}")).collect();
    let text = words.concat();
    let config = MockConfig {
        stream_chunks: 50,
        ..MockConfig::default()
    };
    let defaults = vec![("x-mock-text".to_owned(), text.clone())];
    let mock = MockUpstream::start_on_with_defaults(([127, 0, 0, 1], 0).into(), config, defaults)
        .await
        .unwrap();
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let body = json!({"model": "m", "max_tokens": 8, "stream": true, "messages": []});
    let resp = client
        .post(format!("{}/v1/messages", mock.url()))
        .json(&body)
        .send()
        .await
        .unwrap();
    let events = anthropic_events(&resp.text().await.unwrap());
    let deltas: Vec<&str> = events
        .iter()
        .filter(|(n, _)| n == "content_block_delta")
        .map(|(_, d)| d["delta"]["text"].as_str().unwrap())
        .collect();
    assert_eq!(deltas.len(), 50);
    assert_eq!(deltas.concat(), text);
    assert_eq!(events.last().unwrap().0, "message_stop");
    // The truncate fault still cuts a scripted stream after two events.
    let resp = client
        .post(format!("{}/v1/messages", mock.url()))
        .header("x-mock-fault", "truncate")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(anthropic_events(&resp.text().await.unwrap()).len(), 2);
}

#[tokio::test]
async fn scripted_completions_and_azure_path() {
    let t = Ctx::new().await;
    let body = json!({"model": "davinci", "prompt": "def f(", "suffix": ")", "stream": true,
                      "stream_options": {"include_usage": true}});
    let path = "/openai/deployments/dep1/completions?api-version=2024-10-21";
    let text = t.post(path, body, &[]).await.text().await.unwrap();
    let events = sse_data(&text);
    assert_eq!(events.len(), 3 + 1 + 1 + 1);
    let first: Value = serde_json::from_str(&events[0]).unwrap();
    assert_eq!(first["object"], "text_completion");
    assert_eq!(first["choices"][0]["text"], "Hello");
    assert!(events[4].contains("\"choices\":[],\"usage\":{"));
    let body = json!({"model": "davinci", "prompt": "x"});
    let path = "/openai/deployments/dep1/chat/completions?api-version=2024-10-21";
    let v: Value = t.post(path, body.clone(), &[]).await.json().await.unwrap();
    assert_eq!(v["object"], "chat.completion");
    let v: Value = t
        .post("/v1/completions", body, &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["choices"][0]["text"], "Hello from llmux-mock.");
    assert_eq!(t.mock.last_request().unwrap().path, "/v1/completions");
}

#[tokio::test]
async fn fixture_replayed_byte_identical() {
    let t = Ctx::new().await;
    for rel in ["openai-chat/stream-text.sse", "gemini/stream-text.sse"] {
        let resp = t
            .post(
                "/v1/chat/completions",
                json!({}),
                &[("x-mock-fixture", rel)],
            )
            .await;
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.headers()["content-type"], "text/event-stream");
        assert_eq!(resp.bytes().await.unwrap().to_vec(), fixture(rel), "{rel}");
    }
    // One body frame per event (Gemini's \r\n\r\n framing): with a chunk delay the client sees
    // the events arrive separately.
    let headers = [
        ("x-mock-fixture", "gemini/stream-text.sse"),
        ("x-mock-chunk-delay-ms", "2"),
    ];
    let resp = t.post("/anything", json!({}), &headers).await;
    let frames: Vec<_> = resp.bytes_stream().map(|b| b.unwrap()).collect().await;
    let events = fixture("gemini/stream-text.sse")
        .windows(4)
        .filter(|w| w == b"\r\n\r\n")
        .count();
    assert!(
        events >= 3 && frames.len() >= events,
        "{} frames",
        frames.len()
    );
    assert!(frames[0].ends_with(b"\r\n\r\n"));
}

#[tokio::test]
async fn default_replay_endpoints() {
    let t = Ctx::new().await;
    let cases = [
        (
            "/v1/messages",
            json!({"stream": true}),
            "anthropic/stream-text.sse",
        ),
        ("/v1/messages", json!({}), "anthropic/nonstream-text.json"),
        (
            "/v1/responses",
            json!({"stream": true}),
            "openai-responses/stream-text.sse",
        ),
        (
            "/v1/responses",
            json!({}),
            "openai-responses/nonstream-text.json",
        ),
        (
            "/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse",
            json!({}),
            "gemini/stream-text.sse",
        ),
        (
            "/v1beta/models/gemini-2.0-flash:generateContent",
            json!({}),
            "gemini/nonstream-text.json",
        ),
        (
            "/api/chat",
            json!({"model": "llama3"}),
            "ollama/chat-stream.ndjson",
        ),
        (
            "/api/chat",
            json!({"stream": false}),
            "ollama/chat-nonstream.json",
        ),
        ("/api/generate", json!({}), "ollama/generate-stream.ndjson"),
    ];
    for (path, body, rel) in cases {
        let resp = t.post(path, body, &[]).await;
        assert_eq!(resp.status(), 200, "{path}");
        assert_eq!(
            resp.bytes().await.unwrap().to_vec(),
            fixture(rel),
            "{path} -> {rel}"
        );
    }
    let resp = t.post("/api/generate", json!({}), &[]).await;
    assert_eq!(resp.headers()["content-type"], "application/x-ndjson");
}

#[tokio::test]
async fn chunk_lists_are_reframed_as_sse() {
    let t = Ctx::new().await;
    let headers = [("x-mock-fixture", "anthropic/stream-text.chunks.jsonl")];
    let text = t
        .post("/v1/messages", json!({}), &headers)
        .await
        .text()
        .await
        .unwrap();
    assert!(text.starts_with("event: message_start\ndata: {\"type\":\"message_start\""));
    assert!(text.ends_with("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"));
}

#[tokio::test]
async fn error_fixtures_and_bad_paths() {
    let t = Ctx::new().await;
    let rel = "openai-chat/error-404-unknown-model.json";
    let resp = t
        .post(
            "/v1/chat/completions",
            json!({}),
            &[("x-mock-fixture", rel)],
        )
        .await;
    assert_eq!(resp.status(), 404);
    assert_eq!(resp.bytes().await.unwrap().to_vec(), fixture(rel));
    let headers = [("x-mock-fixture", rel), ("x-mock-status", "418")];
    assert_eq!(t.post("/x", json!({}), &headers).await.status(), 418);
    let resp = t
        .post("/x", json!({}), &[("x-mock-fixture", "nope/missing.json")])
        .await;
    assert_eq!(resp.status(), 500);
    assert!(resp.text().await.unwrap().contains("nope/missing.json"));
    let resp = t
        .post("/x", json!({}), &[("x-mock-fixture", "../README.md")])
        .await;
    assert_eq!(resp.status(), 400);
}

#[tokio::test]
async fn faults_status_429_malformed() {
    let t = Ctx::new().await;
    let resp = t
        .post(
            "/v1/chat/completions",
            json!({}),
            &[("x-mock-fault", "429:7")],
        )
        .await;
    assert_eq!(resp.status(), 429);
    assert_eq!(resp.headers()["retry-after"], "7");
    let v: Value = resp.json().await.unwrap();
    assert_eq!(v["error"]["code"], "rate_limit_exceeded");
    let resp = t
        .post(
            "/v1/chat/completions",
            json!({}),
            &[("x-mock-fault", "429")],
        )
        .await;
    assert_eq!(resp.headers()["retry-after"], "1");

    let resp = t
        .post("/v1/messages", json!({}), &[("x-mock-fault", "status:503")])
        .await;
    assert_eq!(resp.status(), 503);
    let v: Value = resp.json().await.unwrap();
    assert_eq!(
        v,
        json!({"error": {"message": "mock fault 503", "type": "server_error", "param": null, "code": null}})
    );

    let resp = t
        .post(
            "/v1/chat/completions",
            json!({}),
            &[("x-mock-fault", "malformed-json")],
        )
        .await;
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.text().await.unwrap(),
        "{\"id\":\"chatcmpl-broken\",\"choi"
    );

    let resp = t
        .post(
            "/v1/chat/completions",
            json!({}),
            &[("x-mock-fault", "bogus")],
        )
        .await;
    assert_eq!(resp.status(), 400);
}

#[tokio::test]
async fn fault_resets() {
    let t = Ctx::new().await;
    let body = json!({"stream": true});
    let resp = t
        .post(
            "/v1/chat/completions",
            body.clone(),
            &[("x-mock-fault", "reset-mid-stream")],
        )
        .await;
    assert_eq!(resp.status(), 200);
    let mut stream = resp.bytes_stream();
    let mut received = Vec::new();
    let mut failed = false;
    while let Some(item) = stream.next().await {
        match item {
            Ok(b) => received.extend_from_slice(&b),
            Err(_) => failed = true,
        }
    }
    assert!(failed, "the body must end with an error");
    assert_eq!(
        String::from_utf8(received)
            .unwrap()
            .matches("data: ")
            .count(),
        2
    );

    let err = t
        .client
        .post(t.url("/v1/chat/completions"))
        .header("x-mock-fault", "reset-before-headers")
        .json(&body)
        .send()
        .await;
    assert!(err.is_err());
    assert_eq!(
        t.mock.stats().cancelled,
        0,
        "faults are not client cancellations"
    );
}

#[tokio::test]
async fn stall_and_client_drop_counts_cancelled() {
    let t = Ctx::new().await;
    let body = json!({"stream": true});
    let mut resp = t
        .post(
            "/v1/chat/completions",
            body.clone(),
            &[("x-mock-fault", "stall")],
        )
        .await;
    let first = resp.chunk().await.unwrap().unwrap();
    assert!(first.starts_with(b"data: {"));
    drop(resp);
    assert!(t.mock.wait_cancelled(1, Duration::from_secs(5)).await);

    // Stalled before the head: the client gives up.
    let err = t
        .client
        .post(t.url("/v1/chat/completions"))
        .header("x-mock-fault", "stall-before-headers")
        .timeout(Duration::from_millis(100))
        .json(&body)
        .send()
        .await;
    assert!(err.is_err());
    assert!(t.mock.wait_cancelled(2, Duration::from_secs(5)).await);

    // Client gone during the delay before the head.
    let err = t
        .client
        .post(t.url("/v1/chat/completions"))
        .header("x-mock-delay-ms", "10000")
        .timeout(Duration::from_millis(100))
        .json(&body)
        .send()
        .await;
    assert!(err.is_err());
    assert!(t.mock.wait_cancelled(3, Duration::from_secs(5)).await);
    assert!(!t.mock.wait_cancelled(4, Duration::from_millis(20)).await);
}

#[tokio::test]
async fn records_requests() {
    let t = Ctx::new().await;
    let client = &t.client;
    let resp = client
        .post(t.url("/v1/chat/completions?trace=1"))
        .header("X-Custom", "abc")
        .header("authorization", "Bearer sk-test")
        .json(&json!({"model": "rec", "messages": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let last = t.mock.last_request().unwrap();
    assert_eq!(last.method, "POST");
    assert_eq!(last.path, "/v1/chat/completions?trace=1");
    assert_eq!(last.header("x-custom"), Some("abc"));
    assert_eq!(last.header("Authorization"), Some("Bearer sk-test"));
    assert_eq!(last.json()["model"], "rec");

    let list: Value = client
        .get(t.url("/_mock/requests"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert!(list[0]["body"].as_str().unwrap().contains("\"rec\""));
    let stats: Value = client
        .get(t.url("/_mock/stats"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        stats,
        json!({"requests": 1, "completed": 1, "cancelled": 0})
    );

    client
        .delete(t.url("/_mock/requests"))
        .send()
        .await
        .unwrap();
    assert!(t.mock.requests().is_empty());
    t.post("/v1/embeddings", json!({"input": "x"}), &[]).await;
    assert_eq!(t.mock.requests().len(), 1);
    t.mock.clear();
    assert!(t.mock.last_request().is_none());
}

#[tokio::test]
async fn embeddings_one_per_input() {
    let t = Ctx::new().await;
    let cases = [
        (json!("hello world"), 1),
        (json!(["a", "b", "c"]), 3),
        (json!([[1, 2], [3]]), 2),
        (json!([1, 2, 3]), 1),
    ];
    for (input, n) in cases {
        let body = json!({"model": "mock-embed", "input": input});
        let v: Value = t
            .post("/v1/embeddings", body, &[])
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(v["object"], "list");
        assert_eq!(v["model"], "mock-embed");
        let data = v["data"].as_array().unwrap();
        assert_eq!(data.len(), n, "{input}");
        for (i, d) in data.iter().enumerate() {
            assert_eq!(d["index"], i);
            assert_eq!(d["embedding"].as_array().unwrap().len(), 8);
        }
        assert!(v["usage"]["prompt_tokens"].as_u64().unwrap() >= 1);
    }
    let body = json!({"input": ["a"], "encoding_format": "base64"});
    let v: Value = t
        .post("/v1/embeddings", body, &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        v["data"][0]["embedding"].as_str().unwrap().len(),
        44,
        "32 bytes in base64"
    );
}

#[tokio::test]
async fn models_and_unknown_paths() {
    let config = MockConfig {
        models: vec!["a".into(), "b".into()],
        ..MockConfig::default()
    };
    let t = Ctx::with(config).await;
    let get = |path: &str| t.client.get(t.url(path)).send();
    let v: Value = get("/v1/models").await.unwrap().json().await.unwrap();
    assert_eq!(v["object"], "list");
    assert_eq!(v["data"][1]["id"], "b");
    let v: Value = get("/v1/models/a").await.unwrap().json().await.unwrap();
    assert_eq!(v["object"], "model");
    assert_eq!(get("/v1/models/zzz").await.unwrap().status(), 404);
    let v: Value = get("/api/tags").await.unwrap().json().await.unwrap();
    assert_eq!(v["models"][0]["name"], "a");
    assert!(get("/api/version").await.unwrap().status().is_success());
    let resp = get("/nope").await.unwrap();
    assert_eq!(resp.status(), 404);
    let v: Value = resp.json().await.unwrap();
    assert_eq!(v["error"]["type"], "invalid_request_error");
}
