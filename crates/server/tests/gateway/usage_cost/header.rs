//! `x-llmux-cost-usd`: present with the built-in price, overridden by `pricing:`, `0` for a
//! local provider, absent when the price is unknown; OpenRouter's stated cost wins over any
//! price, in bodies and streams, passthrough and translated.

use llmux_testkit::mock::MockConfig;

use super::{assert_usd, request};
use crate::harness::Harness;

/// Paid providers need a host that is not loopback: `0.0.0.0` reaches the mock on this
/// machine while llmux, which looks only at the address, prices it as a remote provider.
fn remote(url: &str) -> String {
    url.replace("127.0.0.1", "0.0.0.0")
}

fn config(url: &str) -> String {
    let far = remote(url);
    format!(
        r#"
providers:
  paid: {{ type: openai, base_url: "{far}/v1", api_key: k1, models: [gpt-4.1-nano, mystery-model] }}
  paid2: {{ type: openai, base_url: "{far}/v1", api_key: k2, models: [gpt-4.1-nano] }}
  llama: {{ type: ollama, base_url: "{url}", models: [llama3.2] }}
  openrouter: {{ preset: openrouter, base_url: "{far}/v1", api_key: k3, models: [or-model] }}
models:
  cheap-nano:
    target: paid/gpt-4.1-nano
    price: {{ input: 0.5, output: 0.5 }}
pricing:
  paid2/gpt-4.1-nano: {{ input: 1, output: 1 }}
  or-model: {{ input: 100, output: 100 }}
"#
    )
}

/// OpenRouter answers stating their cost (0.0123 and, streamed, 0.0456).
const OPENROUTER: [(&str, &str); 2] = [
    (
        "or.json",
        r#"{"id":"gen-1","object":"chat.completion","created":1,"model":"or-model","choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}],"usage":{"prompt_tokens":100,"completion_tokens":10,"total_tokens":110,"cost":0.0123,"is_byok":false,"cost_details":{"upstream_inference_cost":null}}}"#,
    ),
    (
        "or.sse",
        concat!(
            "data: {\"id\":\"gen-2\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"or-model\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"ok\"},\"finish_reason\":null}]}\n\n",
            "data: {\"id\":\"gen-2\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"or-model\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n",
            "data: {\"id\":\"gen-2\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"or-model\",\"choices\":[],\"usage\":{\"prompt_tokens\":100,\"completion_tokens\":10,\"total_tokens\":110,\"cost\":0.0456}}\n\n",
            "data: [DONE]\n\n"
        ),
    ),
];

async fn start() -> (tempfile::TempDir, Harness) {
    let dir = tempfile::tempdir().unwrap();
    for (name, body) in OPENROUTER {
        std::fs::write(dir.path().join(name), body).unwrap();
    }
    let real = MockConfig::default().fixtures_dir;
    for f in [
        "openai-chat/nonstream-text.json",
        "ollama/chat-nonstream.json",
        "ollama/chat-stream.ndjson",
    ] {
        let to = dir.path().join(f);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(real.join(f), to).unwrap();
    }
    let mock = MockConfig {
        fixtures_dir: dir.path().to_owned(),
        ..MockConfig::default()
    };
    (dir, Harness::with_mock(mock, config).await)
}

