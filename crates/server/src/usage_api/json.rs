//! JSON renderings of the store's answers, field names as in `docs/openapi/usage.json`.

use llmux_store::{Breakdown, Bucket, By, Page, SeriesPoint, Summary, UsageRow};
use serde_json::{json, Value};

/// Totals as a JSON object.
pub fn summary(s: &Summary) -> Value {
    json!({
        "requests": s.requests,
        "errors": s.errors,
        "prompt_tokens": s.prompt_tokens,
        "completion_tokens": s.completion_tokens,
        "cached_tokens": s.cached_tokens,
        "cache_write_tokens": s.cache_write_tokens,
        "reasoning_tokens": s.reasoning_tokens,
        "cost_usd": s.cost_usd,
        "unpriced_requests": s.unpriced_requests,
        "avg_duration_ms": s.avg_duration_ms,
        "avg_ttft_ms": s.avg_ttft_ms,
    })
}

/// One bucket of a series.
pub fn point(p: &SeriesPoint) -> Value {
    json!({ "start_ms": p.start_ms, "summary": summary(&p.summary) })
}

/// One group of a breakdown.
pub fn group(b: &Breakdown) -> Value {
    json!({ "value": b.value, "label": b.label, "summary": summary(&b.summary) })
}

/// A page of rows; `page` counts from 1.
pub fn page(p: &Page, page: u32, per_page: u32) -> Value {
    let rows: Vec<Value> = p.rows.iter().map(row).collect();
    json!({ "page": page, "per_page": per_page, "total": p.total, "rows": rows })
}

/// One stored request.
pub fn row(r: &UsageRow) -> Value {
    json!({
        "time_ms": r.time_ms,
        "request_id": r.request_id,
        "key_id": r.key_id,
        "key_name": r.key_name,
        "tags": r.tags,
        "client_ip": r.client_ip,
        "client_host": r.client_host,
        "client_api": r.client_api,
        "provider": r.provider,
        "member": r.member,
        "requested_model": r.requested_model,
        "resolved_model": r.resolved_model,
        "status": r.status,
        "error_kind": r.error_kind,
        "attempts": r.attempts,
        "prompt_tokens": r.prompt_tokens,
        "completion_tokens": r.completion_tokens,
        "cached_tokens": r.cached_tokens,
        "cache_write_tokens": r.cache_write_tokens,
        "reasoning_tokens": r.reasoning_tokens,
        "ttft_ms": r.ttft_ms,
        "duration_ms": r.duration_ms,
        "output_tokens_per_s": r.output_tokens_per_s,
        "cost_usd": r.cost_usd,
        "stream": r.stream,
    })
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
