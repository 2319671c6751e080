//! Configured prices: per-field overrides of the built-in table, by model, by
//! `provider/model`, or by virtual model name, and how a partial override is completed.

use super::Price;

#[cfg(test)]
mod tests;

/// A configured price in USD per million tokens; a field left out is completed by
/// [`PriceOverride::complete`].
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct PriceOverride {
    /// Uncached input tokens.
    pub input: Option<f64>,
    /// Output tokens.
    pub output: Option<f64>,
    /// Input tokens read from the prompt cache.
    pub cache_read: Option<f64>,
    /// Input tokens written to the prompt cache.
    pub cache_write: Option<f64>,
    /// Hidden reasoning tokens.
    pub reasoning: Option<f64>,
}

impl PriceOverride {
    /// The full price: each field that is set, else the same field of `builtin` (the
    /// model's built-in price at the serving provider, when the table has one), else
    /// `cache_read` and `cache_write` at the `input` rate, `reasoning` at the `output` rate,
    /// and `input` / `output` at 0.
    pub fn complete(&self, builtin: Option<Price>) -> Price {
        let input = self.input.or(builtin.map(|b| b.input)).unwrap_or(0.0);
        let output = self.output.or(builtin.map(|b| b.output)).unwrap_or(0.0);
        Price {
            input,
            output,
            cache_read: self
                .cache_read
                .or(builtin.map(|b| b.cache_read))
                .unwrap_or(input),
            cache_write: self
                .cache_write
                .or(builtin.map(|b| b.cache_write))
                .unwrap_or(input),
            reasoning: self
                .reasoning
                .or(builtin.map(|b| b.reasoning))
                .unwrap_or(output),
        }
    }
}

impl From<Price> for PriceOverride {
    fn from(p: Price) -> Self {
        PriceOverride {
            input: Some(p.input),
            output: Some(p.output),
            cache_read: Some(p.cache_read),
            cache_write: Some(p.cache_write),
            reasoning: Some(p.reasoning),
        }
    }
}

/// What served one request, as far as the configured prices care.
#[derive(Debug, Clone, Copy)]
pub struct Served<'a> {
    /// The serving provider as the built-in table sees it.
    pub provider: super::ProviderRef<'a>,
    /// The serving provider's configured id (the `provider/model` override key).
    pub provider_id: &'a str,
    /// The model id sent upstream.
    pub model: &'a str,
    /// The model name the client asked for (a virtual model's `price` applies to it).
    pub requested: &'a str,
}
