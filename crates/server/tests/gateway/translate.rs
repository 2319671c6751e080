//! OpenAI clients reaching an Anthropic provider: the mock replays captured Anthropic traffic.

use serde_json::json;

use crate::harness::{fixture, openai_error, Harness};

async fn anthropic() -> Harness {
    Harness::with_config(|url| {
        format!("providers:\n  claude:\n    type: anthropic\n    base_url: \"{url}/v1\"\n    api_key: sk-ant-test-0001\n    models: [claude-sonnet-4-5]\n")
    })
    .await
}

fn chat(stream: bool) -> serde_json::Value {
    json!({"model": "claude-sonnet-4-5", "stream": stream, "max_tokens": 100,
           "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hi"}]})
}

/// Concatenated `choices[0].delta.content` and the last finish_reason of an OpenAI SSE body.
fn openai_stream_text(body: &[u8]) -> (String, Option<String>, usize) {
    let (mut text, mut finish, mut chunks) = (String::new(), None, 0);
    for line in String::from_utf8_lossy(body).lines() {
        let Some(data) = line.strip_prefix("data: ") else {
            continue;
        };
        if data == "[DONE]" {
            continue;
        }
        let v: serde_json::Value = serde_json::from_str(data).unwrap();
        assert_eq!(v["object"], "chat.completion.chunk", "{v}");
        chunks += 1;
        if let Some(t) = v["choices"][0]["delta"]["content"].as_str() {
            text.push_str(t);
        }
        if let Some(f) = v["choices"][0]["finish_reason"].as_str() {
            finish = Some(f.to_owned());
        }
    }
    (text, finish, chunks)
}

#[tokio::test]
async fn nonstream_answer_in_openai_shape() {
    let h = anthropic().await;
    let resp = h
        .post("/v1/chat/completions", &chat(false))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.headers()["x-llmux-upstream"],
        "claude/claude-sonnet-4-5"
    );
    let v: serde_json::Value = resp.json().await.unwrap();
    let src: serde_json::Value =
        serde_json::from_slice(&fixture("anthropic/nonstream-text.json")).unwrap();
    assert_eq!(v["object"], "chat.completion");
    assert_eq!(
        v["choices"][0]["message"]["content"],
        src["content"][0]["text"]
    );
    assert_eq!(v["choices"][0]["finish_reason"], "stop");
    let u = &src["usage"];
    let prompt = u["input_tokens"].as_u64().unwrap()
        + u["cache_read_input_tokens"].as_u64().unwrap_or(0)
        + u["cache_creation_input_tokens"].as_u64().unwrap_or(0);
    assert_eq!(
        v["usage"]["prompt_tokens"], prompt,
        "cache reads/writes counted once, in prompt_tokens"
    );
    assert_eq!(v["usage"]["completion_tokens"], u["output_tokens"]);

    // The provider received an Anthropic request with the provider's own key.
    let up = h.mock.last_request().unwrap();
    assert_eq!(up.path, "/v1/messages");
    assert_eq!(up.header("x-api-key"), Some("sk-ant-test-0001"));
    assert_eq!(up.header("anthropic-version"), Some("2023-06-01"));
    assert_eq!(up.header("authorization"), None);
    let body = up.json();
    let system = &body["system"];
    assert!(
        system == "Be brief." || system[0]["text"] == "Be brief.",
        "{system}"
    );
    assert_eq!(body["max_tokens"], 100);
    assert_eq!(body["messages"][0]["role"], "user");
    let records = h.records.wait(1).await;
    assert_eq!(
        records[0].usage.unwrap().completion_tokens,
        u["output_tokens"].as_u64().unwrap()
    );
}

#[tokio::test]
async fn stream_in_openai_shape() {
    let h = anthropic().await;
    let resp = h
        .post("/v1/chat/completions", &chat(true))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/event-stream"));
    let body = resp.bytes().await.unwrap();
    assert!(body.ends_with(b"data: [DONE]\n\n"));
    let (text, finish, _) = openai_stream_text(&body);
    // The text the real Anthropic stream carried.
    let mut want = String::new();
    for line in String::from_utf8_lossy(&fixture("anthropic/stream-text.sse")).lines() {
        if let Some(data) = line.strip_prefix("data: ") {
            let v: serde_json::Value = serde_json::from_str(data.trim()).unwrap();
            if let Some(t) = v["delta"]["text"].as_str() {
                want.push_str(t);
            }
        }
    }
    assert_eq!(text, want);
    assert_eq!(finish.as_deref(), Some("stop"));
    let records = h.records.wait(1).await;
    assert!(
        records[0].usage.is_some_and(|u| u.completion_tokens > 0),
        "{records:?}"
    );
}

