//! Usage and cost per request, for every client API x provider protocol, stream and
//! non-stream, replaying the captured provider fixtures: the stored record's tokens equal the
//! fixture's numbers, and its cost (and the `x-llmux-cost-usd` header of non-streamed
//! answers) equals price x tokens, computed by hand in the table below.

mod cached;
mod header;

use serde_json::{json, Value};

use crate::harness::Harness;

/// One provider per protocol at the mock, each model priced in `pricing:` (the mock is on
/// loopback, so without a price every provider would be local and cost 0).
fn config(url: &str) -> String {
    format!(
        r#"
providers:
  oai: {{ type: openai, base_url: "{url}/v1", api_key: k1, models: [gpt-4.1-nano] }}
  az:
    type: azure
    base_url: "{url}"
    api_key: k2
    api_version: 2024-10-21
    deployments: {{ gpt-4o: prod-4o }}
    models: [gpt-4o]
  claude: {{ type: anthropic, base_url: "{url}/v1", api_key: k3, models: [claude-sonnet-4-5] }}
  gem: {{ type: gemini, base_url: "{url}/v1beta", api_key: k4, models: [gemini-2.5-flash] }}
  llama: {{ type: ollama, base_url: "{url}", models: [llama3.2] }}
  resp: {{ type: openai-responses, base_url: "{url}/v1", api_key: k5, models: [gpt-5-mini] }}
pricing:
  gpt-4.1-nano: {{ input: 1, output: 2, cache_read: 0.5, reasoning: 4 }}
  az/gpt-4o: {{ input: 3, output: 5, cache_read: 1.5 }}
  claude-sonnet-4-5: {{ input: 3, output: 15, cache_read: 0.3, cache_write: 3.75 }}
  gem/gemini-2.5-flash: {{ input: 0.3, output: 2.5, cache_read: 0.03, reasoning: 5 }}
  llama3.2: {{ input: 0.1, output: 0.2 }}
  gpt-5-mini: {{ input: 2.5, output: 10 }}
"#
    )
}

/// Tokens the record must hold: prompt (cached included), completion (reasoning included),
/// cached, reasoning.
type Tokens = (u64, u64, u64, u64);

