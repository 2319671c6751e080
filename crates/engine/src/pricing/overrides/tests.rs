//! Partial price overrides: how missing fields are completed, and which key wins.

use llmux_protocol::Usage;
use llmux_providers::ProviderKind;

use super::super::{Price, Pricing, ProviderRef};
use super::{PriceOverride, Served};

const OPENAI: ProviderRef<'static> = ProviderRef {
    kind: ProviderKind::OpenAi,
    preset: None,
    local: false,
};

#[test]
fn missing_fields_come_from_the_builtin_price_then_from_input_and_output() {
    let only_input = PriceOverride {
        input: Some(1.0),
        ..PriceOverride::default()
    };
    let builtin = Price::new(2.5, 1.25, 2.5, 10.0);
    assert_eq!(
        only_input.complete(Some(builtin)),
        Price {
            input: 1.0,
            output: 10.0,
            cache_read: 1.25,
            cache_write: 2.5,
            reasoning: 10.0,
        }
    );
    let io = PriceOverride {
        input: Some(1.0),
        output: Some(4.0),
        ..PriceOverride::default()
    };
    assert_eq!(
        io.complete(None),
        Price {
            input: 1.0,
            output: 4.0,
            cache_read: 1.0,
            cache_write: 1.0,
            reasoning: 4.0,
        }
    );
    let only_output = PriceOverride {
        output: Some(4.0),
        ..PriceOverride::default()
    };
    assert_eq!(only_output.complete(None).input, 0.0);
    assert_eq!(only_output.complete(None).cache_read, 0.0);
}

#[test]
fn provider_model_key_beats_model_key_and_both_beat_the_table() {
    let pricing = Pricing::builtin().with_partial_overrides([
        (
            "gpt-4o".to_owned(),
            PriceOverride {
                input: Some(1.0),
                ..PriceOverride::default()
            },
        ),
        (
            "Azure-East/gpt-4o".to_owned(),
            PriceOverride {
                input: Some(3.0),
                ..PriceOverride::default()
            },
        ),
    ]);
    let usage = Usage {
        prompt_tokens: 1_000_000,
        completion_tokens: 1_000_000,
        ..Usage::default()
    };
    let at = |provider_id| Served {
        provider: OPENAI,
        provider_id,
        model: "gpt-4o-2024-08-06",
        requested: "gpt-4o",
    };
    // Output stays at gpt-4o's built-in $10; input is overridden.
    assert_eq!(pricing.cost_of(&at("openai"), &usage, None), Some(11.0));
    assert_eq!(pricing.cost_of(&at("azure-east"), &usage, None), Some(13.0));
    // Without overrides: the table's $2.50 + $10.
    assert_eq!(
        Pricing::builtin().cost_of(&at("openai"), &usage, None),
        Some(12.5)
    );
    // A reported cost still wins over everything.
    assert_eq!(pricing.cost_of(&at("openai"), &usage, Some(0.5)), Some(0.5));
}

#[test]
fn header_format_has_at_most_ten_significant_digits() {
    use super::super::format_usd;
    assert_eq!(format_usd(0.000123), "0.000123");
    assert_eq!(format_usd(0.0), "0");
    assert_eq!(format_usd(12.5), "12.5");
    assert_eq!(format_usd(1.0 / 3.0), "0.3333333333");
    assert_eq!(format_usd(0.1 + 0.2), "0.3");
}
