//! OpenAI Responses clients: native to OpenAI providers, translated to the others, with llmux
//! holding the conversation for `previous_response_id`.

use serde_json::{json, Value};

use crate::harness::{fixture, mock_provider, Harness};

/// `mock` (OpenAI-compatible, scripted), `oai` (type openai: native Responses), `claude`.
async fn providers() -> Harness {
    Harness::with_config(|url| {
        format!(
            "{}  oai:\n    type: openai\n    base_url: \"{url}/v1\"\n    api_key: sk-oai-0003\n    models: [gpt-5]\n  claude:\n    type: anthropic\n    base_url: \"{url}/v1\"\n    api_key: sk-ant-0004\n    models: [claude-sonnet-4-5]\n",
            mock_provider(url)
        )
    })
    .await
}

/// `(event type, data)` of every event of a Responses stream.
fn events(body: &[u8]) -> Vec<(String, Value)> {
    let text = String::from_utf8_lossy(body);
    text.split("\n\n")
        .filter(|e| !e.trim().is_empty())
        .map(|e| {
            let name = e
                .lines()
                .find_map(|l| l.strip_prefix("event: "))
                .unwrap_or_default()
                .to_owned();
            let data = e.lines().find_map(|l| l.strip_prefix("data: ")).unwrap();
            (name, serde_json::from_str(data).unwrap())
        })
        .collect()
}

