//! The Gemini API surface: Gemini clients reaching Gemini providers (passthrough) and
//! OpenAI-family providers (translation), streamed as SSE or as one JSON array.

use serde_json::{json, Value};

use crate::harness::{fixture, Harness};

/// Provider `gem` (Gemini) and `mock` (OpenAI-compatible), both at the mock.
async fn both() -> Harness {
    Harness::with_config(|url| {
        format!(
            "providers:\n  gem:\n    type: gemini\n    base_url: \"{url}/v1beta\"\n    api_key: gemini-test-key-0001\n    models: [gemini-2.5-flash, text-embedding-004]\n  mock:\n    type: openai-compatible\n    base_url: \"{url}/v1\"\n    api_key: sk-upstream-secret-0001\n    models: [mock-model, mock-embed]\n"
        )
    })
    .await
}

fn hello() -> Value {
    json!({"contents": [{"role": "user", "parts": [{"text": "hi"}]}], "systemInstruction": {"parts": [{"text": "Be brief."}]}})
}

/// Visible text of Gemini chunks.
fn chunk_text(chunks: &[Value]) -> String {
    chunks
        .iter()
        .flat_map(|c| {
            c["candidates"][0]["content"]["parts"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .filter(|p| p["thought"] != true)
        .filter_map(|p| p["text"].as_str().map(str::to_owned))
        .collect()
}

fn sse_chunks(body: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(body)
        .lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .map(|d| serde_json::from_str(d.trim()).unwrap())
        .collect()
}

#[tokio::test]
async fn gemini_to_gemini_passes_bytes_through() {
    let h = both().await;
    let resp = h
        .post("/v1beta/models/gemini-2.5-flash:generateContent", &hello())
        .header("x-goog-api-key", "client-key-never-forwarded")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.bytes().await.unwrap(),
        fixture("gemini/nonstream-text.json")
    );
    let up = h.mock.last_request().unwrap();
    assert_eq!(up.path, "/v1beta/models/gemini-2.5-flash:generateContent");
    assert_eq!(up.header("x-goog-api-key"), Some("gemini-test-key-0001"));
    assert!(
        up.json().get("model").is_none(),
        "Gemini bodies carry no model"
    );

    // SSE stream, under the /google prefix and with a key= query: unchanged bytes, usage read.
    let resp = h
        .post(
            "/google/v1beta/models/gem/gemini-2.5-flash:streamGenerateContent?alt=sse&key=abc",
            &hello(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.bytes().await.unwrap(),
        fixture("gemini/stream-text.sse")
    );
    assert_eq!(
        h.mock.last_request().unwrap().path,
        "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse"
    );
    let records = h.records.wait(2).await;
    let want = sse_chunks(&fixture("gemini/stream-text.sse"))
        .last()
        .unwrap()["usageMetadata"]["promptTokenCount"]
        .as_u64();
    assert_eq!(records[1].usage.map(|u| u.prompt_tokens), want);
    assert!(records[1].stream);

    // The JSON-array form is requested as such and passed through.
    let resp = h
        .post(
            "/v1beta/models/gemini-2.5-flash:streamGenerateContent",
            &hello(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let chunks: Vec<Value> = serde_json::from_slice(&resp.bytes().await.unwrap()).unwrap();
    assert_eq!(
        chunk_text(&chunks),
        chunk_text(&sse_chunks(&fixture("gemini/stream-text.sse")))
    );
}

#[tokio::test]
async fn gemini_client_reaches_an_openai_provider() {
    let h = both().await;
    let resp = h
        .post("/v1beta/models/mock-model:generateContent", &hello())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let v: Value = resp.json().await.unwrap();
    assert_eq!(
        v["candidates"][0]["content"]["parts"][0]["text"],
        "Hello from llmux-mock."
    );
    assert_eq!(v["candidates"][0]["finishReason"], "STOP");
    assert!(v["usageMetadata"]["promptTokenCount"].as_u64().is_some());
    let up = h.mock.last_request().unwrap().json();
    assert_eq!(
        up["messages"][0],
        json!({"role": "system", "content": "Be brief."})
    );

    let resp = h
        .post(
            "/v1beta/models/mock-model:streamGenerateContent?alt=sse",
            &hello(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "text/event-stream");
    let raw = resp.bytes().await.unwrap();
    let chunks = sse_chunks(&raw);
    assert_eq!(chunk_text(&chunks), "Hello from llmux-mock.");
    let last = chunks.last().unwrap();
    assert_eq!(last["candidates"][0]["finishReason"], "STOP");
    assert!(last["usageMetadata"]["candidatesTokenCount"]
        .as_u64()
        .is_some());

    let resp = h
        .post("/v1beta/models/mock-model:streamGenerateContent", &hello())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "application/json");
    let chunks: Vec<Value> = serde_json::from_slice(&resp.bytes().await.unwrap()).unwrap();
    assert_eq!(chunk_text(&chunks), "Hello from llmux-mock.");
}

#[tokio::test]
async fn count_tokens_exact_or_estimated() {
    let h = both().await;
    let body = json!({"contents": [{"role": "user", "parts": [{"text": "one two three"}]}]});
    let resp = h
        .post("/v1beta/models/gemini-2.5-flash:countTokens", &body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.headers().get("x-llmux-token-count").is_none());
    assert_eq!(
        resp.json::<Value>().await.unwrap(),
        json!({"totalTokens": 3})
    );

    let resp = h
        .post("/v1beta/models/mock-model:countTokens", &body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["x-llmux-token-count"], "estimate");
    assert!(
        resp.json::<Value>().await.unwrap()["totalTokens"]
            .as_u64()
            .unwrap()
            > 0
    );
}

#[tokio::test]
async fn embeddings_from_gemini_and_openai_providers() {
    let h = both().await;
    let one = json!({"content": {"parts": [{"text": "hello world"}]}});
    for model in ["text-embedding-004", "mock-embed"] {
        let resp = h
            .post(&format!("/v1beta/models/{model}:embedContent"), &one)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "{model}");
        let v: Value = resp.json().await.unwrap();
        assert_eq!(
            v["embedding"]["values"].as_array().unwrap().len(),
            8,
            "{model}"
        );

        let batch = json!({"requests": [one.clone(), one.clone(), one.clone()]});
        let resp = h
            .post(
                &format!("/v1beta/models/{model}:batchEmbedContents"),
                &batch,
            )
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "{model}");
        let v: Value = resp.json().await.unwrap();
        assert_eq!(v["embeddings"].as_array().unwrap().len(), 3, "{model}");
    }
}

#[tokio::test]
async fn models_and_errors_in_gemini_shape() {
    let h = both().await;
    let v: Value = h.get_json("/v1beta/models").await;
    let names: Vec<&str> = v["models"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["name"].as_str())
        .collect();
    assert!(names.contains(&"models/gem/gemini-2.5-flash"), "{names:?}");

    let resp = h
        .client
        .get(h.url("/v1beta/models/nope"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    let e: Value = resp.json().await.unwrap();
    assert_eq!(e["error"]["status"], "NOT_FOUND");

    let resp = h
        .post("/v1beta/models/nope:generateContent", &hello())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    assert_eq!(resp.json::<Value>().await.unwrap()["error"]["code"], 404);

    let resp = h
        .post(
            "/v1beta/models/mock-model:generateContent",
            &json!({"contents": "hi"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let e: Value = resp.json().await.unwrap();
    assert_eq!(e["error"]["status"], "INVALID_ARGUMENT");
    assert!(
        e["error"]["message"].as_str().unwrap().contains("contents"),
        "{e}"
    );

    let resp = h
        .post("/v1beta/models/mock-model:generateContent", &json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    h.assert_still_serving().await;
}
