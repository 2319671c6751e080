//! The built-in price table: USD per million tokens for the preset providers' models, each
//! provider block citing where the numbers were read and when.
//!
//! Only prices found in a source are listed; a model without a row costs `None` (unknown), never
//! a guess. Where a source states a long-prompt surcharge whose rates were not found, the row
//! carries a [`LongPrompt`] with `price: None`, so such requests also cost `None`.

use super::{LongPrompt, ModelPrice, Price};

/// One row: a model of one provider (preset id, or the kind's own name for first-party APIs).
pub(super) struct Row {
    pub provider: &'static str,
    pub model: &'static str,
    pub price: ModelPrice,
}

const fn row(provider: &'static str, model: &'static str, price: Price) -> Row {
    Row {
        provider,
        model,
        price: ModelPrice {
            base: price,
            long: None,
        },
    }
}

const fn tiered(
    provider: &'static str,
    model: &'static str,
    price: Price,
    above: u64,
    long: Option<Price>,
) -> Row {
    Row {
        provider,
        model,
        price: ModelPrice {
            base: price,
            long: Some(LongPrompt { above, price: long }),
        },
    }
}

/// Shorthand: `input, cache_read, cache_write, output`; reasoning billed as output.
const fn p(input: f64, cache_read: f64, cache_write: f64, output: f64) -> Price {
    Price::new(input, cache_read, cache_write, output)
}

/// Dated snapshots that must not fall back to their alias because they were priced
/// differently: (provider, snapshot id).
pub(super) const UNPRICED_SNAPSHOTS: &[(&str, &str)] = &[
    // gpt-4o's first snapshot was $5 / $15, not gpt-4o's $2.50 / $10
    // (hex.pm openai_responses pricing.ex, from platform.openai.com/docs/pricing, 2025-06-03).
    ("openai", "gpt-4o-2024-05-13"),
];

