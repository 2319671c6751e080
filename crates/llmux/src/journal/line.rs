//! One journal line: a request's usage row (every stored field), the routing facts the record
//! holds, the wall-clock time in RFC 3339, and the captured body when there is one.

use bytes::Bytes;
use llmux_store::UsageRow;
use serde::Serialize;
use serde_json::Value;

use super::redact;

/// What the sink hands the journal thread for one request: built on the request path from
/// the borrowed record (as the usage row is), turned into text on the journal thread.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Every usage field, the time included.
    pub row: UsageRow,
    /// Endpoint label (`chat_completions`, ...).
    pub operation: &'static str,
    /// The request body, when bodies are captured.
    pub request_body: Option<Bytes>,
}

#[derive(Serialize)]
struct Line<'a> {
    time: String,
    #[serde(flatten)]
    row: &'a UsageRow,
    operation: &'static str,
    /// `provider/model` that served the request (after routing, retries and fallbacks).
    served_by: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    request_body: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    request_body_truncated: Option<bool>,
}

/// The JSON text of `entry` (no newline), its body redacted and cut to `max_body_bytes`.
pub fn render(entry: &Entry, max_body_bytes: usize) -> String {
    let captured = entry
        .request_body
        .as_ref()
        .map(|b| redact::capture(b, max_body_bytes));
    let line = Line {
        time: rfc3339_ms(entry.row.time_ms),
        row: &entry.row,
        operation: entry.operation,
        served_by: format!("{}/{}", entry.row.provider, entry.row.resolved_model),
        request_body_truncated: captured.as_ref().map(|c| c.truncated),
        request_body: captured.map(|c| c.body),
    };
    // Serialising plain strings, numbers and a JSON value cannot fail; an empty object
    // would still be a valid line.
    serde_json::to_string(&line).unwrap_or_else(|_| "{}".to_owned())
}

/// `ms` since the Unix epoch as RFC 3339 in UTC with milliseconds
/// (`2026-11-22T16:37:22.123Z`).
pub fn rfc3339_ms(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let milli = ms.rem_euclid(1000);
    let days = secs.div_euclid(86_400);
    let of_day = secs.rem_euclid(86_400);
    let (year, month, day) = civil_date(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{milli:03}Z",
        of_day / 3600,
        of_day % 3600 / 60,
        of_day % 60
    )
}

/// The proleptic Gregorian (year, month, day) of `days` since 1970-01-01.
fn civil_date(days: i64) -> (i64, i64, i64) {
    // Count from 0000-03-01, so that the leap day ends each 400-year era's year.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let march_month = (5 * day_of_year + 2) / 153; // 0 = March
    let day = day_of_year - (153 * march_month + 2) / 5 + 1;
    let month = if march_month < 10 {
        march_month + 3
    } else {
        march_month - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}
