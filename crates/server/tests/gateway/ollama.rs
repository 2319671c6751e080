//! Ollama: llmux as an Ollama server (the surface) for any provider, and Ollama servers as
//! providers (native `/api/chat`) for any client API.

use serde_json::{json, Value};

use crate::harness::{fixture, mock_provider, Harness};

/// Providers `mock` (OpenAI-compatible) and `local` (Ollama), both at the mock.
async fn both() -> Harness {
    Harness::with_config(|url| {
        format!(
            "{}  local:\n    type: ollama\n    base_url: \"{url}\"\n    models: [llama3.2, nomic-embed-text]\n",
            mock_provider(url)
        )
    })
    .await
}

fn ndjson(body: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(body)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

fn chat_text(lines: &[Value]) -> String {
    lines
        .iter()
        .filter_map(|l| l["message"]["content"].as_str())
        .collect()
}

#[tokio::test]
async fn server_endpoints_list_every_model() {
    let h = both().await;
    let root = h.client.get(h.url("/")).send().await.unwrap();
    assert_eq!(root.status(), 200);
    assert_eq!(root.text().await.unwrap(), "llmux is running");
    let v: Value = h.get_json("/api/version").await;
    assert!(v["version"].is_string());
    let v: Value = h.get_json("/api/tags").await;
    let names: Vec<&str> = v["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"mock/mock-model") && names.contains(&"local/llama3.2"),
        "{names:?}"
    );
    for m in v["models"].as_array().unwrap() {
        assert!(
            m["digest"].is_string() && m["details"].is_object() && m["modified_at"].is_string()
        );
    }
    let v: Value = h.get_json("/api/ps").await;
    assert_eq!(v["models"], json!([]));
    let resp = h
        .post("/api/show", &json!({"model": "mock-model"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let v: Value = resp.json().await.unwrap();
    assert!(v["capabilities"]
        .as_array()
        .unwrap()
        .contains(&json!("completion")));
    let resp = h
        .post("/api/show", &json!({"model": "nope"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    let e: Value = resp.json().await.unwrap();
    assert!(e["error"].as_str().unwrap().contains("nope"), "{e}");
}

#[tokio::test]
async fn ollama_client_to_openai_provider() {
    let h = both().await;
    // Streams by default, one JSON object per line, the last one `done` with counts.
    let body = json!({"model": "mock-model:latest", "messages": [{"role": "user", "content": "hi"}],
                      "options": {"temperature": 0.2, "num_predict": 50, "num_ctx": 8192}});
    let resp = h.post("/api/chat", &body).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "application/x-ndjson");
    let lines = ndjson(&resp.bytes().await.unwrap());
    assert_eq!(chat_text(&lines), "Hello from llmux-mock.");
    let last = lines.last().unwrap();
    assert_eq!(last["done"], true);
    assert_eq!(last["done_reason"], "stop");
    assert!(last["prompt_eval_count"].as_u64().is_some() && last["eval_count"].as_u64().is_some());
    let up = h.mock.last_request().unwrap().json();
    assert_eq!(up["temperature"], 0.2);
    assert_eq!(up["max_tokens"], 50);
    assert_eq!(up["stream"], true);

    let mut body = body;
    body["stream"] = json!(false);
    let resp = h.post("/api/chat", &body).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let v: Value = resp.json().await.unwrap();
    assert_eq!(v["message"]["content"], "Hello from llmux-mock.");
    assert_eq!(v["done"], true);

    // /api/generate: a prompt and a system text, answered in `response`.
    let resp = h
        .post(
            "/api/generate",
            &json!({"model": "mock-model", "prompt": "hi", "system": "Be brief.", "stream": false}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let v: Value = resp.json().await.unwrap();
    assert_eq!(v["response"], "Hello from llmux-mock.");
    let up = h.mock.last_request().unwrap().json();
    assert_eq!(
        up["messages"][0],
        json!({"role": "system", "content": "Be brief."})
    );
    let resp = h
        .post(
            "/api/generate",
            &json!({"model": "mock-model", "prompt": "hi"}),
        )
        .send()
        .await
        .unwrap();
    let lines = ndjson(&resp.bytes().await.unwrap());
    let text: String = lines
        .iter()
        .filter_map(|l| l["response"].as_str())
        .collect();
    assert_eq!(text, "Hello from llmux-mock.");
    assert_eq!(lines.last().unwrap()["done"], true);
}

#[tokio::test]
async fn ollama_to_ollama_passes_through_with_usage() {
    let h = both().await;
    let body = json!({"model": "local/llama3.2", "messages": [{"role": "user", "content": "hi"}]});
    let resp = h.post("/api/chat", &body).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.bytes().await.unwrap(),
        fixture("ollama/chat-stream.ndjson")
    );
    let up = h.mock.last_request().unwrap();
    assert_eq!(up.path, "/api/chat");
    assert_eq!(up.json()["model"], "llama3.2");
    let records = h.records.wait(1).await;
    let last = ndjson(&fixture("ollama/chat-stream.ndjson")).pop().unwrap();
    let usage = records[0].usage.unwrap();
    assert_eq!(
        Some(usage.prompt_tokens),
        last["prompt_eval_count"].as_u64()
    );
    assert_eq!(Some(usage.completion_tokens), last["eval_count"].as_u64());

    let resp = h
        .post(
            "/api/generate",
            &json!({"model": "local/llama3.2", "prompt": "hi", "stream": false}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.bytes().await.unwrap(),
        fixture("ollama/generate-nonstream.json")
    );
}

#[tokio::test]
async fn other_clients_reach_an_ollama_provider() {
    let h = both().await;
    let body = json!({"model": "llama3.2", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 20});
    let resp = h.post("/v1/chat/completions", &body).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let v: Value = resp.json().await.unwrap();
    let want = serde_json::from_slice::<Value>(&fixture("ollama/chat-nonstream.json")).unwrap();
    assert_eq!(
        v["choices"][0]["message"]["content"],
        want["message"]["content"]
    );
    assert_eq!(v["usage"]["prompt_tokens"], want["prompt_eval_count"]);
    let up = h.mock.last_request().unwrap().json();
    assert_eq!(up["stream"], false);
    assert_eq!(up["options"]["num_predict"], 20);

    let mut body = body;
    body["stream"] = json!(true);
    let resp = h.post("/v1/chat/completions", &body).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let text: String = String::from_utf8_lossy(&resp.bytes().await.unwrap())
        .lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .filter_map(|d| serde_json::from_str::<Value>(d).ok())
        .filter_map(|v| {
            v["choices"][0]["delta"]["content"]
                .as_str()
                .map(str::to_owned)
        })
        .collect();
    assert_eq!(
        text,
        chat_text(&ndjson(&fixture("ollama/chat-stream.ndjson")))
    );

    let resp = h
        .post("/v1/messages", &json!({"model": "llama3.2", "max_tokens": 20, "stream": true, "messages": [{"role": "user", "content": "hi"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let out = String::from_utf8(resp.bytes().await.unwrap().to_vec()).unwrap();
    assert!(
        out.starts_with("event: message_start") && out.contains("event: message_stop"),
        "{out}"
    );
}

#[tokio::test]
async fn embeddings_and_errors() {
    let h = both().await;
    for model in ["mock-embed", "nomic-embed-text"] {
        let resp = h
            .post(
                "/api/embed",
                &json!({"model": model, "input": ["a b", "c"]}),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "{model}");
        let v: Value = resp.json().await.unwrap();
        assert_eq!(v["embeddings"].as_array().unwrap().len(), 2, "{model}");
        assert_eq!(v["embeddings"][0].as_array().unwrap().len(), 8);
        let resp = h
            .post("/api/embeddings", &json!({"model": model, "prompt": "a b"}))
            .send()
            .await
            .unwrap();
        let v: Value = resp.json().await.unwrap();
        assert_eq!(v["embedding"].as_array().unwrap().len(), 8, "{model}");
    }
    let resp = h
        .post("/api/chat", &json!({"model": "nope", "messages": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    let e: Value = resp.json().await.unwrap();
    assert!(e["error"].is_string(), "{e}");
    let resp = h
        .client
        .post(h.url("/api/chat"))
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    assert!(resp.json::<Value>().await.unwrap()["error"].is_string());
    let resp = h
        .post("/api/pull", &json!({"model": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    assert!(resp.json::<Value>().await.unwrap()["error"].is_string());
    h.assert_still_serving().await;
}