fn output_text(v: &Value) -> String {
    v["output"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["type"] == "message")
        .flat_map(|i| i["content"].as_array().unwrap().clone())
        .filter_map(|c| c["text"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn translated_answer_stream_and_conversation_state() {
    let h = providers().await;
    let first = json!({"model": "mock-model", "instructions": "Be brief.", "input": "hi"});
    let resp = h.post("/v1/responses", &first).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let v: Value = resp.json().await.unwrap();
    assert_eq!(v["object"], "response");
    assert_eq!(v["status"], "completed");
    assert_eq!(output_text(&v), "Hello from llmux-mock.");
    assert!(v["usage"]["input_tokens"].as_u64().is_some());
    let up = h.mock.last_request().unwrap();
    assert_eq!(up.path, "/v1/chat/completions");
    assert_eq!(
        up.json()["messages"],
        json!([{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hi"}])
    );
    let id = v["id"].as_str().unwrap().to_owned();

    // The next turn names the first: llmux sends the whole conversation.
    let second = json!({"model": "mock-model", "input": "again", "previous_response_id": id, "stream": true});
    let resp = h.post("/v1/responses", &second).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let evs = events(&resp.bytes().await.unwrap());
    assert_eq!(evs.first().unwrap().0, "response.created");
    assert_eq!(evs.last().unwrap().0, "response.completed");
    let seq: Vec<u64> = evs
        .iter()
        .map(|(_, d)| d["sequence_number"].as_u64().unwrap())
        .collect();
    assert!(seq.windows(2).all(|w| w[1] == w[0] + 1), "{seq:?}");
    let text: String = evs
        .iter()
        .filter(|(n, _)| n == "response.output_text.delta")
        .map(|(_, d)| d["delta"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(text, "Hello from llmux-mock.");
    let messages = h.mock.last_request().unwrap().json()["messages"].clone();
    assert_eq!(messages.as_array().unwrap().len(), 3, "{messages}");
    assert_eq!(messages[1]["role"], "assistant");
    assert_eq!(messages[2], json!({"role": "user", "content": "again"}));

    // The streamed answer is stored too; GET and DELETE work on llmux's store.
    let second_id = evs.last().unwrap().1["response"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let got: Value = h.get_json(&format!("/v1/responses/{second_id}")).await;
    assert_eq!(got["id"], second_id);
    assert_eq!(output_text(&got), "Hello from llmux-mock.");
    let del = h
        .client
        .delete(h.url(&format!("/v1/responses/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(del.status(), 200);
    assert_eq!(del.json::<Value>().await.unwrap()["deleted"], true);
    let gone = h
        .client
        .get(h.url(&format!("/v1/responses/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), 404);
    let resp = h
        .post(
            "/v1/responses",
            &json!({"model": "mock-model", "input": "x", "previous_response_id": id}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let e: Value = resp.json().await.unwrap();
    assert_eq!(e["error"]["param"], "previous_response_id");
}

#[tokio::test]
async fn openai_providers_serve_responses_natively() {
    let h = providers().await;
    for (stream, file) in [
        (false, "openai-responses/nonstream-text.json"),
        (true, "openai-responses/stream-text.sse"),
    ] {
        let body = json!({"model": "gpt-5", "input": "hi", "stream": stream});
        let resp = h.post("/v1/responses", &body).send().await.unwrap();
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.bytes().await.unwrap(), fixture(file), "{file}");
        let up = h.mock.last_request().unwrap();
        assert_eq!(up.path, "/v1/responses");
        assert_eq!(up.header("authorization"), Some("Bearer sk-oai-0003"));
        assert!(up.json().get("stream_options").is_none());
    }
    let records = h.records.wait(2).await;
    assert!(
        records.iter().all(|r| r.usage.is_some()),
        "usage read from both"
    );
}

#[tokio::test]
async fn responses_clients_reach_anthropic() {
    let h = providers().await;
    let body = json!({"model": "claude-sonnet-4-5", "input": [{"role": "user", "content": "hi"}], "stream": true, "max_output_tokens": 64});
    let resp = h.post("/v1/responses", &body).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let evs = events(&resp.bytes().await.unwrap());
    let text: String = evs
        .iter()
        .filter(|(n, _)| n == "response.output_text.delta")
        .map(|(_, d)| d["delta"].as_str().unwrap().to_owned())
        .collect();
    let want: String = String::from_utf8_lossy(&fixture("anthropic/stream-text.sse"))
        .lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .filter_map(|d| serde_json::from_str::<Value>(d).ok())
        .filter_map(|v| v["delta"]["text"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(text, want);
    assert_eq!(h.mock.last_request().unwrap().json()["max_tokens"], 64);
    let resp = h
        .post(
            "/v1/responses",
            &json!({"model": "mock-model", "input": "hi", "tools": [{"type": "web_search"}]}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let e: Value = resp.json().await.unwrap();
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("web_search"),
        "{e}"
    );
}

#[tokio::test]
async fn responses_only_providers_serve_every_client() {
    let h = Harness::with_config(|url| {
        format!("providers:\n  resp:\n    type: openai-responses\n    base_url: \"{url}/v1\"\n    api_key: sk-resp-0005\n    models: [gpt-5-mini]\n")
    })
    .await;
    let want = output_text(
        &serde_json::from_slice(&fixture("openai-responses/nonstream-text.json")).unwrap(),
    );
    let resp = h
        .post("/v1/chat/completions", &json!({"model": "gpt-5-mini", "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hi"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let v: Value = resp.json().await.unwrap();
    assert_eq!(v["choices"][0]["message"]["content"], want);
    let up = h.mock.last_request().unwrap();
    assert_eq!(up.path, "/v1/responses");
    assert_eq!(up.header("authorization"), Some("Bearer sk-resp-0005"));
    assert_eq!(up.json()["instructions"], "Be brief.");

    let resp = h
        .post("/v1/messages", &json!({"model": "gpt-5-mini", "max_tokens": 50, "stream": true, "messages": [{"role": "user", "content": "hi"}]}))
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
async fn responses_openai_holds_are_read_and_deleted_there() {
    let h = providers().await;
    let id = serde_json::from_slice::<Value>(&fixture("openai-responses/nonstream-text.json"))
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let resp = h
        .client
        .get(h.url(&format!("/v1/responses/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.bytes().await.unwrap(),
        fixture("openai-responses/nonstream-text.json")
    );
    let up = h.mock.last_request().unwrap();
    assert_eq!(up.path, format!("/v1/responses/{id}"));
    assert_eq!(up.header("authorization"), Some("Bearer sk-oai-0003"));
    let resp = h
        .client
        .delete(h.url(&format!("/v1/responses/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.json::<Value>().await.unwrap()["deleted"], true);
    // An id nobody holds: 404 in OpenAI's shape.
    let resp = h
        .client
        .get(h.url("/v1/responses/nothing_here"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    assert!(resp.json::<Value>().await.unwrap()["error"]["message"].is_string());
}
