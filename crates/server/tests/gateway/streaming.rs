//! Streams: chunk-by-chunk passthrough, the usage chunk, mid-stream failures.

use serde_json::json;

use crate::harness::{fixture, mock_provider, Harness};

fn stream_body(model: &str, include_usage: bool) -> serde_json::Value {
    let mut v =
        json!({"model": model, "stream": true, "messages": [{"role": "user", "content": "hi"}]});
    if include_usage {
        v["stream_options"] = json!({"include_usage": true});
    }
    v
}

/// Splits an SSE body into its events (fixtures use `\n\n`).
fn events(body: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(body)
        .split_inclusive("\n\n")
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn stream_replays_byte_for_byte() {
    let h = Harness::start().await;
    let resp = h
        .post("/v1/chat/completions", &stream_body("mock-model", false))
        .header("x-mock-fixture", "openai-chat/stream-text.sse")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/event-stream"));
    let body = resp.bytes().await.unwrap();
    assert_eq!(
        body.as_ref(),
        fixture("openai-chat/stream-text.sse").as_slice()
    );
}

#[tokio::test]
async fn usage_chunk_is_dropped_only_when_llmux_asked_for_it() {
    let h = Harness::start().await;
    let file = "openai-chat/stream-finish-length-usage.sse";
    let original = fixture(file);

    // Client did not ask: llmux asks upstream, reads usage, drops the extra chunk.
    let body = h
        .post("/v1/chat/completions", &stream_body("mock-model", false))
        .header("x-mock-fixture", file)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let up = h.mock.last_request().unwrap().json();
    assert_eq!(up["stream_options"]["include_usage"], true);
    let want: String = events(&original)
        .into_iter()
        .filter(|e| !(e.contains("\"choices\":[]") && e.contains("\"usage\":{")))
        .collect();
    assert_eq!(
        events(&original).len(),
        events(want.as_bytes()).len() + 1,
        "exactly one event dropped"
    );
    assert_eq!(String::from_utf8_lossy(&body), want);

    // Client asked: the stream is untouched.
    let body = h
        .post("/v1/chat/completions", &stream_body("mock-model", true))
        .header("x-mock-fixture", file)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(body.as_ref(), original.as_slice());

    let records = h.records.wait(2).await;
    for r in &records {
        let usage = r.usage.expect("usage read from the stream");
        assert!(usage.completion_tokens > 0);
        assert!(r.stream && r.ttft.is_some());
    }
}

#[tokio::test]
async fn provider_without_stream_usage_support_gets_no_stream_options() {
    let h = Harness::with_config(|url| format!("{}    stream_usage: false\n", mock_provider(url)))
        .await;
    h.post("/v1/chat/completions", &stream_body("mock-model", false))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert!(h
        .mock
        .last_request()
        .unwrap()
        .json()
        .get("stream_options")
        .is_none());
}

#[tokio::test]
async fn deepseek_reasoning_content_passes_through_intact() {
    let dir = tempfile::tempdir().unwrap();
    let sse = concat!(
        "data: {\"id\":\"1\",\"object\":\"chat.completion.chunk\",\"model\":\"deepseek-reasoner\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"reasoning_content\":\"Let me think\"},\"finish_reason\":null}]}\n\n",
        "data: {\"id\":\"1\",\"object\":\"chat.completion.chunk\",\"model\":\"deepseek-reasoner\",\"choices\":[{\"index\":0,\"delta\":{\"reasoning_content\":\" step by step.\"},\"finish_reason\":null}]}\n\n",
        "data: {\"id\":\"1\",\"object\":\"chat.completion.chunk\",\"model\":\"deepseek-reasoner\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"42\"},\"finish_reason\":\"stop\"}]}\n\n",
        "data: [DONE]\n\n"
    );
    std::fs::write(dir.path().join("deepseek.sse"), sse).unwrap();
    let mock = llmux_testkit::mock::MockConfig {
        fixtures_dir: dir.path().to_path_buf(),
        ..Default::default()
    };
    let h = Harness::with_mock(mock, mock_provider).await;
    let body = h
        .post(
            "/v1/chat/completions",
            &stream_body("mock/deepseek-reasoner", false),
        )
        .header("x-mock-fixture", "deepseek.sse")
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&body), sse);
}

#[tokio::test]
async fn long_scripted_stream_arrives_whole() {
    let h = Harness::start().await;
    let words: Vec<String> = (0..50).map(|i| format!("w{i} ")).collect();
    let resp = h
        .post("/v1/chat/completions", &stream_body("mock-model", false))
        .header("x-mock-chunks", "50")
        .header("x-mock-text", words.concat())
        .header("x-mock-chunk-delay-ms", "1")
        .send()
        .await
        .unwrap();
    let body = resp.bytes().await.unwrap();
    let mut text = String::new();
    let mut done = false;
    for ev in events(&body) {
        let data = ev.trim_end().strip_prefix("data: ").unwrap();
        if data == "[DONE]" {
            done = true;
            continue;
        }
        let v: serde_json::Value = serde_json::from_str(data).unwrap();
        assert!(
            v["choices"].as_array().is_some_and(|c| !c.is_empty()),
            "usage chunk leaked: {v}"
        );
        if let Some(t) = v["choices"][0]["delta"]["content"].as_str() {
            text.push_str(t);
        }
    }
    assert!(done);
    assert_eq!(text, words.concat().trim_end());
}

#[tokio::test]
async fn reset_mid_stream_ends_with_an_error_event() {
    let h = Harness::start().await;
    let resp = h
        .post("/v1/chat/completions", &stream_body("mock-model", false))
        .header("x-mock-fault", "reset-mid-stream")
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.status(),
        200,
        "the first event arrived before the reset"
    );
    let body = resp
        .bytes()
        .await
        .expect("the client stream itself ends cleanly");
    let evs = events(&body);
    let last = evs.last().unwrap();
    let err: serde_json::Value =
        serde_json::from_str(last.trim_end().strip_prefix("data: ").unwrap()).unwrap();
    assert_eq!(err["error"]["code"], "upstream_broken");
    assert!(err["error"]["message"]
        .as_str()
        .unwrap()
        .contains("provider `mock`"));
    assert!(evs.len() >= 2, "events before the failure were delivered");
    let records = h.records.wait(1).await;
    assert_eq!(records[0].error, Some("upstream_broken"));
    h.assert_still_serving().await;
}

#[tokio::test]
async fn stalled_stream_hits_the_idle_timeout() {
    let h = Harness::with_config(|url| {
        format!("{}    timeouts: {{ idle: 300ms }}\n", mock_provider(url))
    })
    .await;
    let started = std::time::Instant::now();
    let body = h
        .post("/v1/chat/completions", &stream_body("mock-model", false))
        .header("x-mock-fault", "stall")
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    let last = events(&body).pop().unwrap();
    assert!(last.contains("\"code\":\"upstream_timeout\""), "{last}");
    assert!(last.contains("send more data"), "{last}");
    // The stalled upstream connection was closed.
    assert!(
        h.mock
            .wait_cancelled(1, std::time::Duration::from_secs(5))
            .await
    );
}
