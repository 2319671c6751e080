//! `pricing:` section and the `price` of virtual models: per-model prices in USD per million
//! tokens that override the built-in table, validated (no negative, NaN or infinite rates).

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;

use crate::pricing::{PriceOverride, Pricing};

use super::validate::Errors;

/// One price as written: USD per million tokens. A field left out takes the model's
/// built-in rate at the serving provider; without one, `cache_read` and `cache_write` take
/// `input`, `reasoning` takes `output`, and `input` / `output` are 0.
#[derive(Debug, Default, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawPrice {
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

/// `pricing:` as written: `model` or `provider/model` → price.
pub type RawPricing = BTreeMap<String, RawPrice>;

/// Checks one price; reports each bad rate at `path.<field>`.
pub(super) fn price(raw: &RawPrice, path: &str, errors: &mut Errors<'_>) -> PriceOverride {
    let mut check = |v: Option<f64>, field: &str| -> Option<f64> {
        let v = v?;
        if v.is_finite() && v >= 0.0 {
            Some(v)
        } else {
            errors.at(
                &format!("{path}.{field}"),
                format!("a price must be a finite number of USD per million tokens, 0 or more; found {v}"),
            );
            None
        }
    };
    let p = PriceOverride {
        input: check(raw.input, "input"),
        output: check(raw.output, "output"),
        cache_read: check(raw.cache_read, "cache_read"),
        cache_write: check(raw.cache_write, "cache_write"),
        reasoning: check(raw.reasoning, "reasoning"),
    };
    let any = [
        raw.input,
        raw.output,
        raw.cache_read,
        raw.cache_write,
        raw.reasoning,
    ]
    .iter()
    .any(Option::is_some);
    if !any {
        errors.at(
            path,
            "a price needs at least one of `input`, `output`, `cache_read`, `cache_write`, `reasoning`",
        );
    }
    p
}

/// Checks the `pricing:` section: each key names a model (`provider/model` allowed).
pub(super) fn overrides(raw: RawPricing, errors: &mut Errors<'_>) -> Vec<(String, PriceOverride)> {
    raw.into_iter()
        .filter_map(|(key, p)| {
            let path = format!("pricing.{key}");
            if key.trim().is_empty() || key.ends_with('/') || key.starts_with('/') {
                errors.at(&path, "a price key is `model` or `provider/model`");
                return None;
            }
            Some((key.clone(), price(&p, &path, errors)))
        })
        .collect()
}

/// The one [`Pricing`] of a configuration: the built-in table, the `pricing:` overrides and
/// the prices of virtual models.
pub fn build(config: &super::Config) -> Pricing {
    Pricing::builtin()
        .with_partial_overrides(config.pricing.iter().cloned())
        .with_virtual_models(
            config
                .models
                .iter()
                .filter_map(|m| m.price.map(|p| (m.name.clone(), p))),
        )
}
