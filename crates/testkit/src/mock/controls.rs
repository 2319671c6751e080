//! Per-request `x-mock-*` control headers (with server-wide defaults).

use std::time::Duration;

use http::HeaderMap;

/// An injected failure (`x-mock-fault`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fault {
    /// `status:NNN`: that status with an OpenAI error body.
    Status(u16),
    /// `429` / `429:SECS`: rate limited, `Retry-After: SECS`.
    RateLimit(u64),
    /// Close the connection without a response.
    ResetBeforeHeaders,
    /// Head and two frames, then abort.
    ResetMidStream,
    /// Head and one frame, then nothing.
    Stall,
    /// Head and two frames, then a clean end: a stream cut short without an error.
    Truncate,
    /// Never answer.
    StallBeforeHeaders,
    /// 200 with a truncated JSON body.
    MalformedJson,
    /// 400 `context_length_exceeded`, as OpenAI answers a prompt too long for the model.
    ContextLength,
}

impl Fault {
    fn parse(value: &str) -> Result<Fault, String> {
        let value = value.trim();
        let bad = || format!("invalid x-mock-fault: {value:?}");
        Ok(match value {
            "reset-before-headers" => Fault::ResetBeforeHeaders,
            "reset-mid-stream" => Fault::ResetMidStream,
            "stall" => Fault::Stall,
            "truncate" => Fault::Truncate,
            "stall-before-headers" => Fault::StallBeforeHeaders,
            "malformed-json" => Fault::MalformedJson,
            "context-length" => Fault::ContextLength,
            "429" => Fault::RateLimit(1),
            _ => {
                if let Some(secs) = value.strip_prefix("429:") {
                    Fault::RateLimit(secs.trim().parse().map_err(|_| bad())?)
                } else if let Some(code) = value.strip_prefix("status:") {
                    Fault::Status(parse_status(code).ok_or_else(bad)?)
                } else {
                    return Err(bad());
                }
            }
        })
    }
}

/// The controls in effect for one request.
#[derive(Debug, Clone, Default)]
pub(crate) struct Controls {
    pub(crate) fixture: Option<String>,
    pub(crate) status: Option<u16>,
    pub(crate) delay: Option<Duration>,
    pub(crate) chunk_delay: Option<Duration>,
    pub(crate) chunks: Option<usize>,
    pub(crate) text: Option<String>,
    pub(crate) fault: Option<Fault>,
}

impl Controls {
    /// Read the controls from `headers`, falling back to `defaults` (lowercase names).
    /// An unparsable value is an error message for a 400 answer.
    pub(crate) fn parse(
        headers: &HeaderMap,
        defaults: &[(String, String)],
    ) -> Result<Self, String> {
        let get = |name: &str| -> Option<String> {
            match headers.get(name) {
                Some(v) => Some(String::from_utf8_lossy(v.as_bytes()).into_owned()),
                None => defaults
                    .iter()
                    .find(|(k, _)| k == name)
                    .map(|(_, v)| v.clone()),
            }
        };
        let number = |name: &str| -> Result<Option<u64>, String> {
            get(name)
                .map(|v| {
                    v.trim()
                        .parse::<u64>()
                        .map_err(|_| format!("invalid {name}: {v:?}"))
                })
                .transpose()
        };
        let status = match get("x-mock-status") {
            Some(v) => {
                Some(parse_status(&v).ok_or_else(|| format!("invalid x-mock-status: {v:?}"))?)
            }
            None => None,
        };
        // `x-mock-fault-rate: 0.5` (or `x-mock-delay-rate`): the fault (or the head delay)
        // hits that share of the requests, drawn per request.
        let hits = |name: &str| -> Result<bool, String> {
            let rate = match get(name) {
                Some(v) => v
                    .trim()
                    .parse::<f64>()
                    .ok()
                    .filter(|r| (0.0..=1.0).contains(r))
                    .ok_or_else(|| format!("invalid {name}: {v:?} (0.0 to 1.0)"))?,
                None => 1.0,
            };
            Ok(rate >= 1.0 || fastrand::f64() < rate)
        };
        let fault_hits = hits("x-mock-fault-rate")?;
        let fault = get("x-mock-fault")
            .map(|v| Fault::parse(&v))
            .transpose()?
            .filter(|_| fault_hits);
        let delay = number("x-mock-delay-ms")?.map(Duration::from_millis);
        let delay = if hits("x-mock-delay-rate")? {
            delay
        } else {
            None
        };
        Ok(Self {
            fixture: get("x-mock-fixture"),
            status,
            delay,
            chunk_delay: number("x-mock-chunk-delay-ms")?.map(Duration::from_millis),
            chunks: number("x-mock-chunks")?.map(|n| n.min(100_000) as usize),
            text: get("x-mock-text"),
            fault,
        })
    }
}

/// A final status code (200..=599).
fn parse_status(s: &str) -> Option<u16> {
    s.trim()
        .parse::<u16>()
        .ok()
        .filter(|c| (200..=599).contains(c))
}
