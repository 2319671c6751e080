//! Pricing tests: per dialect, the provider's wire usage goes through llmux's real decoder and
//! the dollars are checked against hand-computed sums (prices are USD per million tokens).

use llmux_protocol::dialects::{anthropic, gemini, ollama, openai_responses};
use llmux_protocol::{openai, Usage};
use llmux_providers::ProviderKind;
use proptest::prelude::*;

use super::*;

const OPENAI: ProviderRef<'static> = ProviderRef {
    kind: ProviderKind::OpenAi,
    preset: None,
    local: false,
};
const ANTHROPIC: ProviderRef<'static> = ProviderRef {
    kind: ProviderKind::Anthropic,
    preset: None,
    local: false,
};
const GEMINI: ProviderRef<'static> = ProviderRef {
    kind: ProviderKind::Gemini,
    preset: None,
    local: false,
};

fn cost(provider: ProviderRef<'_>, model: &str, usage: &Usage) -> Option<f64> {
    Pricing::builtin().cost(provider, model, usage, None)
}

#[track_caller]
fn assert_usd(got: Option<f64>, want: f64) {
    let got = got.unwrap_or(f64::NAN);
    assert!((got - want).abs() < 1e-12, "got {got}, want {want}");
}

#[test]
fn openai_chat_cached_tokens_are_billed_once_at_the_cache_rate() {
    // prompt_tokens (2000) includes the 1500 cached ones.
    let wire = br#"{"usage":{"prompt_tokens":2000,"completion_tokens":300,
        "prompt_tokens_details":{"cached_tokens":1500},
        "completion_tokens_details":{"reasoning_tokens":0}}}"#;
    let usage = openai::tail_usage(wire).unwrap_or_default();
    // gpt-4o: 500 x 2.50 + 1500 x 1.25 + 300 x 10 = 1250 + 1875 + 3000 = 6125 micro-USD.
    assert_usd(cost(OPENAI, "gpt-4o-2024-08-06", &usage), 0.006125);
}

#[test]
fn openai_chat_reasoning_is_inside_completion_tokens() {
    // Captured: 27 prompt, 267 completion of which 192 reasoning.
    let wire = include_bytes!(
        "../../../../tests/fixtures/providers/openai-chat/nonstream-reasoning-usage.json"
    );
    let usage = openai::tail_usage(wire).unwrap_or_default();
    let billed = BilledTokens::from_usage(&usage);
    assert_eq!((billed.output, billed.reasoning), (75, 192));
    // Priced as o4-mini: 27 x 1.10 + 75 x 4.40 + 192 x 4.40 = 29.7 + 330 + 844.8.
    assert_usd(cost(OPENAI, "o4-mini", &usage), 0.0012045);
}

#[test]
fn openai_responses_cached_and_reasoning_tokens_are_billed_once() {
    let wire = br#"{"usage":{"input_tokens":3000,"input_tokens_details":{"cached_tokens":2048},
        "output_tokens":500,"output_tokens_details":{"reasoning_tokens":320}}}"#;
    let usage = openai_responses::tail_usage(wire).unwrap_or_default();
    // gpt-5.5: 952 x 5 + 2048 x 0.50 + 180 x 30 + 320 x 30 = 4760 + 1024 + 5400 + 9600.
    assert_usd(cost(OPENAI, "gpt-5.5", &usage), 0.020784);
}

#[test]
fn anthropic_cache_reads_and_writes_are_billed_once_at_their_rates() {
    // input_tokens (50) excludes both cache counts.
    let wire = br#"{"usage":{"input_tokens":50,"cache_creation_input_tokens":1000,
        "cache_read_input_tokens":4000,"output_tokens":200}}"#;
    let usage = anthropic::tail_usage(wire).unwrap_or_default();
    assert_eq!(usage.prompt_tokens, 5050);
    // claude-opus-5-5: 50 x 4 + 1000 x 5 + 4000 x 0.20 + 200 x 20 = 200 + 5000 + 800 + 4000.
    assert_usd(cost(ANTHROPIC, "claude-opus-5-5", &usage), 0.01);
}

#[test]
fn anthropic_long_prompt_band_counts_cache_reads_and_applies_to_every_token() {
    let wire = br#"{"usage":{"input_tokens":60000,"cache_read_input_tokens":50000,
        "output_tokens":1000}}"#;
    let usage = anthropic::tail_usage(wire).unwrap_or_default();
    // 110,000 > 100,000: haiku-5-5 high band, 60000 x 0.50 + 50000 x 0.05 + 1000 x 2.50.
    assert_usd(cost(ANTHROPIC, "claude-haiku-5-5", &usage), 0.035);
}

