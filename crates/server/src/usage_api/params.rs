//! Query-string parsing of the usage API: filters, bucket, dimension, paging. Every mistake
//! becomes a [`ParamError`] naming the parameter and the forms it accepts.

use llmux_store::{Bucket, By, Filter, StatusClass};

/// A query parameter the API cannot use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamError {
    /// The parameter's name.
    pub parameter: String,
    /// What was wrong with it.
    pub message: String,
    /// The forms it accepts.
    pub accepted: &'static str,
}

const TIME_FORMS: &str = "RFC 3339 (2026-11-22T14:00:00Z, offsets allowed) or unix seconds";
const STATUS_FORMS: &str = "1xx, 2xx, 3xx, 4xx or 5xx";
const TEXT_FORMS: &str = "a non-empty string";

/// Filter parameters every usage endpoint takes.
pub const FILTER_PARAMS: &[&str] = &["from", "to", "tag", "provider", "model", "key", "status"];

/// The query pairs of one request, checked against the parameters its endpoint knows.
pub struct Params(Vec<(String, String)>);

impl Params {
    /// Checks `pairs`: every name must be a filter or in `extra`, and appear once.
    pub fn new(pairs: Vec<(String, String)>, extra: &[&'static str]) -> Result<Self, ParamError> {
        for (i, (name, _)) in pairs.iter().enumerate() {
            if !FILTER_PARAMS.contains(&name.as_str()) && !extra.contains(&name.as_str()) {
                return Err(ParamError {
                    parameter: name.clone(),
                    message: format!("unknown parameter `{name}`"),
                    accepted: "from, to, tag, provider, model, key, status, and per endpoint: bucket (series), by (breakdown), page and per_page (requests)",
                });
            }
            if pairs[..i].iter().any(|(n, _)| n == name) {
                return Err(ParamError {
                    parameter: name.clone(),
                    message: format!("`{name}` given more than once"),
                    accepted: "each parameter at most once",
                });
            }
        }
        Ok(Params(pairs))
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The filter the common parameters describe.
    pub fn filter(&self) -> Result<Filter, ParamError> {
        let from_ms = self.get("from").map(|v| time("from", v)).transpose()?;
        let to_ms = self.get("to").map(|v| time("to", v)).transpose()?;
        let status = self.get("status").map(status_class).transpose()?;
        Ok(Filter {
            from_ms,
            to_ms,
            tag: self.text("tag")?,
            provider: self.text("provider")?,
            model: self.text("model")?,
            key_id: self.text("key")?,
            status,
        })
    }

    fn text(&self, name: &str) -> Result<Option<String>, ParamError> {
        match self.get(name) {
            None => Ok(None),
            Some("") => Err(bad(name, "is empty", TEXT_FORMS)),
            Some(v) => Ok(Some(v.to_owned())),
        }
    }

    /// The `bucket` parameter (default: hour).
    pub fn bucket(&self) -> Result<Bucket, ParamError> {
        match self.get("bucket") {
            None | Some("hour") => Ok(Bucket::Hour),
            Some("day") => Ok(Bucket::Day),
            Some(v) => Err(bad(
                "bucket",
                &format!("`{v}` is not a bucket"),
                "hour or day",
            )),
        }
    }

    /// The `by` parameter (required).
    pub fn by(&self) -> Result<By, ParamError> {
        const FORMS: &str = "tag, key, provider, model or client";
        match self.get("by") {
            Some("tag") => Ok(By::Tag),
            Some("key") => Ok(By::Key),
            Some("provider") => Ok(By::Provider),
            Some("model") => Ok(By::Model),
            Some("client") => Ok(By::Client),
            Some(v) => Err(bad("by", &format!("`{v}` is not a dimension"), FORMS)),
            None => Err(bad("by", "is required", FORMS)),
        }
    }

    /// The `page` (from 1, default 1) and `per_page` (1..=1000, default 50) parameters.
    pub fn paging(&self) -> Result<(u32, u32), ParamError> {
        let page = self.number("page", 1, u32::MAX, "an integer from 1")?;
        let per_page = self.number("per_page", 1, 1000, "an integer from 1 to 1000")?;
        Ok((page.unwrap_or(1), per_page.unwrap_or(50)))
    }

    fn number(
        &self,
        name: &str,
        low: u32,
        high: u32,
        forms: &'static str,
    ) -> Result<Option<u32>, ParamError> {
        let Some(v) = self.get(name) else {
            return Ok(None);
        };
        match v.parse::<u32>() {
            Ok(n) if (low..=high).contains(&n) => Ok(Some(n)),
            _ => Err(bad(name, &format!("`{v}` is out of range"), forms)),
        }
    }
}

fn bad(parameter: &str, what: &str, accepted: &'static str) -> ParamError {
    ParamError {
        parameter: parameter.to_owned(),
        message: format!("`{parameter}` {what}"),
        accepted,
    }
}

fn status_class(v: &str) -> Result<StatusClass, ParamError> {
    match v {
        "1xx" => Ok(StatusClass::Informational),
        "2xx" => Ok(StatusClass::Success),
        "3xx" => Ok(StatusClass::Redirect),
        "4xx" => Ok(StatusClass::ClientError),
        "5xx" => Ok(StatusClass::ServerError),
        _ => Err(bad(
            "status",
            &format!("`{v}` is not a status class"),
            STATUS_FORMS,
        )),
    }
}

/// `v` as milliseconds since the epoch: unix seconds or an RFC 3339 date-time.
fn time(name: &str, v: &str) -> Result<i64, ParamError> {
    let parsed = if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) {
        v.parse::<i64>().ok().and_then(|s| s.checked_mul(1000))
    } else {
        rfc3339_ms(v)
    };
    parsed.ok_or_else(|| bad(name, &format!("`{v}` is not a time"), TIME_FORMS))
}

/// Parses `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)` into ms since the epoch.
pub fn rfc3339_ms(v: &str) -> Option<i64> {
    let b = v.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    if !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let s = v.get(r)?;
        s.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| s.parse().ok())?
    };
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let mut rest = &v[19..];
    let mut millis = 0;
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        // Milliseconds: the first three digits, padded; finer digits are dropped.
        let ms: String = frac[..digits].chars().chain("00".chars()).take(3).collect();
        millis = ms.parse::<i64>().ok()?;
        rest = &frac[digits..];
    }
    let offset_s = match rest.as_bytes() {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let digits = [h1, h2, m1, m2];
            if !digits.iter().all(|c| c.is_ascii_digit()) {
                return None;
            }
            let d = |c: &u8| i64::from(c - b'0');
            let (h, m) = (d(h1) * 10 + d(h2), d(m1) * 10 + d(m2));
            if h > 23 || m > 59 {
                return None;
            }
            let s = h * 3600 + m * 60;
            if *sign == b'+' {
                s
            } else {
                -s
            }
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + hour * 3600 + minute * 60 + second - offset_s;
    Some(secs * 1000 + millis)
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to the given proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}
