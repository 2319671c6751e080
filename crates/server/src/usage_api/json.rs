//! JSON renderings of the store's answers, field names as in `docs/openapi/usage.json`.

use llmux_store::{Breakdown, Bucket, By, Page, SeriesPoint, Summary};
use serde_json::{json, Value};

/// Totals as a JSON object.
pub fn summary(s: &Summary) -> Value {
    serde_json::to_value(s).unwrap_or_default()
}

/// One bucket of a series.
pub fn point(p: &SeriesPoint) -> Value {
    serde_json::to_value(p).unwrap_or_default()
}

/// One group of a breakdown.
pub fn group(b: &Breakdown) -> Value {
    serde_json::to_value(b).unwrap_or_default()
}

/// A page of rows; `page` counts from 1.
pub fn page(p: &Page, page: u32, per_page: u32) -> Value {
    json!({ "page": page, "per_page": per_page, "total": p.total, "rows": p.rows })
}

/// The query-string name of a bucket.
pub fn bucket_name(b: Bucket) -> &'static str {
    match b {
        Bucket::Hour => "hour",
        Bucket::Day => "day",
    }
}

/// The query-string name of a dimension.
pub fn by_name(b: By) -> &'static str {
    match b {
        By::Tag => "tag",
        By::Key => "key",
        By::Provider => "provider",
        By::Model => "model",
        By::Client => "client",
    }
}
