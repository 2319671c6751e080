//! Retry tests: backoff tables (caps, jitter bounds, Retry-After), the budget under a failure
//! storm over an injected clock, and Retry-After header parsing.

use std::time::{Duration, Instant, SystemTime};

use proptest::prelude::*;

use super::*;

const MS: Duration = Duration::from_millis(1);
const SEC: Duration = Duration::from_secs(1);

#[test]
fn defaults() {
    let p = RetryPolicy::default();
    assert_eq!(
        (p.attempts, p.initial, p.max_backoff, p.max_retry_after),
        (2, MS * 200, SEC * 5, SEC * 10)
    );
}

#[test]
fn backoff_table() {
    let p = RetryPolicy {
        attempts: 40,
        ..RetryPolicy::default()
    };
    let max = u64::MAX;
    let half = 1u64 << 63;
    // (retry, retry_after, rand) → wait
    let table: [(u32, Option<Duration>, u64, Option<Duration>); 14] = [
        (0, None, max, None), // retries count from 1
        (1, None, 0, Some(Duration::ZERO)),
        (1, None, max, Some(MS * 200)), // the cap itself is reachable
        (1, None, half, Some(MS * 100)),
        (2, None, max, Some(MS * 400)),
        (5, None, max, Some(MS * 3_200)),
        (6, None, max, Some(SEC * 5)),  // 6.4 s capped
        (33, None, max, Some(SEC * 5)), // 2^32 overflows u32: capped
        (40, None, max, Some(SEC * 5)),
        (41, None, 0, None), // beyond attempts
        (1, Some(SEC * 3), max, Some(SEC * 3)),
        (1, Some(MS * 100), max, Some(MS * 200)), // jitter longer than Retry-After
        (1, Some(SEC * 10), 0, Some(SEC * 10)),   // exactly the longest we wait
        (1, Some(SEC * 10 + MS), 0, None),        // longer: give up
    ];
    for (retry, ra, rand, want) in table {
        assert_eq!(
            p.backoff(retry, ra, rand),
            want,
            "retry {retry}, retry_after {ra:?}, rand {rand:#x}"
        );
    }
    assert_eq!(
        RetryPolicy::default().backoff(3, None, 0),
        None,
        "default allows 2 retries"
    );
}

proptest! {
    /// Whatever the draw, the wait stays within the retry's cap, or is the Retry-After.
    #[test]
    fn backoff_stays_in_bounds(retry in 1u32..=10, rand: u64, ra_ms in proptest::option::of(0u64..10_000)) {
        let p = RetryPolicy { attempts: 10, ..RetryPolicy::default() };
        let ra = ra_ms.map(Duration::from_millis);
        let cap = (p.initial * 2u32.pow(retry - 1)).min(p.max_backoff);
        let wait = p.backoff(retry, ra, rand).unwrap();
        prop_assert!(wait <= cap.max(ra.unwrap_or_default()));
        prop_assert!(wait >= ra.unwrap_or_default());
    }
}

#[test]
fn budget_caps_a_failure_storm() {
    let budget = RetryBudget::new(0.2, 10, SEC * 10);
    let t0 = Instant::now();
    let mut retries = 0;
    // 1,000 requests within one window, each failing forever with unlimited attempts.
    for i in 0..1_000u32 {
        let now = t0 + MS * i;
        budget.on_request(now);
        while budget.try_retry(now) {
            retries += 1;
            assert!(retries <= 1_000, "budget never says no");
        }
    }
    // 20% of 1,000 plus the floor of 10/s over 10 s.
    assert_eq!(retries, 200 + 100);
}

#[test]
fn budget_floor_and_window() {
    let budget = RetryBudget::new(0.2, 1, SEC * 10);
    let t0 = Instant::now();
    let at = |s: u32| t0 + SEC * s;
    // No traffic at all: the floor (1/s × 10 s) still allows 10 retries.
    let taken = (0..20).filter(|_| budget.try_retry(at(0))).count();
    assert_eq!(taken, 10);
    // Five requests add one retry (0.2 × 5).
    for _ in 0..5 {
        budget.on_request(at(1));
    }
    assert!(budget.try_retry(at(1)));
    assert!(!budget.try_retry(at(1)));
    // The retries at t=0 leave the window at t=10; the requests at t=1 are still in it.
    assert!(!budget.try_retry(at(9)));
    let taken = (0..20).filter(|_| budget.try_retry(at(10))).count();
    assert_eq!(
        taken, 10,
        "floor 10 + 0.2 × 5, less the retry still counted from t=1"
    );
}

#[test]
fn retry_after_header_values() {
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777); // Sun, 06 Nov 1994 08:49:37 GMT
    let table: [(&str, Option<Duration>); 20] = [
        ("120", Some(SEC * 120)),
        (" 7 ", Some(SEC * 7)),
        ("0", Some(Duration::ZERO)),
        (
            "99999999999999999999999",
            Some(Duration::from_secs(u64::MAX)),
        ),
        ("-1", None),
        ("1.5", None),
        ("", None),
        ("soon", None),
        ("Sun, 06 Nov 1994 08:50:07 GMT", Some(SEC * 30)),
        ("Sun, 06 Nov 1994 08:49:37 GMT", Some(Duration::ZERO)),
        ("Sat, 05 Nov 1994 08:49:37 GMT", Some(Duration::ZERO)), // past
        ("Mon, 07 Nov 1994 08:49:37 GMT", Some(SEC * 86_400)),
        ("Sun, 06 Nov 1994 08:49:37 gmt", None),
        ("Xyz, 06 Nov 1994 08:49:37 GMT", None),
        ("Sun, 06 Nov 1994 24:00:00 GMT", None),
        ("Sun, 31 Feb 1995 08:49:37 GMT", None),
        ("Sun, 06 Nov 1994 08:49:37 GMT ", Some(Duration::ZERO)), // trimmed
        ("Sun, 6 Nov 1994 08:49:37 GMT", None),
        ("Sunday, 06-Nov-94 08:49:37 GMT", None), // RFC 850: obsolete
        ("Sun Nov  6 08:49:37 1994", None),       // asctime: obsolete
    ];
    for (value, want) in table {
        assert_eq!(retry_after(value, now), want, "{value:?}");
    }
}

#[test]
fn imf_fixdate_against_known_timestamps() {
    let table: [(&str, Option<u64>); 9] = [
        ("Thu, 01 Jan 1970 00:00:00 GMT", Some(0)),
        ("Sun, 06 Nov 1994 08:49:37 GMT", Some(784_111_777)),
        ("Tue, 29 Feb 2000 12:00:00 GMT", Some(951_825_600)), // 2000 is a leap year
        ("Fri, 01 Mar 2024 00:00:00 GMT", Some(1_709_251_200)),
        ("Mon, 01 Mar 2100 00:00:00 GMT", Some(4_107_542_400)),
        ("Fri, 31 Dec 9999 23:59:59 GMT", Some(253_402_300_799)),
        ("Mon, 29 Feb 2100 00:00:00 GMT", None), // 2100 is not
        ("Wed, 31 Dec 1969 23:59:59 GMT", None), // before the epoch
        ("Sun, 00 Nov 1994 08:49:37 GMT", None),
    ];
    for (value, want) in table {
        assert_eq!(imf_fixdate(value), want, "{value}");
    }
}
