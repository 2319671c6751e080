//! `pricing:` and `models.<name>.price`: parsed, completed, refused when nonsense, and the
//! snapshot's one `Pricing` built from them.

use super::*;
use crate::pricing::{PriceOverride, ProviderRef, Served};
use llmux_protocol::Usage;

const PROVIDERS: &str = r#"
providers:
  vllm:
    type: openai-compatible
    base_url: http://127.0.0.1:8000/v1
    models: [llama-3-70b]
"#;

#[test]
fn overrides_and_virtual_model_prices_parse() {
    let c = load(
        &format!(
            "{PROVIDERS}
pricing:
  gpt-4o: {{input: 2, output: 8}}
  vllm/llama-3-70b: {{input: 0.1, output: 0.2, cache_read: 0.01}}
models:
  fast:
    target: vllm/llama-3-70b
    price: {{output: 1.5}}
"
        ),
        &[],
    )
    .unwrap();
    assert_eq!(
        c.pricing,
        vec![
            (
                "gpt-4o".to_owned(),
                PriceOverride {
                    input: Some(2.0),
                    output: Some(8.0),
                    ..PriceOverride::default()
                }
            ),
            (
                "vllm/llama-3-70b".to_owned(),
                PriceOverride {
                    input: Some(0.1),
                    output: Some(0.2),
                    cache_read: Some(0.01),
                    ..PriceOverride::default()
                }
            ),
        ]
    );
    let fast = c.models.iter().find(|m| m.name == "fast").unwrap();
    assert_eq!(fast.price.and_then(|p| p.output), Some(1.5));

    // The snapshot's Pricing: the local vLLM is billed at its configured price, and the
    // virtual model's price wins for requests made under its name.
    let pricing = build_pricing(&c);
    let local = ProviderRef::new(
        llmux_providers::ProviderKind::OpenAiCompatible,
        None,
        "http://127.0.0.1:8000/v1",
    );
    let usage = Usage {
        prompt_tokens: 1_000_000,
        completion_tokens: 1_000_000,
        cached_tokens: 500_000,
        ..Usage::default()
    };
    let served = |requested| Served {
        provider: local,
        provider_id: "vllm",
        model: "llama-3-70b",
        requested,
    };
    // 500k x 0.1 + 500k x 0.01 + 1M x 0.2
    let direct = pricing
        .cost_of(&served("vllm/llama-3-70b"), &usage, None)
        .unwrap();
    assert!((direct - 0.255).abs() < 1e-12, "{direct}");
    // output 1.5; input 0 and cache_read = input = 0 (no built-in price for this model).
    let virt = pricing.cost_of(&served("fast"), &usage, None).unwrap();
    assert!((virt - 1.5).abs() < 1e-12, "{virt}");
}

#[test]
fn bad_prices_are_refused_with_their_paths() {
    let errors = errors_of(
        &format!(
            "{PROVIDERS}
pricing:
  gpt-4o: {{input: -1, output: 2}}
  nan: {{output: .nan}}
  empty: {{}}
  o3: {{inputt: 1}}
  m: 3
models:
  fast:
    target: vllm/llama-3-70b
    price: {{reasoning: .inf}}
"
        ),
        &[],
    );
    let has = |path: &str, text: &str| {
        errors
            .iter()
            .any(|e| e.contains(path) && e.to_lowercase().contains(text))
    };
    assert!(has("pricing.gpt-4o.input", "0 or more"), "{errors:#?}");
    assert!(!has("pricing.gpt-4o.output", ""), "{errors:#?}");
    // YAML's NaN and infinities are not numbers a price can hold.
    assert!(has("pricing.nan.output", "expected f64"), "{errors:#?}");
    assert!(has("pricing.empty", "at least one"), "{errors:#?}");
    assert!(has("pricing.o3.inputt", "input"), "{errors:#?}");
    assert!(has("pricing.m", ""), "{errors:#?}");
    assert!(
        has("models.fast.price.reasoning", "expected f64"),
        "{errors:#?}"
    );
}