#[test]
fn gemini_thoughts_are_added_once_and_billed_as_output() {
    // Captured: promptTokenCount 9, candidatesTokenCount 9, thoughtsTokenCount 34 (apart).
    let wire = include_bytes!("../../../../tests/fixtures/providers/gemini/nonstream-text.json");
    let usage = gemini::tail_usage(wire).unwrap_or_default();
    assert_eq!((usage.completion_tokens, usage.reasoning_tokens), (43, 34));
    // gemini-2.5-flash: 9 x 0.30 + 9 x 2.50 + 34 x 2.50 = 2.7 + 22.5 + 85.
    assert_usd(cost(GEMINI, "gemini-2.5-flash", &usage), 0.0001102);
}

#[test]
fn gemini_cached_content_is_inside_the_prompt_count() {
    let wire = br#"{"usageMetadata":{"promptTokenCount":10000,"cachedContentTokenCount":8000,
        "candidatesTokenCount":100,"thoughtsTokenCount":400,"totalTokenCount":10500}}"#;
    let usage = gemini::tail_usage(wire).unwrap_or_default();
    // gemini-2.5-pro: 2000 x 1.25 + 8000 x 0.125 + 100 x 10 + 400 x 10.
    assert_usd(cost(GEMINI, "gemini-2.5-pro", &usage), 0.0085);
    // Over 200K of prompt the whole request takes the long band: 250000 x 2.50 + 1000 x 15.
    let long = Usage {
        prompt_tokens: 250_000,
        completion_tokens: 1000,
        ..Usage::default()
    };
    assert_usd(cost(GEMINI, "gemini-2.5-pro", &long), 0.64);
}

#[test]
fn local_providers_cost_nothing() {
    let wire = include_bytes!("../../../../tests/fixtures/providers/ollama/chat-nonstream.json");
    let usage = ollama::tail_usage(wire).unwrap_or_default();
    assert_eq!((usage.prompt_tokens, usage.completion_tokens), (38, 45));
    let remote_ollama = ProviderRef::new(ProviderKind::Ollama, None, "https://gpu.example");
    assert_eq!(cost(remote_ollama, "llama3.2", &usage), Some(0.0));
    for url in [
        "http://localhost:8000/v1",
        "http://127.0.0.1:1234/v1",
        "http://[::1]:8080/v1",
        "http://user@LOCALHOST/v1",
    ] {
        let vllm = ProviderRef::new(ProviderKind::OpenAiCompatible, None, url);
        assert_eq!(cost(vllm, "qwen3-32b", &usage), Some(0.0), "{url}");
    }
    let remote = ProviderRef::new(ProviderKind::OpenAiCompatible, None, "https://vllm.example");
    assert_eq!(cost(remote, "qwen3-32b", &usage), None);
}

#[test]
fn reported_cost_wins_when_sane() {
    let openrouter = ProviderRef::new(
        ProviderKind::OpenAiCompatible,
        Some("openrouter"),
        "https://openrouter.ai/api/v1",
    );
    let usage = Usage {
        prompt_tokens: 100,
        completion_tokens: 10,
        ..Usage::default()
    };
    let pricing = Pricing::builtin();
    assert_eq!(
        pricing.cost(openrouter, "anthropic/claude-opus-5", &usage, Some(0.00042)),
        Some(0.00042)
    );
    // Even over a table price.
    assert_eq!(pricing.cost(OPENAI, "gpt-4o", &usage, Some(0.5)), Some(0.5));
    for bad in [f64::NAN, -1.0, f64::INFINITY] {
        assert_eq!(
            pricing.cost(openrouter, "anthropic/claude-opus-5", &usage, Some(bad)),
            None
        );
    }
}

#[test]
fn unknown_prices_are_none_never_a_guess() {
    let usage = Usage {
        prompt_tokens: 300_000,
        completion_tokens: 10,
        ..Usage::default()
    };
    // Unknown model, provider without a table, snapshot priced apart, fine-tune.
    assert_eq!(cost(OPENAI, "gpt-9", &usage), None);
    let no_key = ProviderRef::new(ProviderKind::Azure, None, "https://x.openai.azure.com");
    assert_eq!(cost(no_key, "gpt-4o", &usage), None);
    assert_eq!(cost(OPENAI, "gpt-4o-2024-05-13", &usage), None);
    assert_eq!(cost(OPENAI, "ft:gpt-4o:acme::abc123", &usage), None);
    // Same model id at another provider is not priced with OpenAI's table.
    let groq = ProviderRef::new(ProviderKind::OpenAiCompatible, Some("groq"), "https://g");
    assert_eq!(cost(groq, "gpt-4o", &usage), None);
    // A long-prompt band whose rates are unknown.
    assert_eq!(cost(OPENAI, "gpt-5.4", &usage), None);
    let short = Usage {
        prompt_tokens: 1000,
        ..usage
    };
    // 1000 x 2.50 + 10 x 15.
    assert_usd(cost(OPENAI, "gpt-5.4", &short), 0.00265);
}

