//! Request cost: per-model prices, token normalisation so that no token is billed twice, and
//! the cost of one request from its [`Usage`].
//!
//! # Token normalisation
//!
//! Each dialect's decoder already folds its provider's counts into the canonical [`Usage`]
//! (`prompt_tokens` includes cache reads and writes, `completion_tokens` includes reasoning);
//! [`BilledTokens::from_usage`] then splits them into disjoint buckets, each billed once:
//!
//! - OpenAI Chat / Responses: `prompt_tokens` (`input_tokens`) *includes*
//!   `prompt_tokens_details.cached_tokens`, and `completion_tokens` *includes*
//!   `completion_tokens_details.reasoning_tokens`
//!   (<https://platform.openai.com/docs/guides/prompt-caching>,
//!   <https://platform.openai.com/docs/guides/reasoning>). Decoded as is.
//! - Anthropic Messages: `input_tokens` *excludes* `cache_read_input_tokens` and
//!   `cache_creation_input_tokens`
//!   (<https://docs.anthropic.com/en/docs/build-with-claude/prompt-caching>); the decoder adds
//!   them into `prompt_tokens`, so here they are taken out again.
//!   Thinking is billed as output and already inside `output_tokens`.
//! - Gemini: `promptTokenCount` *includes* `cachedContentTokenCount`, while
//!   `thoughtsTokenCount` is *apart from* `candidatesTokenCount`
//!   (<https://ai.google.dev/api/generate-content#UsageMetadata>); the decoder adds thoughts
//!   into `completion_tokens` and reports them as `reasoning_tokens`.
//! - Ollama: prompt and output counts only, no cache.
//!
//! # Cost
//!
//! [`Pricing::cost_of`] takes, in order: the provider's own reported cost (OpenRouter's
//! `usage.cost`), a configured price (virtual model, `provider/model`, `model`), zero for
//! local providers, the built-in table. Anything else is `None`: an unknown price is never
//! a wrong number.

mod overrides;
mod table;
#[cfg(test)]
mod tests;

pub use overrides::{PriceOverride, Served};

use std::collections::HashMap;

use llmux_protocol::Usage;
use llmux_providers::ProviderKind;

/// Prices of one model in USD per million tokens.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Price {
    /// Uncached input tokens.
    pub input: f64,
    /// Output tokens (visible answer).
    pub output: f64,
    /// Input tokens read from the prompt cache.
    pub cache_read: f64,
    /// Input tokens written to the prompt cache.
    pub cache_write: f64,
    /// Hidden reasoning tokens; equal to `output` for every provider that bills them as output.
    pub reasoning: f64,
}

impl Price {
    /// A price whose reasoning tokens are billed as output.
    pub const fn new(input: f64, cache_read: f64, cache_write: f64, output: f64) -> Self {
        Price {
            input,
            output,
            cache_read,
            cache_write,
            reasoning: output,
        }
    }

    /// Cost in USD of `tokens` at this price.
    pub fn cost(&self, tokens: &BilledTokens) -> f64 {
        let micro = tokens.uncached_input as f64 * self.input
            + tokens.cache_read as f64 * self.cache_read
            + tokens.cache_write as f64 * self.cache_write
            + tokens.output as f64 * self.output
            + tokens.reasoning as f64 * self.reasoning;
        micro / 1_000_000.0
    }
}

/// A higher price band for requests whose prompt (all input, cached included) is longer than
/// `above` tokens; it then applies to every token of the request.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LongPrompt {
    /// Prompt length in tokens beyond which the band applies.
    pub above: u64,
    /// The band's prices; `None` when the provider has one but its rates are not known.
    pub price: Option<Price>,
}

/// The prices of one model: a base band and an optional long-prompt band.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ModelPrice {
    /// Prices for prompts up to the long-prompt threshold (or any prompt without one).
    pub base: Price,
    /// Long-prompt band, if the provider has one.
    pub long: Option<LongPrompt>,
}

impl ModelPrice {
    /// The price that applies to a request with `prompt_tokens` of input (cached included);
    /// `None` when it falls in a band whose rates are unknown.
    pub fn for_prompt(&self, prompt_tokens: u64) -> Option<Price> {
        match self.long {
            Some(long) if prompt_tokens > long.above => long.price,
            _ => Some(self.base),
        }
    }
}

impl From<Price> for ModelPrice {
    fn from(base: Price) -> Self {
        ModelPrice { base, long: None }
    }
}

