//! Forwards: extra listeners whose path rules and default group decide the upstream whatever
//! model a request names, with their own rate limits.

use llmux_testkit::mock::{MockConfig, MockUpstream};

use crate::harness::{chat, Harness};

async fn forward_harness() -> (Harness, MockUpstream, MockUpstream) {
    let a = MockUpstream::start(MockConfig::default()).await.unwrap();
    let b = MockUpstream::start(MockConfig::default()).await.unwrap();
    let text = format!(
        "server:
  forwards:
    - name: tenant
      listen: 127.0.0.1:0
      default_group: chat-pool
      routing:
        - {{ path: /v1/embeddings, target_group: embed-pool }}
        - {{ path: \"/v1/teams/:team/chat/*\", target_group: embed-pool }}
      rate_limit: {{ per_second: 1, burst: 4 }}
providers:
  a: {{type: openai-compatible, base_url: \"{}/v1\", models: [mock-model]}}
  b: {{type: openai-compatible, base_url: \"{}/v1\", models: [mock-model, mock-embed]}}
groups:
  chat-pool: {{members: [a/mock-model]}}
  embed-pool: {{members: [b/mock-embed]}}
",
        a.url(),
        b.url()
    );
    let h = Harness::with_config(move |_| text).await;
    (h, a, b)
}

#[tokio::test]
async fn a_forward_routes_by_path_and_default_group_whatever_the_model() {
    let (h, a, b) = forward_harness().await;
    let tenant = h
        .forwards
        .iter()
        .find(|(n, _)| n == "tenant")
        .unwrap()
        .1
        .clone();
    // Any model name: the default group serves it, with its own model id upstream.
    let resp = h
        .client
        .post(format!("{tenant}/v1/chat/completions"))
        .json(&chat("gpt-whatever"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["x-llmux-upstream"], "a/mock-model");
    assert_eq!(a.last_request().unwrap().json()["model"], "mock-model");
    // The embeddings rule sends embeddings to the other group.
    let resp = h
        .client
        .post(format!("{tenant}/v1/embeddings"))
        .json(&serde_json::json!({"model": "anything", "input": "hi"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
    assert_eq!(b.last_request().unwrap().json()["model"], "mock-embed");
    // The main listener is untouched by the forward's rules: model names decide there.
    let resp = h
        .post("/v1/chat/completions", &chat("gpt-whatever"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    let resp = h
        .post("/v1/chat/completions", &chat("chat-pool"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn a_forward_limits_each_client_on_its_own_listener() {
    let (h, _a, _b) = forward_harness().await;
    let tenant = h
        .forwards
        .iter()
        .find(|(n, _)| n == "tenant")
        .unwrap()
        .1
        .clone();
    let mut codes = Vec::new();
    for _ in 0..6 {
        let resp = h
            .client
            .post(format!("{tenant}/v1/chat/completions"))
            .json(&chat("m"))
            .send()
            .await
            .unwrap();
        codes.push(resp.status().as_u16());
        if resp.status() == 429 {
            let v: serde_json::Value = resp.json().await.unwrap();
            let msg = v["error"]["message"].as_str().unwrap().to_owned();
            assert!(msg.contains("client 127.0.0.1"), "{msg}");
        }
    }
    assert_eq!(codes, [200, 200, 200, 200, 429, 429]);
    // The main listener has no limit.
    for _ in 0..6 {
        let resp = h
            .post("/v1/chat/completions", &chat("chat-pool"))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
    }
}