#[tokio::test]
async fn streamed_tool_calls_in_openai_shape() {
    let h = anthropic().await;
    let resp = h
        .post("/v1/chat/completions", &chat(true))
        .header("x-mock-fixture", "anthropic/stream-tool-use.sse")
        .send()
        .await
        .unwrap();
    let body = resp.bytes().await.unwrap();
    let (mut name, mut id, mut args) = (String::new(), String::new(), String::new());
    let mut finish = None;
    for line in String::from_utf8_lossy(&body).lines() {
        let Some(data) = line.strip_prefix("data: ") else {
            continue;
        };
        if data == "[DONE]" {
            continue;
        }
        let v: serde_json::Value = serde_json::from_str(data).unwrap();
        if let Some(call) = v["choices"][0]["delta"]["tool_calls"].get(0) {
            if let Some(n) = call["function"]["name"].as_str() {
                name = n.to_owned();
            }
            if let Some(i) = call["id"].as_str() {
                id = i.to_owned();
            }
            args.push_str(call["function"]["arguments"].as_str().unwrap_or_default());
        }
        if let Some(f) = v["choices"][0]["finish_reason"].as_str() {
            finish = Some(f.to_owned());
        }
    }
    let src = String::from_utf8_lossy(&fixture("anthropic/stream-tool-use.sse")).to_string();
    assert!(
        !name.is_empty() && src.contains(&format!("\"name\":\"{name}\"")),
        "{name}"
    );
    assert!(src.contains(&id), "id preserved: {id}");
    serde_json::from_str::<serde_json::Value>(&args).expect("assembled arguments are JSON");
    assert_eq!(finish.as_deref(), Some("tool_calls"));
}

#[tokio::test]
async fn provider_errors_in_openai_shape() {
    let h = anthropic().await;
    let resp = h
        .post("/v1/chat/completions", &chat(false))
        .header("x-mock-fixture", "anthropic/error-400-invalid-request.json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let e = openai_error(&resp.bytes().await.unwrap());
    let src: serde_json::Value =
        serde_json::from_slice(&fixture("anthropic/error-400-invalid-request.json")).unwrap();
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains(src["error"]["message"].as_str().unwrap()),
        "{e}"
    );

    let resp = h
        .post("/v1/chat/completions", &chat(true))
        .header("x-mock-fault", "429:9")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 429, "a rate limit stays a rate limit");
    assert_eq!(resp.headers()["retry-after"], "9");

    let resp = h
        .post("/v1/chat/completions", &chat(false))
        .header("x-mock-status", "401")
        .header("x-mock-fault", "status:401")
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.status(),
        502,
        "a rejected provider key is not the client's fault"
    );
    let e = openai_error(&resp.bytes().await.unwrap());
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("rejected llmux's API key"),
        "{e}"
    );
}

#[tokio::test]
async fn what_anthropic_cannot_take_is_refused_by_name() {
    let h = anthropic().await;
    let body = json!({"model": "claude-sonnet-4-5", "messages": [{"role": "user", "content": [
        {"type": "text", "text": "look"},
        {"type": "image_url", "image_url": {"url": "gs://bucket/cat.png"}}]}]});
    let resp = h.post("/v1/chat/completions", &body).send().await.unwrap();
    assert_eq!(resp.status(), 400);
    let e = openai_error(&resp.bytes().await.unwrap());
    assert_eq!(e["code"], "untranslatable");
    assert!(
        e["message"].as_str().unwrap().contains("provider `claude`"),
        "{e}"
    );
    assert_eq!(h.mock.stats().requests, 0);
}

#[tokio::test]
async fn structured_output_reaches_anthropic_as_a_forced_tool() {
    let h = anthropic().await;
    let schema =
        json!({"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]});
    let mut body = chat(false);
    body["response_format"] =
        json!({"type": "json_schema", "json_schema": {"name": "place", "schema": schema}});
    let resp = h.post("/v1/chat/completions", &body).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let up = h.mock.last_request().unwrap().json();
    let tools = up["tools"].as_array().unwrap();
    assert_eq!(tools.len(), 1);
    assert_eq!(tools[0]["name"], "json_response");
    assert_eq!(tools[0]["input_schema"]["properties"], schema["properties"]);
    assert_eq!(up["tool_choice"]["type"], "tool");
    assert_eq!(up["tool_choice"]["name"], "json_response");

    // With tools of its own the client's request cannot be forced: refused by name.
    body["tools"] =
        json!([{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}]);
    let resp = h.post("/v1/chat/completions", &body).send().await.unwrap();
    assert_eq!(resp.status(), 400);
    let e = openai_error(&resp.bytes().await.unwrap());
    assert!(
        e["message"].as_str().unwrap().contains("response_format"),
        "{e}"
    );
}

#[tokio::test]
async fn fields_a_translation_leaves_behind_are_named_in_a_header() {
    let h = anthropic().await;
    let mut body = chat(false);
    body["logprobs"] = json!(true);
    body["service_tier"] = json!("flex");
    let resp = h.post("/v1/chat/completions", &body).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.headers()["x-llmux-dropped-params"],
        "logprobs,service_tier"
    );
    let resp = h
        .post("/v1/chat/completions", &chat(false))
        .send()
        .await
        .unwrap();
    assert!(resp.headers().get("x-llmux-dropped-params").is_none());
}