/// Token counts of one request in disjoint buckets, so each token is billed exactly once.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BilledTokens {
    /// Input neither read from nor written to the cache.
    pub uncached_input: u64,
    /// Input read from the cache.
    pub cache_read: u64,
    /// Input written to the cache.
    pub cache_write: u64,
    /// Visible output, reasoning excluded.
    pub output: u64,
    /// Hidden reasoning output.
    pub reasoning: u64,
}

impl BilledTokens {
    /// Splits canonical usage into billed buckets (see the module docs for each dialect).
    ///
    /// Inconsistent reports (more cached than prompt tokens, more reasoning than output) are
    /// clamped so that the buckets never add up to more than the reported totals.
    pub fn from_usage(u: &Usage) -> Self {
        let cache_read = u.cached_tokens.min(u.prompt_tokens);
        let cache_write = u.cache_write_tokens.min(u.prompt_tokens - cache_read);
        let reasoning = u.reasoning_tokens.min(u.completion_tokens);
        BilledTokens {
            uncached_input: u.prompt_tokens - cache_read - cache_write,
            cache_read,
            cache_write,
            output: u.completion_tokens - reasoning,
            reasoning,
        }
    }
}

/// Which provider served a request, as far as pricing cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProviderRef<'a> {
    /// API family.
    pub kind: ProviderKind,
    /// Preset id (`groq`, `xai`, ...) when the provider is a preset.
    pub preset: Option<&'a str>,
    /// The provider runs on this machine or network and costs nothing per token.
    pub local: bool,
}

impl<'a> ProviderRef<'a> {
    /// A provider of `kind`, maybe a preset, reached at `base_url`: local when it is Ollama
    /// or its host is a loopback address (vLLM, LM Studio, llama.cpp on this machine).
    pub fn new(kind: ProviderKind, preset: Option<&'a str>, base_url: &str) -> Self {
        ProviderRef {
            kind,
            preset,
            local: kind == ProviderKind::Ollama || is_loopback_url(base_url),
        }
    }

    /// The table's provider key: the preset id, or the first-party API's own name.
    fn table_key(&self) -> Option<&'a str> {
        match (self.preset, self.kind) {
            (Some(id), _) => Some(id),
            (None, ProviderKind::OpenAi) => Some("openai"),
            (None, ProviderKind::Anthropic) => Some("anthropic"),
            (None, ProviderKind::Gemini) => Some("gemini"),
            (None, _) => None,
        }
    }
}

/// True when `url`'s host is `localhost` or a loopback IP.
fn is_loopback_url(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host_port = authority.rsplit('@').next().unwrap_or("");
    let host = match host_port.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => host_port.split(':').next().unwrap_or(""),
    };
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// A cost in USD as a header value: at most 10 significant digits, plain decimal notation
/// (`0.000123`, `0`, `12.5`).
pub fn format_usd(usd: f64) -> String {
    let rounded: f64 = format!("{usd:.9e}").parse().unwrap_or(usd);
    format!("{rounded}")
}

/// Candidate table ids for a model id, most specific first: as given (lower-cased), without a
/// `models/` prefix, without a dated-snapshot suffix, without `-latest`.
///
/// Fine-tuned models (`ft:` prefix) get no candidates beyond themselves: they are priced
/// differently from their base model.
pub fn model_candidates(model: &str) -> Vec<String> {
    let lower = model.trim().to_ascii_lowercase();
    let mut out = vec![lower.clone()];
    if lower.starts_with("ft:") {
        return out;
    }
    let mut push = |s: &str| {
        if !s.is_empty() && !out.iter().any(|c| c == s) {
            out.push(s.to_owned());
        }
    };
    let base = lower.strip_prefix("models/").unwrap_or(&lower);
    push(base);
    let undated = strip_date(base);
    push(undated);
    push(undated.strip_suffix("-latest").unwrap_or(undated));
    out
}

/// `gpt-4o-2024-08-06` → `gpt-4o`, `claude-sonnet-4-5-20250929` → `claude-sonnet-4-5`.
fn strip_date(id: &str) -> &str {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    // -YYYYMMDD
    if let Some((head, tail)) = id.rsplit_once('-') {
        if tail.len() == 8 && digits(tail) && tail.starts_with("20") {
            return head;
        }
    }
    // -YYYY-MM-DD
    let parts: Vec<&str> = id.rsplitn(4, '-').collect();
    if let [d, m, y, head] = parts[..] {
        if y.len() == 4 && m.len() == 2 && d.len() == 2 && digits(y) && digits(m) && digits(d) {
            return head;
        }
    }
    id
}

/// Prices: the built-in table plus overrides from configuration (`pricing:` and the
/// `price` of virtual models). The snapshot holds one, built from its configuration.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Pricing {
    /// `model` or `provider/model` (lower-cased, as written) → price.
    overrides: HashMap<String, PriceOverride>,
    /// Virtual model name (exact) → price.
    virtual_models: HashMap<String, PriceOverride>,
}

