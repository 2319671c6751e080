//! The retry policy: how many retries, the jittered backoff before each (honouring
//! Retry-After), the retry budget that caps retries across requests, and the Retry-After
//! header parser.

use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

use super::window::Window;

/// How often and after how long a failed attempt is retried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first try. Default 2.
    pub attempts: u32,
    /// Backoff cap of the first retry; doubles with each retry. Default 200 ms.
    pub initial: Duration,
    /// Largest backoff cap. Default 5 s.
    pub max_backoff: Duration,
    /// Longest Retry-After we wait for; a longer one ends the retries. Default 10 s.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            attempts: 2,
            initial: Duration::from_millis(200),
            max_backoff: Duration::from_secs(5),
            max_retry_after: Duration::from_secs(10),
        }
    }
}

impl RetryPolicy {
    /// The wait before retry number `retry` (1 for the first retry), or `None` to stop
    /// retrying: when `retry` is 0 or beyond `attempts`, or when the upstream's Retry-After is
    /// longer than `max_retry_after` (giving up beats holding the client).
    ///
    /// Full jitter: uniform in `[0, min(max_backoff, initial × 2^(retry−1))]`, drawn from
    /// `rand`. With a Retry-After the wait is `max(jitter, retry_after)`.
    pub fn backoff(
        &self,
        retry: u32,
        retry_after: Option<Duration>,
        rand: u64,
    ) -> Option<Duration> {
        if retry == 0 || retry > self.attempts {
            return None;
        }
        if retry_after.is_some_and(|ra| ra > self.max_retry_after) {
            return None;
        }
        let cap = 2u32
            .checked_pow(retry - 1)
            .and_then(|factor| self.initial.checked_mul(factor))
            .map_or(self.max_backoff, |d| d.min(self.max_backoff));
        let cap_nanos = u64::try_from(cap.as_nanos()).unwrap_or(u64::MAX - 1);
        // Multiply-shift maps the draw onto [0, cap_nanos] inclusive.
        let jitter = (u128::from(rand) * (u128::from(cap_nanos) + 1)) >> 64;
        let jitter = Duration::from_nanos(jitter as u64);
        Some(retry_after.map_or(jitter, |ra| jitter.max(ra)))
    }
}

const REQUESTS: usize = 0;
const RETRIES: usize = 1;

/// Caps retries across all requests of a group so a failing upstream is not hit by a retry
/// storm: within the sliding window, retries ≤ `ratio × requests + min_per_sec × window`
/// (the second term lets low traffic retry at all). Requests are counted by
/// [`on_request`](Self::on_request) once per client request; retries do not add to it.
#[derive(Debug)]
pub struct RetryBudget {
    ratio: f64,
    /// `min_per_sec × window seconds`, precomputed.
    floor: f64,
    window: Mutex<Window<2>>,
}

impl RetryBudget {
    /// A budget allowing `ratio` retries per request (e.g. 0.2) plus `min_per_sec` retries per
    /// second of `window` (e.g. 10 over 10 s).
    pub fn new(ratio: f64, min_per_sec: u32, window: Duration) -> Self {
        Self {
            ratio,
            floor: f64::from(min_per_sec) * window.as_secs_f64(),
            window: Mutex::new(Window::new(window)),
        }
    }

    /// Counts one client request at `now`.
    pub fn on_request(&self, now: Instant) {
        self.lock().add(REQUESTS, now);
    }

    /// Takes one retry from the budget at `now` if it has room; `false` means do not retry.
    pub fn try_retry(&self, now: Instant) -> bool {
        let mut window = self.lock();
        let [requests, retries] = window.sums(now);
        if f64::from(retries) < self.ratio * f64::from(requests) + self.floor {
            window.add(RETRIES, now);
            true
        } else {
            false
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Window<2>> {
        // A window is consistent at every step, so a poisoned lock is still usable.
        self.window.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Parses a Retry-After header value at `now_system`: delta-seconds (`"120"`) or an
/// IMF-fixdate (`"Sun, 06 Nov 1994 08:49:37 GMT"`). A date in the past gives zero. The
/// obsolete RFC 850 and asctime date forms, and anything else, give `None`.
pub fn retry_after(value: &str, now_system: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // Too many digits for a u64 is still "a very long time".
        return Some(Duration::from_secs(value.parse().unwrap_or(u64::MAX)));
    }
    let at = imf_fixdate(value)?;
    let now = now_system
        .duration_since(SystemTime::UNIX_EPOCH)
        .ok()?
        .as_secs();
    Some(Duration::from_secs(at.saturating_sub(now)))
}

/// Seconds since the Unix epoch of an IMF-fixdate (RFC 9110 §5.6.7), e.g.
/// `Sun, 06 Nov 1994 08:49:37 GMT`. The weekday name is checked for spelling, not against the
/// date. Dates before 1970 give `None`.
fn imf_fixdate(s: &str) -> Option<u64> {
    const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let b = s.as_bytes();
    // "Sun, 06 Nov 1994 08:49:37 GMT": fixed punctuation at fixed places.
    let fixed = [
        (3, b','),
        (4, b' '),
        (7, b' '),
        (11, b' '),
        (16, b' '),
        (19, b':'),
        (22, b':'),
        (25, b' '),
    ];
    if b.len() != 29
        || !s.is_ascii()
        || fixed.iter().any(|&(at, c)| b[at] != c)
        || &s[26..] != "GMT"
    {
        return None;
    }
    if !DAYS.contains(&&s[..3]) {
        return None;
    }
    let number = |from: usize, len: usize| -> Option<u64> {
        let digits = &s[from..from + len];
        digits
            .bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| digits.parse().ok())?
    };
    let day = number(5, 2)?;
    let month = MONTHS.iter().position(|m| *m == &s[8..11])? as u64 + 1;
    let year = number(12, 4)?;
    let (hour, minute, second) = (number(17, 2)?, number(20, 2)?, number(23, 2)?);
    // Second 60 is a leap second, allowed by the grammar.
    if day == 0 || day > days_in_month(year, month) || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let days = days_since_epoch(year, month, day)?;
    Some(days * 86_400 + hour * 3_600 + minute * 60 + second)
}

fn is_leap(year: u64) -> bool {
    year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400))
}

fn days_in_month(year: u64, month: u64) -> u64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to the given (valid) date, or `None` before 1970: whole years with
/// their leap days counted by the Gregorian rule, then the months of the final year.
fn days_since_epoch(year: u64, month: u64, day: u64) -> Option<u64> {
    if year < 1970 {
        return None;
    }
    let leap_years = |y: u64| y / 4 - y / 100 + y / 400; // leap years in 1..=y
    let full_years = year - 1970;
    let leaps = leap_years(year - 1) - leap_years(1969);
    let months: u64 = (1..month).map(|m| days_in_month(year, m)).sum();
    Some(full_years * 365 + leaps + months + day - 1)
}

#[cfg(test)]
mod tests;