/// A provider protocol: its model, and per fixture (non-stream, stream) the file, the tokens
/// in it, and the cost in USD worked out by hand from the prices in [`config`].
struct Provider {
    model: &'static str,
    nonstream: (&'static str, Tokens, f64),
    stream: (&'static str, Tokens, f64),
    /// What a Responses client gets instead, from a provider that speaks the Responses API
    /// itself (OpenAI): (non-stream, stream).
    responses: Option<[(&'static str, Tokens, f64); 2]>,
}

/// Responses captures at gpt-4.1-nano's prices: 14 x 1 + 8 x 2 = 30; 278 x 1 + 9 x 2 = 296.
const NANO_RESPONSES: [(&str, Tokens, f64); 2] = [
    ("openai-responses/nonstream-text.json", (14, 8, 0, 0), 30e-6),
    ("openai-responses/stream-text.sse", (278, 9, 0, 0), 296e-6),
];

const PROVIDERS: [Provider; 6] = [
    // usage 16 / 363: 16 x 1 + 363 x 2 = 742 micro-USD. Stream: 12 / 100 of which 100
    // reasoning: 12 x 1 + 100 x 4 = 412.
    Provider {
        model: "gpt-4.1-nano",
        nonstream: ("openai-chat/nonstream-text.json", (16, 363, 0, 0), 742e-6),
        stream: (
            "openai-chat/stream-finish-length-usage.sse",
            (12, 100, 0, 100),
            412e-6,
        ),
        responses: Some(NANO_RESPONSES),
    },
    // The same OpenAI captures through an Azure deployment: 16 x 3 + 363 x 5 = 1863;
    // 12 x 3 + 100 x 5 (reasoning at the output rate) = 536.
    Provider {
        model: "gpt-4o",
        nonstream: ("openai-chat/nonstream-text.json", (16, 363, 0, 0), 1863e-6),
        stream: (
            "openai-chat/stream-finish-length-usage.sse",
            (12, 100, 0, 100),
            536e-6,
        ),
        responses: None,
    },
    // input_tokens 12, output 29: 12 x 3 + 29 x 15 = 471. Stream: input 20 (message_start),
    // output 5 (message_delta): 60 + 75 = 135.
    Provider {
        model: "claude-sonnet-4-5",
        nonstream: ("anthropic/nonstream-text.json", (12, 29, 0, 0), 471e-6),
        stream: ("anthropic/stream-text.sse", (20, 5, 0, 0), 135e-6),
        responses: None,
    },
    // promptTokenCount 9, candidates 9 + thoughts 34: 9 x 0.3 + 9 x 2.5 + 34 x 5 = 195.2.
    // Stream: the last usageMetadata, 13 / 8: 3.9 + 20 = 23.9.
    Provider {
        model: "gemini-2.5-flash",
        nonstream: ("gemini/nonstream-text.json", (9, 43, 0, 34), 195.2e-6),
        stream: ("gemini/stream-text.sse", (13, 8, 0, 0), 23.9e-6),
        responses: None,
    },
    // prompt_eval_count 38, eval_count 45: 3.8 + 9 = 12.8. Stream: 10 / 239: 1 + 47.8.
    Provider {
        model: "llama3.2",
        nonstream: ("ollama/chat-nonstream.json", (38, 45, 0, 0), 12.8e-6),
        stream: ("ollama/chat-stream.ndjson", (10, 239, 0, 0), 48.8e-6),
        responses: None,
    },
    // input 14 / output 8: 35 + 80 = 115. Stream: 278 / 9: 695 + 90 = 785.
    Provider {
        model: "gpt-5-mini",
        nonstream: (
            "openai-responses/nonstream-text.json",
            (14, 8, 0, 0),
            115e-6,
        ),
        stream: ("openai-responses/stream-text.sse", (278, 9, 0, 0), 785e-6),
        responses: None,
    },
];

/// The client APIs, by name.
const CLIENTS: [&str; 5] = ["openai", "responses", "anthropic", "gemini", "ollama"];

/// The request a client API sends for `model`: path and body.
pub(crate) fn request(client: &str, model: &str, stream: bool) -> (String, Value) {
    let messages = json!([{"role": "user", "content": "hi"}]);
    match client {
        "openai" => (
            "/v1/chat/completions".into(),
            json!({"model": model, "stream": stream, "messages": messages}),
        ),
        "responses" => (
            "/v1/responses".into(),
            json!({"model": model, "stream": stream, "input": "hi", "store": false}),
        ),
        "anthropic" => (
            "/v1/messages".into(),
            json!({"model": model, "stream": stream, "max_tokens": 100, "messages": messages}),
        ),
        "gemini" => {
            let method = if stream {
                "streamGenerateContent?alt=sse"
            } else {
                "generateContent"
            };
            (
                format!("/v1beta/models/{model}:{method}"),
                json!({"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}),
            )
        }
        "ollama" => (
            "/api/chat".into(),
            json!({"model": model, "stream": stream, "messages": messages}),
        ),
        other => panic!("no client {other}"),
    }
}

#[track_caller]
pub(crate) fn assert_usd(got: f64, want: f64, what: &str) {
    assert!(
        (got - want).abs() <= want.abs() * 1e-9 + 1e-15,
        "{what}: got {got}, want {want}"
    );
}

#[tokio::test]
async fn every_client_api_and_provider_protocol_records_the_fixture_tokens_and_their_cost() {
    let h = Harness::with_config(config).await;
    let mut n = 0;
    for client in CLIENTS {
        for p in &PROVIDERS {
            for stream in [false, true] {
                let (fixture, tokens, cost) = match (client, p.responses) {
                    ("responses", Some(native)) => native[usize::from(stream)],
                    _ if stream => p.stream,
                    _ => p.nonstream,
                };
                let what = format!("{client} -> {} ({fixture})", p.model);
                let (path, body) = request(client, p.model, stream);
                let resp = h
                    .post(&path, &body)
                    .header("x-mock-fixture", fixture)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(resp.status(), 200, "{what}");
                let header = resp
                    .headers()
                    .get("x-llmux-cost-usd")
                    .map(|v| v.to_str().unwrap().to_owned());
                let _ = resp.bytes().await.unwrap();
                n += 1;
                let records = h.records.wait(n).await;
                assert_eq!(records.len(), n, "{what}: one record per request");
                let r = &records[n - 1];
                let u = r.usage.unwrap_or_else(|| panic!("{what}: no usage"));
                assert_eq!(
                    (
                        u.prompt_tokens,
                        u.completion_tokens,
                        u.cached_tokens,
                        u.reasoning_tokens
                    ),
                    tokens,
                    "{what}"
                );
                assert_eq!(r.stream, stream, "{what}");
                assert_usd(r.cost_usd.unwrap(), cost, &what);
                match header {
                    Some(h) if !stream => assert_usd(h.parse().unwrap(), cost, &what),
                    None if stream => {}
                    other => panic!("{what}: header {other:?}"),
                }
            }
        }
    }
}