impl Pricing {
    /// The built-in table, no overrides.
    pub fn builtin() -> Self {
        Pricing::default()
    }

    /// Adds full per-model prices (`model` or `provider/model` keys) that win over the table.
    pub fn with_overrides(self, overrides: impl IntoIterator<Item = (String, Price)>) -> Self {
        self.with_partial_overrides(overrides.into_iter().map(|(k, p)| (k, p.into())))
    }

    /// Adds per-model prices whose missing fields are completed by
    /// [`PriceOverride::complete`]; keys are `model` or `provider/model`, matched after the
    /// same normalisation as the table (case, `models/`, date suffix, `-latest`).
    pub fn with_partial_overrides(
        mut self,
        overrides: impl IntoIterator<Item = (String, PriceOverride)>,
    ) -> Self {
        for (model, price) in overrides {
            self.overrides
                .insert(model.trim().to_ascii_lowercase(), price);
        }
        self
    }

    /// Adds the prices of virtual models, by their exact names.
    pub fn with_virtual_models(
        mut self,
        prices: impl IntoIterator<Item = (String, PriceOverride)>,
    ) -> Self {
        self.virtual_models.extend(prices);
        self
    }

    /// Whether any price is configured.
    pub fn has_overrides(&self) -> bool {
        !self.overrides.is_empty() || !self.virtual_models.is_empty()
    }

    /// The built-in prices of `model` at `provider`, if known.
    pub fn price(&self, provider: ProviderRef<'_>, model: &str) -> Option<ModelPrice> {
        builtin_price(provider, &model_candidates(model))
    }

    /// The configured price that applies to a request: the virtual model's, then
    /// `provider/model`, then `model` (each candidate id, most specific first).
    pub fn configured(&self, served: &Served<'_>) -> Option<PriceOverride> {
        if let Some(p) = self.virtual_models.get(served.requested) {
            return Some(*p);
        }
        if self.overrides.is_empty() {
            return None;
        }
        let candidates = model_candidates(served.model);
        let provider = served.provider_id.to_ascii_lowercase();
        candidates
            .iter()
            .find_map(|c| self.overrides.get(&format!("{provider}/{c}")))
            .or_else(|| candidates.iter().find_map(|c| self.overrides.get(c)))
            .copied()
    }

    /// Cost in USD of one request by the built-in table alone (no provider id, no virtual
    /// model); see [`Pricing::cost_of`].
    pub fn cost(
        &self,
        provider: ProviderRef<'_>,
        model: &str,
        usage: &Usage,
        reported_cost: Option<f64>,
    ) -> Option<f64> {
        let served = Served {
            provider,
            provider_id: "",
            model,
            requested: "",
        };
        self.cost_of(&served, usage, reported_cost)
    }

    /// Cost in USD of one request, or `None` when it cannot be known. In order:
    /// `reported_cost` (OpenRouter's `usage.cost`) when present and sane; a configured
    /// price (even for a local provider: an operator pricing their own hardware); `0.0` for
    /// local providers; the built-in table applied to [`BilledTokens`].
    pub fn cost_of(
        &self,
        served: &Served<'_>,
        usage: &Usage,
        reported_cost: Option<f64>,
    ) -> Option<f64> {
        if let Some(c) = reported_cost.filter(|c| c.is_finite() && *c >= 0.0) {
            return Some(c);
        }
        let tokens = BilledTokens::from_usage(usage);
        if let Some(configured) = self.configured(served) {
            let builtin = self
                .price(served.provider, served.model)
                .and_then(|p| p.for_prompt(usage.prompt_tokens));
            return Some(configured.complete(builtin).cost(&tokens));
        }
        if served.provider.local {
            return Some(0.0);
        }
        let price = self
            .price(served.provider, served.model)?
            .for_prompt(usage.prompt_tokens)?;
        Some(price.cost(&tokens))
    }
}

/// The table's price for the first candidate id it lists at `provider`.
fn builtin_price(provider: ProviderRef<'_>, candidates: &[String]) -> Option<ModelPrice> {
    let key = provider.table_key()?;
    if table::UNPRICED_SNAPSHOTS
        .iter()
        .any(|&(p, m)| p == key && candidates.first().is_some_and(|c| c == m))
    {
        return None;
    }
    candidates.iter().find_map(|c| {
        table::ROWS
            .iter()
            .find(|r| r.provider == key && r.model == c)
            .map(|r| r.price)
    })
}