#[test]
fn snapshot_names_normalise_to_their_alias() {
    let cases = [
        (OPENAI, "gpt-4o-2024-08-06", "gpt-4o"),
        (OPENAI, "gpt-4o-mini-2024-07-18", "gpt-4o-mini"),
        (OPENAI, "GPT-4.1-2025-04-14", "gpt-4.1"),
        (OPENAI, " gpt-4.1-nano ", "gpt-4.1-nano"),
        (ANTHROPIC, "claude-haiku-4-5-20251001", "claude-haiku-4-5"),
        (ANTHROPIC, "claude-sonnet-5-latest", "claude-sonnet-5"),
        (ANTHROPIC, "claude-opus-5-5-20260922", "claude-opus-5-5"),
        (GEMINI, "models/gemini-2.5-flash", "gemini-2.5-flash"),
    ];
    let pricing = Pricing::builtin();
    for (provider, given, alias) in cases {
        let want = pricing.price(provider, alias);
        assert!(want.is_some(), "{alias} missing from the table");
        assert_eq!(pricing.price(provider, given), want, "{given}");
    }
    // Ids that merely end in digits are left alone.
    assert_eq!(
        model_candidates("gpt-4o-mini-2024")[..],
        ["gpt-4o-mini-2024"]
    );
    assert_eq!(
        model_candidates("gemini-2.5-flash-001")[..],
        ["gemini-2.5-flash-001"]
    );
}

#[test]
fn overrides_win_over_the_table_and_over_local() {
    let pricing = Pricing::builtin().with_overrides([
        ("gpt-4o".to_owned(), Price::new(1.0, 0.5, 1.0, 2.0)),
        ("My-Model".to_owned(), Price::new(3.0, 3.0, 3.0, 6.0)),
    ]);
    let usage = Usage {
        prompt_tokens: 1000,
        completion_tokens: 100,
        cached_tokens: 400,
        ..Usage::default()
    };
    // 600 x 1 + 400 x 0.5 + 100 x 2; the dated id finds the override too.
    assert_usd(
        pricing.cost(OPENAI, "gpt-4o-2024-08-06", &usage, None),
        0.001,
    );
    let hosted = ProviderRef::new(ProviderKind::OpenAiCompatible, None, "https://h.example");
    // 1000 x 3 + 100 x 6 (cache read at its own override rate, 3).
    assert_usd(pricing.cost(hosted, "my-model", &usage, None), 0.0036);
    // An operator pricing their own hardware: the override applies to a local provider too.
    let local = ProviderRef::new(ProviderKind::OpenAiCompatible, None, "http://localhost:1");
    assert_usd(pricing.cost(local, "my-model", &usage, None), 0.0036);
    assert_eq!(pricing.cost(local, "other-model", &usage, None), Some(0.0));
}

#[test]
fn every_table_row_is_reachable_and_sane() {
    for row in table::ROWS {
        // Stored in normalised form, so a lookup by its own id finds it first.
        assert_eq!(
            model_candidates(row.model)[..],
            [row.model],
            "{}",
            row.model
        );
        assert!(
            llmux_providers::presets::find(row.provider).is_some(),
            "{} is not a preset",
            row.provider
        );
        let bands = [Some(row.price.base), row.price.long.and_then(|l| l.price)];
        for price in bands.into_iter().flatten() {
            let all = [
                price.input,
                price.output,
                price.cache_read,
                price.cache_write,
                price.reasoning,
            ];
            assert!(
                all.iter().all(|v| v.is_finite() && *v >= 0.0),
                "{}",
                row.model
            );
            assert!(price.cache_read <= price.input, "{}", row.model);
        }
        let dupes = table::ROWS
            .iter()
            .filter(|r| r.provider == row.provider && r.model == row.model)
            .count();
        assert_eq!(dupes, 1, "{} listed twice", row.model);
    }
}

proptest! {
    /// Every reported token lands in exactly one bucket, however inconsistent the report.
    #[test]
    fn buckets_never_exceed_the_reported_totals(
        prompt in 0u64..1_000_000,
        completion in 0u64..1_000_000,
        cached in 0u64..2_000_000,
        written in 0u64..2_000_000,
        reasoning in 0u64..2_000_000,
    ) {
        let usage = Usage {
            prompt_tokens: prompt,
            completion_tokens: completion,
            cached_tokens: cached,
            reasoning_tokens: reasoning,
            cache_write_tokens: written,
        };
        let b = BilledTokens::from_usage(&usage);
        prop_assert_eq!(b.uncached_input + b.cache_read + b.cache_write, prompt);
        prop_assert_eq!(b.output + b.reasoning, completion);
        if cached + written <= prompt {
            prop_assert_eq!((b.cache_read, b.cache_write), (cached, written));
        }
    }
}