#[tokio::test]
async fn header_and_record_cost_per_price_source() {
    let (_dir, h) = start().await;
    let nano = "openai-chat/nonstream-text.json"; // 16 prompt, 363 completion tokens
                                                  // (client, model, fixture, expected cost: None = unknown, so no header)
    let cases: [(&str, &str, &str, Option<f64>); 7] = [
        // Built-in gpt-4.1-nano: 16 x 0.10 + 363 x 0.40 = 146.8 micro-USD.
        ("openai", "paid/gpt-4.1-nano", nano, Some(146.8e-6)),
        ("anthropic", "paid/gpt-4.1-nano", nano, Some(146.8e-6)),
        // `pricing: paid2/gpt-4.1-nano` beats the table: 16 + 363 = 379.
        ("openai", "paid2/gpt-4.1-nano", nano, Some(379e-6)),
        // The virtual model's price beats both: (16 + 363) x 0.5 = 189.5.
        ("openai", "cheap-nano", nano, Some(189.5e-6)),
        // A model the table does not know, at a paid provider: unknown, never a guess.
        ("openai", "paid/mystery-model", nano, None),
        // Ollama with no configured price: local, free.
        (
            "ollama",
            "llama3.2",
            "ollama/chat-nonstream.json",
            Some(0.0),
        ),
        // OpenRouter's stated cost beats the configured 100 / 100.
        ("openai", "or-model", "or.json", Some(0.0123)),
    ];
    for (n, (client, model, fixture, cost)) in cases.into_iter().enumerate() {
        let what = format!("{client} -> {model}");
        let (path, body) = request(client, model, false);
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
        let r = h.records.wait(n + 1).await[n].clone();
        match cost {
            None => {
                assert_eq!(header, None, "{what}");
                assert_eq!(r.cost_usd, None, "{what}");
            }
            Some(0.0) => {
                assert_eq!(header.as_deref(), Some("0"), "{what}");
                assert_eq!(r.cost_usd, Some(0.0), "{what}");
            }
            Some(c) => {
                assert_usd(header.unwrap().parse().unwrap(), c, &what);
                assert_usd(r.cost_usd.unwrap(), c, &what);
            }
        }
    }
}

#[tokio::test]
async fn openrouter_stated_cost_wins_in_streams_passthrough_and_translated() {
    let (_dir, h) = start().await;
    for (n, client) in ["openai", "anthropic", "gemini"].into_iter().enumerate() {
        let (path, body) = request(client, "or-model", true);
        let resp = h
            .post(&path, &body)
            .header("x-mock-fixture", "or.sse")
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "{client}");
        assert!(resp.headers().get("x-llmux-cost-usd").is_none(), "{client}");
        let _ = resp.bytes().await.unwrap();
        let r = h.records.wait(n + 1).await[n].clone();
        assert_eq!(r.usage.unwrap().prompt_tokens, 100, "{client}");
        assert_eq!(r.cost_usd, Some(0.0456), "{client}");
    }
}

#[tokio::test]
async fn a_reload_picks_up_new_prices() {
    let (_dir, h) = start().await;
    let cost = |h: &Harness| {
        let (path, body) = request("openai", "paid2/gpt-4.1-nano", false);
        let req = h
            .post(&path, &body)
            .header("x-mock-fixture", "openai-chat/nonstream-text.json");
        async move {
            let resp = req.send().await.unwrap();
            let v = resp.headers()["x-llmux-cost-usd"]
                .to_str()
                .unwrap()
                .to_owned();
            let _ = resp.bytes().await.unwrap();
            v
        }
    };
    // 16 + 363 tokens at 1 / 1.
    assert_eq!(cost(&h).await, "0.000379");
    let text = config(&h.mock.url()).replace(
        "paid2/gpt-4.1-nano: { input: 1, output: 1 }",
        "paid2/gpt-4.1-nano: { input: 2, output: 2 }",
    );
    let config = llmux_engine::config::Config::load(
        Some(("test.yaml", &text)),
        &llmux_engine::config::Env::default(),
    )
    .unwrap();
    h.gateway.reload(config).unwrap();
    assert_eq!(cost(&h).await, "0.000758");
}

#[tokio::test]
async fn streams_that_are_not_sse_are_not_held_back_for_the_cost() {
    let (_dir, h) = start().await;
    // Ollama's NDJSON stream passes through; 5 lines, 300 ms apart.
    let (path, body) = request("ollama", "llama3.2", true);
    let started = std::time::Instant::now();
    let mut resp = h
        .post(&path, &body)
        .header("x-mock-chunk-delay-ms", "300")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.headers().get("x-llmux-cost-usd").is_none());
    let first = resp.chunk().await.unwrap().unwrap();
    assert!(!first.is_empty());
    let first_at = started.elapsed();
    while resp.chunk().await.unwrap().is_some() {}
    let total = started.elapsed();
    assert!(
        first_at + std::time::Duration::from_millis(600) < total,
        "the first line came at {first_at:?}, the end at {total:?}: the stream was buffered"
    );
}
