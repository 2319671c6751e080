//! OpenAI and Anthropic clients reaching a Gemini provider: the mock replays captured Gemini
//! traffic on generateContent / streamGenerateContent.

use serde_json::json;

use crate::harness::{fixture, openai_error, Harness};

async fn gemini() -> Harness {
    Harness::with_config(|url| {
        format!("providers:\n  gem:\n    type: gemini\n    base_url: \"{url}/v1beta\"\n    api_key: gemini-test-key-0001\n    models: [gemini-2.5-flash]\n")
    })
    .await
}

/// Text the captured Gemini stream carried.
fn gemini_stream_text(file: &str) -> String {
    let mut text = String::new();
    for line in String::from_utf8_lossy(&fixture(file)).lines() {
        if let Some(data) = line.strip_prefix("data: ") {
            let v: serde_json::Value = serde_json::from_str(data.trim()).unwrap();
            for part in v["candidates"][0]["content"]["parts"]
                .as_array()
                .into_iter()
                .flatten()
            {
                if part["thought"] != true {
                    text.push_str(part["text"].as_str().unwrap_or_default());
                }
            }
        }
    }
    text
}

#[tokio::test]
async fn openai_client_nonstream_and_stream() {
    let h = gemini().await;
    let body = json!({"model": "gemini-2.5-flash", "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hi"}]});
    let resp = h.post("/v1/chat/completions", &body).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let v: serde_json::Value = resp.json().await.unwrap();
    let src: serde_json::Value =
        serde_json::from_slice(&fixture("gemini/nonstream-text.json")).unwrap();
    let want: String = src["candidates"][0]["content"]["parts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["thought"] != true)
        .filter_map(|p| p["text"].as_str())
        .collect();
    assert_eq!(v["choices"][0]["message"]["content"], want);
    let up = h.mock.last_request().unwrap();
    assert_eq!(up.path, "/v1beta/models/gemini-2.5-flash:generateContent");
    assert_eq!(up.header("x-goog-api-key"), Some("gemini-test-key-0001"));
    assert_eq!(
        up.json()["systemInstruction"]["parts"][0]["text"],
        "Be brief."
    );

    let mut body = body;
    body["stream"] = json!(true);
    let resp = h.post("/v1/chat/completions", &body).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let text: String = String::from_utf8_lossy(&resp.bytes().await.unwrap())
        .lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .filter_map(|d| serde_json::from_str::<serde_json::Value>(d).ok())
        .filter_map(|v| {
            v["choices"][0]["delta"]["content"]
                .as_str()
                .map(str::to_owned)
        })
        .collect();
    assert_eq!(text, gemini_stream_text("gemini/stream-text.sse"));
    assert_eq!(
        h.mock.last_request().unwrap().path,
        "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse"
    );
}

#[tokio::test]
async fn anthropic_client_stream() {
    let h = gemini().await;
    let body = json!({"model": "gemini-2.5-flash", "max_tokens": 64, "stream": true, "messages": [{"role": "user", "content": "hi"}]});
    let resp = h.post("/v1/messages", &body).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let out = String::from_utf8(resp.bytes().await.unwrap().to_vec()).unwrap();
    assert!(
        out.starts_with("event: message_start\n") && out.contains("event: message_stop"),
        "{out}"
    );
    let text: String = out
        .lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .filter_map(|d| serde_json::from_str::<serde_json::Value>(d).ok())
        .filter_map(|v| v["delta"]["text"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(text, gemini_stream_text("gemini/stream-text.sse"));
}

#[tokio::test]
async fn gemini_errors_reach_openai_clients() {
    let h = gemini().await;
    let resp = h
        .post(
            "/v1/chat/completions",
            &json!({"model": "gemini-2.5-flash", "messages": [{"role": "user", "content": "hi"}]}),
        )
        .header("x-mock-fixture", "gemini/error-429-resource-exhausted.json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 429);
    let e = openai_error(&resp.bytes().await.unwrap());
    assert_eq!(e["code"], "upstream_status");
}
