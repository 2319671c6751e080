//! Same-protocol passthrough: bytes through unchanged, minimal edits upstream.

use serde_json::json;

use crate::harness::{chat, fixture, Harness};

#[tokio::test]
async fn nonstream_body_passes_through_byte_for_byte() {
    let h = Harness::start().await;
    let resp = h
        .post("/v1/chat/completions", &chat("mock-model"))
        .header("x-mock-fixture", "openai-chat/nonstream-text.json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["x-llmux-upstream"], "mock/mock-model");
    assert_eq!(resp.headers()["x-request-id"].len(), 32);
    let body = resp.bytes().await.unwrap();
    assert_eq!(
        body.as_ref(),
        fixture("openai-chat/nonstream-text.json").as_slice()
    );
    // Usage read from the body tail, exactly one record.
    let records = h.records.wait(1).await;
    assert_eq!(records.len(), 1);
    let usage = records[0].usage.expect("usage recorded");
    assert_eq!((usage.prompt_tokens, usage.completion_tokens), (16, 363));
    assert_eq!(records[0].error, None);
}

#[tokio::test]
async fn upstream_receives_minimal_edits_and_only_the_provider_key() {
    let h = Harness::start().await;
    let body = br#"{"model":"mock-model","messages":[{"role":"user","content":"hi"}],"x_vendor":{"keep":[1, 2.50]},"temperature":0.3}"#;
    let resp = h
        .client
        .post(h.url("/v1/chat/completions"))
        .header("content-type", "application/json")
        .header("authorization", "Bearer client-key-must-not-leak")
        .header("x-api-key", "client-anthropic-key")
        .header("x-request-id", "req-abc-123")
        .header("x-custom-trace", "t1")
        .body(body.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["x-request-id"], "req-abc-123");
    let up = h.mock.last_request().unwrap();
    assert_eq!(up.path, "/v1/chat/completions");
    // Nothing to edit: the exact client bytes go upstream.
    assert_eq!(up.body.as_ref(), body.as_slice());
    assert_eq!(
        up.header("authorization"),
        Some("Bearer sk-upstream-secret-0001")
    );
    assert_eq!(up.header("x-api-key"), None);
    assert_eq!(up.header("x-team"), Some("infra"));
    assert_eq!(up.header("x-custom-trace"), Some("t1"));
    assert_eq!(up.header("x-request-id"), Some("req-abc-123"));
}

#[tokio::test]
async fn provider_prefix_is_stripped_and_unknown_fields_kept_in_order() {
    let h = Harness::start().await;
    let body = br#"{"z_first":true,"model":"mock/some-unlisted-model","messages":[],"zz":{"a":1}}"#;
    let resp = h
        .client
        .post(h.url("/openai/v1/chat/completions"))
        .header("content-type", "application/json")
        .body(body.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let up = h.mock.last_request().unwrap();
    assert_eq!(
        std::str::from_utf8(&up.body).unwrap(),
        r#"{"z_first":true,"model":"some-unlisted-model","messages":[],"zz":{"a":1}}"#
    );
}

#[tokio::test]
async fn completions_with_fim_suffix_and_embeddings() {
    let h = Harness::start().await;
    let resp = h
        .post("/v1/completions", &json!({"model": "mock-model", "prompt": "def f(", "suffix": "\n    return x", "max_tokens": 5}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let up = h.mock.last_request().unwrap();
    assert_eq!(up.path, "/v1/completions");
    assert_eq!(up.json()["suffix"], "\n    return x");
    let v: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(v["object"], "text_completion");

    let resp = h
        .post(
            "/v1/embeddings",
            &json!({"model": "mock-embed", "input": ["a", "b", "c"]}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let v: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(v["data"].as_array().unwrap().len(), 3);
    assert_eq!(h.mock.last_request().unwrap().path, "/v1/embeddings");
    let records = h.records.wait(2).await;
    assert!(records.iter().all(|r| r.usage.is_some()), "{records:?}");
}

#[tokio::test]
async fn models_list_and_get() {
    let h = Harness::with_config(|url| {
        format!(
            "{}models:\n  coder: {{ target: mock/mock-model, defaults: {{ temperature: 0.1 }} }}\n",
            crate::harness::mock_provider(url)
        )
    })
    .await;
    for prefix in ["/v1", "/openai/v1"] {
        let v: serde_json::Value = h.get_json(&format!("{prefix}/models")).await;
        assert_eq!(v["object"], "list");
        let ids: Vec<&str> = v["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, vec!["coder", "mock/mock-model", "mock/mock-embed"]);
        assert!(v["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["object"] == "model" && m["created"].is_u64()));
    }
    for (path, want) in [
        ("/v1/models/coder", "coder"),
        ("/v1/models/mock/mock-model", "mock/mock-model"),
        ("/v1/models/mock%2Fmock-model", "mock/mock-model"),
        ("/v1/models/mock/anything", "mock/anything"),
    ] {
        let resp = h.client.get(h.url(path)).send().await.unwrap();
        assert_eq!(resp.status(), 200, "{path}");
        let v: serde_json::Value = resp.json().await.unwrap();
        assert_eq!(v["id"], want, "{path}");
    }
    let resp = h.client.get(h.url("/v1/models/nope")).send().await.unwrap();
    assert_eq!(resp.status(), 404);
    let e = crate::harness::openai_error(&resp.bytes().await.unwrap());
    assert_eq!(e["code"], "model_not_found");
}

#[tokio::test]
async fn reasoning_models_get_openai_parameter_rules() {
    let h = Harness::with_config(|url| {
        format!(
            "providers:\n  openai:\n    base_url: \"{url}/v1\"\n    api_key: sk-test-openai-0000\n"
        )
    })
    .await;
    let resp = h
        .post(
            "/v1/chat/completions",
            &json!({"model": "openai/o3-mini", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 50, "temperature": 0.2, "top_p": 0.9}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.headers()["x-llmux-dropped-params"],
        "temperature,top_p"
    );
    let up = h.mock.last_request().unwrap().json();
    assert_eq!(up["max_completion_tokens"], 50);
    assert!(
        up.get("max_tokens").is_none()
            && up.get("temperature").is_none()
            && up.get("top_p").is_none(),
        "{up}"
    );

    // A non-reasoning model keeps its parameters.
    h.post(
        "/v1/chat/completions",
        &json!({"model": "gpt-4o", "messages": [], "max_tokens": 50, "temperature": 0.2}),
    )
    .send()
    .await
    .unwrap();
    let up = h.mock.last_request().unwrap().json();
    assert_eq!(up["max_tokens"], 50);
    assert_eq!(up["temperature"], 0.2);
}

#[tokio::test]
async fn azure_deployment_urls() {
    let h = Harness::with_config(|url| {
        format!("providers:\n  az:\n    type: azure\n    base_url: \"{url}\"\n    api_key: azure-key-0000\n    api_version: 2024-10-21\n    deployments: {{ gpt-4o: prod-4o }}\n")
    })
    .await;
    let resp = h
        .post("/v1/chat/completions", &chat("az/gpt-4o"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let up = h.mock.last_request().unwrap();
    assert_eq!(
        up.path,
        "/openai/deployments/prod-4o/chat/completions?api-version=2024-10-21"
    );
    assert_eq!(up.header("api-key"), Some("azure-key-0000"));
    assert_eq!(up.header("authorization"), None);
}

#[tokio::test]
async fn model_overrides_show_in_the_openai_and_ollama_listings() {
    let h = Harness::with_config(|url| {
        format!(
            "{}models:\n  coder:\n    target: mock/mock-model\n    description: Code model\n    context_length: 131072\n    capabilities: [completion, tools]\n  plain: mock/mock-model\n",
            crate::harness::mock_provider(url)
        )
    })
    .await;
    let v: serde_json::Value = h.get_json("/v1/models").await;
    let coder = v["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == "coder")
        .unwrap()
        .clone();
    assert_eq!(coder["description"], "Code model");
    assert_eq!(coder["context_length"], 131072);
    assert_eq!(coder["capabilities"], json!(["completion", "tools"]));
    let plain = v["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == "plain")
        .unwrap()
        .clone();
    assert!(plain.get("context_length").is_none() && plain.get("description").is_none());
    let one: serde_json::Value = h.get_json("/v1/models/coder").await;
    assert_eq!(one["context_length"], 131072);

    let resp = h
        .post("/api/show", &json!({"model": "coder"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let show: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(show["model_info"]["mock.context_length"], 131072);
    assert_eq!(show["capabilities"], json!(["completion", "tools"]));
    assert_eq!(show["description"], "Code model");
}