/// Every built-in row.
pub(super) const ROWS: &[Row] = &[
    // --- OpenAI: prompt caching is automatic and reads are reported in
    // `prompt_tokens_details.cached_tokens`; no cache-write charge on these models, so
    // cache_write = input.
    // gpt-5.5: $5 / cached $0.50 / $30; input over 272K tokens bills the whole request at 2x
    // input and 1.5x output. Sources: docs.apiyi.com/models (mirror of the official list) and
    // aipromptshub.co/calc/openai-api-cost, read 2026-11-22; the 272K rule from
    // hivebook.wiki (Gemini 2.5 page comparing GPT-5.5), read 2026-11-22.
    tiered(
        "openai",
        "gpt-5.5",
        p(5.00, 0.50, 5.00, 30.00),
        272_000,
        Some(p(10.00, 1.00, 10.00, 45.00)),
    ),
    // gpt-5.4 family: docs.rs adk-model openai/pricing.rs ("OpenAI models (March 2026)") and
    // docs.apiyi.com/models, read 2026-11-22. Their long-context rates were not found.
    tiered(
        "openai",
        "gpt-5.4",
        p(2.50, 0.25, 2.50, 15.00),
        272_000,
        None,
    ),
    tiered(
        "openai",
        "gpt-5.4-mini",
        p(0.75, 0.075, 0.75, 4.50),
        272_000,
        None,
    ),
    // gpt-4.1 / gpt-4o families: hex.pm openai_responses lib/responses/pricing.ex (copied from
    // platform.openai.com/docs/pricing on 2025-06-03) and simonw/llm-prices data/openai.json,
    // read 2026-11-22.
    row("openai", "gpt-4.1", p(2.00, 0.50, 2.00, 8.00)),
    row("openai", "gpt-4.1-mini", p(0.40, 0.10, 0.40, 1.60)),
    row("openai", "gpt-4.1-nano", p(0.10, 0.025, 0.10, 0.40)),
    row("openai", "gpt-4o", p(2.50, 1.25, 2.50, 10.00)),
    row("openai", "gpt-4o-mini", p(0.15, 0.075, 0.15, 0.60)),
    // o4-mini: RooCodeInc/Roo-Code PR #2691 (from platform.openai.com/docs/models/o4-mini),
    // read 2026-11-22.
    row("openai", "o4-mini", p(1.10, 0.275, 1.10, 4.40)),
    // Not listed: gpt-6.x (bill cache *writes* at their own rate, which OpenAI's usage object
    // as llmux decodes it does not report, so any number would be low), o3 (price changed
    // since the only figures found), embeddings (no source read).
    //
    // --- Anthropic: platform.claude.com/docs model overview pages (opus-5-5, sonnet-5-5,
    // haiku-5-5, opus-5) and about-claude/pricing, read 2026-11-22. Cache writes are the
    // 5-minute rate: usage does not split 1-hour writes (2x input) out, so requests using the
    // 1-hour TTL are under-priced by the difference.
    row("anthropic", "claude-opus-5-5", p(4.00, 0.20, 5.00, 20.00)),
    // Sonnet 5.5 cache hits cut from $0.20 to $0.10 on 2026-10-07 (kurofune/claudit v1.9.2 and
    // TheKrush/PromptFuel v1.0.23 release notes, checked against the live page 2026-10-24).
    row("anthropic", "claude-sonnet-5-5", p(2.00, 0.10, 2.50, 10.00)),
    // Haiku 5.5 is priced by prompt length (input + cache reads + cache writes): over 100,000
    // tokens every token of the request, output included, takes the higher band.
    tiered(
        "anthropic",
        "claude-haiku-5-5",
        p(0.10, 0.01, 0.125, 0.50),
        100_000,
        Some(p(0.50, 0.05, 0.625, 2.50)),
    ),
    row("anthropic", "claude-opus-5", p(5.00, 0.50, 6.25, 25.00)),
    // Sonnet 5 $2 / $10 (official model overview); cache at the standard 0.1x read and 1.25x
    // 5-minute write (docs.rs synaps pricing table, verified 2026-10-10).
    row("anthropic", "claude-sonnet-5", p(2.00, 0.20, 2.50, 10.00)),
    // Haiku 4.5 $1 / $5 (official comparison tables), standard cache multipliers.
    row("anthropic", "claude-haiku-4-5", p(1.00, 0.10, 1.25, 5.00)),
    //
    // --- Google Gemini (AI Studio, paid tier). Output rates include thinking tokens.
    // deploybase.ai/articles/gemini-api-pricing-2026 ("data from Google's official pricing
    // page", March 2026) and hivebook.wiki Gemini 2.5 page, read 2026-11-22. Cached content is
    // billed at 10% of input; cache storage (per hour) is not a per-request cost and is not
    // counted. Explicit caches are created by a separate call, so cache_write = input.
    tiered(
        "gemini",
        "gemini-2.5-pro",
        p(1.25, 0.125, 1.25, 10.00),
        200_000,
        Some(p(2.50, 0.25, 2.50, 15.00)),
    ),
    row("gemini", "gemini-2.5-flash", p(0.30, 0.03, 0.30, 2.50)),
    // gemini-2.5-flash-lite $0.10 / $0.40 (openrouter.ai/google/gemini-2.5-flash-lite, which
    // passes Google's price through), cache reads at the same 10%. Read 2026-11-22.
    row("gemini", "gemini-2.5-flash-lite", p(0.10, 0.01, 0.10, 0.40)),
    // Not listed: gemini-embedding-001 (no source read).
    //
    // --- Groq: no prompt caching on these models. smithery.ai groq-cost-tuning skill
    // ("check current pricing at groq.com/pricing"), read 2026-11-22.
    row("groq", "llama-3.3-70b-versatile", p(0.59, 0.59, 0.59, 0.79)),
    row("groq", "llama-3.1-8b-instant", p(0.05, 0.05, 0.05, 0.08)),
    //
    // --- xAI: grok-4 $3 / cached $0.75 / $15 (apidog.com Grok 4 API guide); prompts over
    // 128K cost more (wavespeed.ai x-ai/grok-4: $6 / $30) but the cached rate there was not
    // found, so long prompts are unpriced. Read 2026-11-22.
    tiered("xai", "grok-4", p(3.00, 0.75, 3.00, 15.00), 128_000, None),
    //
    // --- Fireworks: llama-v3p3-70b-instruct $0.90 / $0.90 (lava.so Fireworks gateway table);
    // cached input at the default 50% discount (docs.fireworks.ai FAQ "Is prompt caching
    // billed differently for serverless models?"). Read 2026-11-22.
    row(
        "fireworks",
        "accounts/fireworks/models/llama-v3p3-70b-instruct",
        p(0.90, 0.45, 0.90, 0.90),
    ),
    //
    // Not listed (no current price found, or billing llmux cannot reproduce from usage):
    // DeepSeek (peak / off-peak rates by time of day since 2026), Mistral, Together
    // (only Llama 3 / 3.1 Turbo rates found), Perplexity (per-request search fees),
    // SambaNova, Azure (per-deployment). OpenRouter reports its own cost per request, which
    // is used instead.
];
