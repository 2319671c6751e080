//! Virtual models with parameter profiles, through the whole gateway.

use serde_json::json;

use crate::harness::{mock_provider, Harness};

#[tokio::test]
async fn defaults_caller_clamp_on_nested_fields() {
    let h = Harness::with_config(|url| {
        format!(
            "{}models:\n  coder:\n    target: mock/mock-model\n    defaults: {{ temperature: 0.2, max_tokens: 512, chat_template_kwargs: {{ enable_thinking: true }} }}\n    clamp: {{ max_tokens: 100 }}\n  creative:\n    target: mock-model\n    defaults: {{ temperature: 0.9, chat_template_kwargs: {{ enable_thinking: false }} }}\n  plain: mock/mock-model\ndefault_model: plain\n",
            mock_provider(url)
        )
    })
    .await;
    let send = |body: serde_json::Value| {
        let h = &h;
        async move {
            let resp = h.post("/v1/chat/completions", &body).send().await.unwrap();
            assert_eq!(resp.status(), 200);
            h.mock.last_request().unwrap().json()
        }
    };
    let up = send(json!({"model": "coder", "messages": []})).await;
    assert_eq!(up["model"], "mock-model");
    assert_eq!(up["temperature"], 0.2);
    assert_eq!(up["max_tokens"], 100);
    assert_eq!(up["chat_template_kwargs"]["enable_thinking"], true);

    let up = send(json!({"model": "coder", "messages": [], "temperature": 0.7, "max_tokens": 4000, "chat_template_kwargs": {"enable_thinking": false}})).await;
    assert_eq!(up["temperature"], 0.7, "caller beats defaults");
    assert_eq!(up["max_tokens"], 100, "clamp beats caller");
    assert_eq!(
        up["chat_template_kwargs"]["enable_thinking"], false,
        "caller beats nested default"
    );

    let up = send(json!({"model": "creative", "messages": []})).await;
    assert_eq!(up["temperature"], 0.9);
    assert_eq!(up["chat_template_kwargs"]["enable_thinking"], false);

    let up = send(json!({"model": "plain", "messages": [], "top_p": 0.5})).await;
    assert_eq!(up["model"], "mock-model");
    assert!(up.get("temperature").is_none());

    // The default model catches names nothing else resolves.
    let up = send(json!({"model": "some-unknown-name", "messages": []})).await;
    assert_eq!(up["model"], "mock-model");
}
