//! The data-plane rate limits through real HTTP: a client's bucket admits its burst, then its
//! steady rate; refusals are 429s with Retry-After in the client API's own error shape.

use std::time::Duration;

use crate::harness::{chat, Harness};

fn limited(url: &str, bucket: &str) -> String {
    format!(
        "server:\n  rate_limit: {bucket}\nproviders:\n  mock:\n    type: openai-compatible\n    base_url: \"{url}/v1\"\n    models: [mock-model]\n"
    )
}

#[tokio::test]
async fn a_client_gets_its_burst_then_429s_with_retry_after() {
    let h = Harness::with_config(|url| limited(url, "{per_second: 1, burst: 5}")).await;
    for i in 0..5 {
        let resp = h
            .post("/v1/chat/completions", &chat("mock-model"))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "request {i} of the burst");
    }
    let resp = h
        .post("/v1/chat/completions", &chat("mock-model"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 429);
    assert_eq!(resp.headers()["retry-after"], "1");
    let v: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(v["error"]["code"], "rate_limited");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("retry after 1 s"),
        "{v}"
    );
    // Other client APIs get their own shape.
    let resp = h
        .client
        .post(h.url("/v1/messages"))
        .header("anthropic-version", "2023-06-01")
        .json(&serde_json::json!({"model": "mock-model", "max_tokens": 5, "messages": [{"role": "user", "content": "hi"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 429);
    let v: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(v["type"], "error");
    assert_eq!(v["error"]["type"], "rate_limit_error");
    let resp = h.client.get(h.url("/api/tags")).send().await.unwrap();
    assert_eq!(resp.status(), 429);
    let v: serde_json::Value = resp.json().await.unwrap();
    assert!(v["error"].as_str().unwrap().contains("rate limit"), "{v}");
    // One token a second comes back.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let resp = h
        .post("/v1/chat/completions", &chat("mock-model"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    // Every refusal is counted.
    let metrics = h.metrics_text().await;
    assert!(
        metrics.contains("llmux_ratelimit_total{scope=\"client_ip\"} 3"),
        "{metrics}"
    );
}

#[tokio::test]
async fn a_listener_wide_limit_applies_to_everyone() {
    let h = Harness::with_config(|url| {
        limited(url, "{per_second: 100, burst: 100}").replace(
            "server:\n",
            "server:\n  total_rate_limit: {per_second: 0.5, burst: 2}\n",
        )
    })
    .await;
    let codes: Vec<u16> = {
        let mut v = Vec::new();
        for _ in 0..3 {
            v.push(
                h.post("/v1/chat/completions", &chat("mock-model"))
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16(),
            );
        }
        v
    };
    assert_eq!(codes, [200, 200, 429]);
    let resp = h
        .post("/v1/chat/completions", &chat("mock-model"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["retry-after"], "2");
    let v: serde_json::Value = resp.json().await.unwrap();
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("listener `main`"),
        "{v}"
    );
}
