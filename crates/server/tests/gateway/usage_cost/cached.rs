//! Cached prompt tokens are billed once, at the cache-read price, for every provider that
//! reports them (and Anthropic's cache writes at the cache-write price), whether the client
//! speaks the provider's dialect (passthrough) or another one (translated).

use llmux_testkit::mock::MockConfig;

use super::{assert_usd, request};
use crate::harness::Harness;

/// Synthetic answers: 1200 prompt tokens of which 1000 read from the cache, 10 output.
const ANSWERS: [(&str, &str); 5] = [
    (
        "openai.json",
        r#"{"id":"c1","object":"chat.completion","created":1,"model":"gpt-4.1-nano","choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1200,"completion_tokens":10,"total_tokens":1210,"prompt_tokens_details":{"cached_tokens":1000}}}"#,
    ),
    // Anthropic's input_tokens excludes the cache reads.
    (
        "anthropic.json",
        r#"{"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[{"type":"text","text":"ok"}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":200,"cache_read_input_tokens":1000,"cache_creation_input_tokens":0,"output_tokens":10}}"#,
    ),
    // ... and the cache writes: 200 uncached + 500 written + 1000 read.
    (
        "anthropic-write.json",
        r#"{"id":"msg_2","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[{"type":"text","text":"ok"}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":200,"cache_read_input_tokens":1000,"cache_creation_input_tokens":500,"output_tokens":10}}"#,
    ),
    // Gemini's promptTokenCount includes cachedContentTokenCount.
    (
        "gemini.json",
        r#"{"candidates":[{"content":{"role":"model","parts":[{"text":"ok"}]},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":1200,"cachedContentTokenCount":1000,"candidatesTokenCount":10,"totalTokenCount":1210},"modelVersion":"gemini-2.5-flash"}"#,
    ),
    (
        "responses.json",
        r#"{"id":"resp_1","object":"response","created_at":1,"status":"completed","model":"gpt-5-mini","output":[{"type":"message","id":"msg_1","status":"completed","role":"assistant","content":[{"type":"output_text","text":"ok","annotations":[]}]}],"usage":{"input_tokens":1200,"input_tokens_details":{"cached_tokens":1000},"output_tokens":10,"output_tokens_details":{"reasoning_tokens":0},"total_tokens":1210}}"#,
    ),
];

/// Every model at the same prices: input 3, cache read 0.3, cache write 3.75, output 15.
fn config(url: &str) -> String {
    let price = "{ input: 3, output: 15, cache_read: 0.3, cache_write: 3.75 }";
    format!(
        r#"
providers:
  oai: {{ type: openai, base_url: "{url}/v1", api_key: k1, models: [gpt-4.1-nano] }}
  claude: {{ type: anthropic, base_url: "{url}/v1", api_key: k3, models: [claude-sonnet-4-5] }}
  gem: {{ type: gemini, base_url: "{url}/v1beta", api_key: k4, models: [gemini-2.5-flash] }}
  resp: {{ type: openai-responses, base_url: "{url}/v1", api_key: k5, models: [gpt-5-mini] }}
pricing:
  gpt-4.1-nano: {price}
  claude-sonnet-4-5: {price}
  gemini-2.5-flash: {price}
  gpt-5-mini: {price}
"#
    )
}

#[tokio::test]
async fn cached_tokens_are_billed_once_for_every_provider() {
    let dir = tempfile::tempdir().unwrap();
    for (name, body) in ANSWERS {
        std::fs::write(dir.path().join(name), body).unwrap();
    }
    let mock = MockConfig {
        fixtures_dir: dir.path().to_owned(),
        ..MockConfig::default()
    };
    let h = Harness::with_mock(mock, config).await;
    // 200 x 3 + 1000 x 0.3 + 10 x 15 = 1050 micro-USD; billing the cached tokens twice
    // (1200 x 3 + 1000 x 0.3 + 150) would give 4050.
    let once = 1050e-6;
    // 200 x 3 + 500 x 3.75 + 1000 x 0.3 + 150 = 2925.
    let with_write = 2925e-6;
    // (model, fixture, clients: own dialect first, then a translated one, prompt, cost)
    let cases = [
        (
            "gpt-4.1-nano",
            "openai.json",
            ["openai", "anthropic"],
            1200,
            once,
        ),
        (
            "claude-sonnet-4-5",
            "anthropic.json",
            ["anthropic", "openai"],
            1200,
            once,
        ),
        (
            "claude-sonnet-4-5",
            "anthropic-write.json",
            ["anthropic", "gemini"],
            1700,
            with_write,
        ),
        (
            "gemini-2.5-flash",
            "gemini.json",
            ["gemini", "openai"],
            1200,
            once,
        ),
        (
            "gpt-5-mini",
            "responses.json",
            ["responses", "ollama"],
            1200,
            once,
        ),
    ];
    let mut n = 0;
    for (model, fixture, clients, prompt, cost) in cases {
        for client in clients {
            let what = format!("{client} -> {model} ({fixture})");
            let (path, body) = request(client, model, false);
            let resp = h
                .post(&path, &body)
                .header("x-mock-fixture", fixture)
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status(), 200, "{what}");
            let header: f64 = resp.headers()["x-llmux-cost-usd"]
                .to_str()
                .unwrap()
                .parse()
                .unwrap();
            let _ = resp.bytes().await.unwrap();
            n += 1;
            let r = h.records.wait(n).await[n - 1].clone();
            let u = r.usage.unwrap();
            assert_eq!((u.prompt_tokens, u.cached_tokens), (prompt, 1000), "{what}");
            assert_eq!(u.cache_write_tokens, prompt - 1200, "{what}");
            assert_usd(r.cost_usd.unwrap(), cost, &what);
            assert_usd(header, cost, &what);
        }
    }
}
