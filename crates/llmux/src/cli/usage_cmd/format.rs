//! Terminal and JSON rendering for `llmux usage`: aligned tables, human units, UTC times,
//! and the store's structs as JSON values.

use llmux_store::{Breakdown, Page, SeriesPoint, Summary};
use serde_json::{json, Value};

/// `1234567` → `1,234,567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A cost with 4 decimals, `—` when unknown.
pub fn cost(c: Option<f64>) -> String {
    c.map_or_else(|| "—".to_owned(), |c| format!("{c:.4}"))
}

/// The known cost of a summary: `—` when every request in it is unpriced.
fn summary_cost(s: &Summary) -> Option<f64> {
    (s.requests == 0 || s.unpriced_requests < s.requests).then_some(s.cost_usd)
}

/// Milliseconds rounded to whole ones, `—` when unknown.
pub fn millis(ms: Option<f64>) -> String {
    match ms {
        // Durations are non-negative and far below u64::MAX ms; `as` saturates anyway.
        Some(ms) => format!("{} ms", thousands(ms.max(0.0).round() as u64)),
        None => "—".to_owned(),
    }
}

/// Days since 1970-01-01 → (year, month, day), proleptic Gregorian.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// (year, month, day) → days since 1970-01-01, proleptic Gregorian.
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Milliseconds since the epoch → `YYYY-MM-DD HH:MM:SS` (UTC).
pub fn utc(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (y, mo, d) = civil_from_days(secs.div_euclid(86_400));
    let s = secs.rem_euclid(86_400);
    format!(
        "{y:04}-{mo:02}-{d:02} {:02}:{:02}:{:02}",
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

/// Columns padded to their widest cell, two spaces apart; the columns flagged in `right`
/// are right-aligned (numbers), the others left-aligned. Trailing spaces are trimmed.
pub fn table(header: &[&str], right: &[bool], rows: &[Vec<String>]) -> Vec<String> {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let mut out = String::new();
        for (i, cell) in cells.iter().enumerate() {
            let width = widths.get(i).copied().unwrap_or(0);
            let pad = " ".repeat(width.saturating_sub(cell.chars().count()));
            if i > 0 {
                out.push_str("  ");
            }
            if right.get(i).copied().unwrap_or(false) {
                out.push_str(&pad);
                out.push_str(cell);
            } else {
                out.push_str(cell);
                out.push_str(&pad);
            }
        }
        out.trim_end().to_owned()
    };
    let mut lines = vec![line(header.to_vec())];
    lines.extend(
        rows.iter()
            .map(|r| line(r.iter().map(String::as_str).collect())),
    );
    lines
}

/// The summary as `name  value` lines.
pub fn summary_lines(s: &Summary) -> Vec<String> {
    let mut cost_text = cost(summary_cost(s));
    if s.unpriced_requests > 0 && s.unpriced_requests < s.requests {
        cost_text.push_str(&format!(" (+ {} unpriced)", thousands(s.unpriced_requests)));
    }
    let rows = vec![
        vec!["requests".into(), thousands(s.requests)],
        vec!["errors".into(), thousands(s.errors)],
        vec!["prompt tokens".into(), thousands(s.prompt_tokens)],
        vec!["completion tokens".into(), thousands(s.completion_tokens)],
        vec!["cached tokens".into(), thousands(s.cached_tokens)],
        vec!["cache-write tokens".into(), thousands(s.cache_write_tokens)],
        vec!["reasoning tokens".into(), thousands(s.reasoning_tokens)],
        vec!["cost (USD)".into(), cost_text],
        vec!["avg duration".into(), millis(s.avg_duration_ms)],
        vec!["avg TTFT".into(), millis(s.avg_ttft_ms)],
    ];
    // No header for a summary: drop the first (empty) line.
    table(&["", ""], &[false, false], &rows)
        .into_iter()
        .skip(1)
        .collect()
}

/// The totals columns shared by series and breakdowns.
fn totals(s: &Summary) -> Vec<String> {
    vec![
        thousands(s.requests),
        thousands(s.errors),
        thousands(s.prompt_tokens),
        thousands(s.completion_tokens),
        cost(summary_cost(s)),
        millis(s.avg_duration_ms),
    ]
}

const TOTALS: [&str; 6] = [
    "requests",
    "errors",
    "prompt",
    "completion",
    "cost USD",
    "avg duration",
];

/// One line per bucket, oldest first.
pub fn series_lines(points: &[SeriesPoint]) -> Vec<String> {
    let rows: Vec<Vec<String>> = points
        .iter()
        .map(|p| {
            let mut row = vec![utc(p.start_ms)];
            row.extend(totals(&p.summary));
            row
        })
        .collect();
    let mut header = vec!["start (UTC)"];
    header.extend(TOTALS);
    table(&header, &[false, true, true, true, true, true, true], &rows)
}

/// One line per group; the label (key name, client host) follows the value when known.
pub fn breakdown_lines(groups: &[Breakdown], by: &str) -> Vec<String> {
    let rows: Vec<Vec<String>> = groups
        .iter()
        .map(|g| {
            let mut name = g.value.clone().unwrap_or_else(|| "(none)".to_owned());
            if let Some(label) = &g.label {
                name.push_str(&format!(" ({label})"));
            }
            let mut row = vec![name];
            row.extend(totals(&g.summary));
            row
        })
        .collect();
    let mut header = vec![by];
    header.extend(TOTALS);
    table(&header, &[false, true, true, true, true, true, true], &rows)
}

/// The page's rows, newest first, then a `page P of N, T requests` line.
pub fn page_lines(page: &Page, page_no: u32, per_page: u32) -> Vec<String> {
    let rows: Vec<Vec<String>> = page
        .rows
        .iter()
        .map(|r| {
            vec![
                utc(r.time_ms),
                r.request_id.clone(),
                r.key_name
                    .clone()
                    .or_else(|| r.key_id.clone())
                    .unwrap_or_else(|| "—".into()),
                r.tags.join(","),
                r.provider.clone(),
                r.resolved_model.clone(),
                r.status.to_string(),
                thousands(r.prompt_tokens),
                thousands(r.completion_tokens),
                cost(r.cost_usd),
                millis(Some(r.duration_ms)),
            ]
        })
        .collect();
    let header = [
        "time (UTC)",
        "request id",
        "key",
        "tags",
        "provider",
        "model",
        "status",
        "prompt",
        "completion",
        "cost USD",
        "duration",
    ];
    let right = [
        false, false, false, false, false, false, true, true, true, true, true,
    ];
    let mut lines = table(&header, &right, &rows);
    let pages = page.total.div_ceil(u64::from(per_page.max(1))).max(1);
    lines.push(format!(
        "page {page_no} of {pages}, {} requests",
        thousands(page.total)
    ));
    lines
}

/// A summary as JSON, field for field.
pub fn summary_json(s: &Summary) -> Value {
    serde_json::to_value(s).unwrap_or_default()
}

/// A series as a JSON array of `{start_ms, summary}`.
pub fn series_json(points: &[SeriesPoint]) -> Value {
    serde_json::to_value(points).unwrap_or_default()
}

/// A breakdown as a JSON array of `{value, label, summary}`.
pub fn breakdown_json(groups: &[Breakdown]) -> Value {
    serde_json::to_value(groups).unwrap_or_default()
}

/// A page as `{total, rows}`.
pub fn page_json(page: &Page) -> Value {
    json!({"total": page.total, "rows": page.rows})
}
