//! Tests of the rate limiters with an injected clock: bucket burst and steady rate, Retry-After
//! values, per-key isolation and eviction, and the sliding window's RPM/TPM edges and settle.

use proptest::prelude::*;

use super::*;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

#[test]
fn bucket_burst_then_steady_rate_within_one_token() {
    let t0 = Instant::now();
    let mut b = TokenBucket::new(10.0, 20);
    for i in 0..20 {
        assert_eq!(b.try_take(1.0, t0), Ok(()), "burst admit {i}");
    }
    assert_eq!(b.try_take(1.0, t0), Err(ms(100)));
    let admitted = (1..=10_000)
        .filter(|&k| b.try_take(1.0, t0 + ms(k)).is_ok())
        .count();
    assert!((99..=101).contains(&admitted), "{admitted} admits in 10 s");
}

/// `(offset from a drained bucket's start, tokens asked, expected)`, in time order.
#[test]
fn bucket_retry_after_values() {
    let t0 = Instant::now();
    let mut b = TokenBucket::new(10.0, 20);
    assert_eq!(b.try_take(20.0, t0), Ok(()));
    let cases: &[(u64, f64, Result<(), Duration>)] = &[
        (0, 1.0, Err(ms(100))),
        (40, 1.0, Err(ms(60))),
        (40, 3.0, Err(ms(260))),
        (40, 0.5, Err(ms(10))),
        (50, 0.5, Ok(())),
        (100, 1.0, Err(ms(50))),
        (150, 1.0, Ok(())),
        (150, 21.0, Err(Duration::MAX)), // more than the burst: never
        (150, 0.0, Ok(())),
        (150, f64::NAN, Ok(())),
        (3_600_000, 20.0, Ok(())), // an hour idle refills to the burst, no more
        (3_600_000, 1.0, Err(ms(100))),
    ];
    for &(offset, n, want) in cases {
        assert_eq!(
            b.try_take(n, t0 + ms(offset)),
            want,
            "at {offset} ms, {n} tokens"
        );
    }
}

#[test]
fn bucket_state_queries_and_clock_going_back() {
    let t0 = Instant::now() + Duration::from_secs(5);
    let mut b = TokenBucket::new(2.0, 4);
    assert!(b.is_full(t0));
    assert_eq!(b.available(t0), 4.0);
    assert_eq!(b.try_take(3.0, t0), Ok(()));
    assert!(!b.is_full(t0));
    assert!((b.available(t0 + ms(250)) - 1.5).abs() < 1e-9);
    // An earlier `now` (another task's clock read) grants nothing extra: the debt is
    // measured from it, which is stricter.
    assert_eq!(
        b.try_take(1.0, t0 - Duration::from_secs(1)),
        Err(Duration::from_secs(1))
    );
    assert_eq!(b.try_take(1.0, t0), Ok(()));
    assert_eq!(b.try_take(1.0, t0), Err(ms(500)));
    assert!(b.is_full(t0 + Duration::from_secs(2)));
}

#[test]
fn bucket_odd_configurations_do_not_panic() {
    let t0 = Instant::now();
    for (rate, burst) in [
        (0.0, 0),
        (-1.0, 1),
        (f64::NAN, 1),
        (f64::INFINITY, 1),
        (1e12, 3),
    ] {
        let mut b = TokenBucket::new(rate, burst);
        assert_eq!(
            b.try_take(1.0, t0),
            Ok(()),
            "{rate}/{burst}: the first token is there"
        );
        let _ = b.try_take(1e300, t0);
        let _ = b.try_take(f64::INFINITY, t0);
    }
    // A near-zero rate waits long, but says so.
    let mut b = TokenBucket::new(0.0, 1);
    assert_eq!(b.try_take(1.0, t0), Ok(()));
    assert_eq!(b.try_take(1.0, t0), Err(Duration::from_secs(1_000_000)));
}

#[test]
fn keyed_limiter_isolates_keys() {
    let t0 = Instant::now();
    let l = KeyedLimiter::new(1.0, 2, 100);
    assert_eq!(l.check(&"a", t0), Ok(()));
    assert_eq!(l.check(&"a", t0), Ok(()));
    assert_eq!(l.check(&"a", t0 + ms(250)), Err(ms(750)));
    assert_eq!(l.check(&"b", t0 + ms(250)), Ok(()), "b has its own bucket");
    assert_eq!(l.check(&"b", t0 + ms(250)), Ok(()));
    assert_eq!(l.check(&"b", t0 + ms(250)), Err(Duration::from_secs(1)));
    assert_eq!(l.check(&"a", t0 + ms(1000)), Ok(()));
    assert_eq!(l.len(), 2);
}

#[test]
fn keyed_limiter_evicts_full_buckets_first_then_least_recently_used() {
    let t0 = Instant::now();
    // One shard of 8; a used bucket is full again 1 s after its last token.
    let l = KeyedLimiter::new(1.0, 2, 8);
    for k in 1..=8u32 {
        assert_eq!(l.check(&k, t0 + ms(u64::from(k))), Ok(()));
    }
    for k in 1..=4u32 {
        assert_eq!(l.check(&k, t0 + ms(500)), Ok(()));
    }
    // No bucket is full at 600 ms: key 5, used least recently, makes room for 9.
    assert_eq!(l.check(&9, t0 + ms(600)), Ok(()));
    assert_eq!(l.len(), 8);
    assert!(!l.contains(&5));
    assert!((1..=4).chain(6..=9).all(|k| l.contains(&k)));
    // Key 5 comes back with a fresh bucket (evicting key 6, now the oldest).
    assert_eq!(l.check(&5, t0 + ms(600)), Ok(()));
    assert!(!l.contains(&6));
    // At 1.1 s keys 7 and 8 are full again (one token each, last used at ~8 ms), so they go
    // rather than any busier key.
    assert_eq!(l.check(&10, t0 + ms(1100)), Ok(()));
    assert!(!l.contains(&7) && !l.contains(&8));
    assert!([1, 2, 3, 4, 5, 9, 10].iter().all(|k| l.contains(k)));
    assert_eq!(l.len(), 7);
}

#[test]
fn keyed_limiter_stays_within_max_keys_under_a_flood() {
    let t0 = Instant::now();
    for max_keys in [1, 7, 100, 2000] {
        let l = KeyedLimiter::new(10.0, 20, max_keys);
        for k in 0..5_000u32 {
            assert_eq!(l.check(&k, t0 + ms(u64::from(k % 50))), Ok(()));
            assert!(l.len() <= max_keys, "{} keys kept over {max_keys}", l.len());
        }
        assert!(!l.is_empty());
    }
}

/// `(offset in ms, estimated tokens, admitted or the wait in ms)`, in time order.
fn run_window(l: &WindowLimiter, t0: Instant, steps: &[(u64, u32, Result<(), u64>)]) {
    for &(offset, est, want) in steps {
        let got = l
            .try_admit(est, t0 + ms(offset))
            .map(|_| ())
            .map_err(|d| d.as_millis());
        assert_eq!(
            got,
            want.map_err(u128::from),
            "at {offset} ms, {est} tokens"
        );
    }
}

#[test]
fn window_rpm_edges() {
    let t0 = Instant::now();
    let l = WindowLimiter::new(Some(3), None);
    run_window(
        &l,
        t0,
        &[
            (0, 0, Ok(())),
            (10_000, 0, Ok(())),
            (20_050, 0, Ok(())),
            (30_000, 0, Err(30_100)), // the first admission counts until 60.1 s
            (60_099, 0, Err(1)),
            (60_100, 0, Ok(())),
            (60_100, 0, Err(10_000)), // next out: the one of 10 s, at 70.1 s
            (80_099, 0, Ok(())),      // the one of 10 s left at 70.1 s
            (80_099, 0, Err(1)),      // the one of 20.05 s leaves at 80.1 s, with its tick
        ],
    );
}

#[test]
fn window_tpm_edges() {
    let t0 = Instant::now();
    let l = WindowLimiter::new(None, Some(1000));
    run_window(
        &l,
        t0,
        &[
            (0, 600, Ok(())),
            (1_000, 400, Ok(())), // exactly the limit
            (2_000, 1, Err(58_100)),
            (60_100, 1, Ok(())), // the 600 left
            (60_100, 600, Err(1_000)),
            (61_100, 600, Ok(())),
        ],
    );
    // An estimate over the whole limit passes only into an empty window.
    let l = WindowLimiter::new(None, Some(1000));
    run_window(
        &l,
        t0,
        &[
            (0, 1, Ok(())),
            (0, 1500, Err(60_100)),
            (60_100, 1500, Ok(())),
        ],
    );
    run_window(&l, t0, &[(60_200, 1, Err(60_000))]);
}

#[test]
fn window_both_limits_wait_for_the_binding_one() {
    let t0 = Instant::now();
    let l = WindowLimiter::new(Some(2), Some(1000));
    run_window(
        &l,
        t0,
        &[
            (0, 100, Ok(())),
            (10_000, 800, Ok(())),
            // RPM binds at 60.1 s; the tokens would fit already.
            (20_000, 50, Err(40_100)),
            // At 60.1 s the RPM frees but 800 + 300 tokens do not fit before 70.1 s.
            (60_100, 300, Err(10_000)),
            (70_100, 300, Ok(())),
        ],
    );
}

#[test]
fn window_settle_replaces_the_estimate() {
    let t0 = Instant::now();
    let l = WindowLimiter::new(None, Some(1000));
    // Actual over the estimate: the window counts the actual.
    let r = l.try_admit(100, t0).unwrap();
    l.settle(r, 900, t0 + ms(5_000));
    assert_eq!(
        l.usage(t0 + ms(5_000)),
        WindowUsage {
            requests: 1,
            tokens: 900
        }
    );
    assert!(l.try_admit(200, t0 + ms(5_000)).is_err());
    // Actual under the estimate frees the difference at once.
    let l = WindowLimiter::new(None, Some(1000));
    let r = l.try_admit(900, t0).unwrap();
    assert!(l.try_admit(800, t0 + ms(1)).is_err());
    l.settle(r, 100, t0 + ms(2));
    assert!(l.try_admit(800, t0 + ms(3)).is_ok());
    assert_eq!(
        l.usage(t0 + ms(3)),
        WindowUsage {
            requests: 2,
            tokens: 900
        }
    );
    // Settled tokens leave with their admission's tick, not the settle's.
    assert_eq!(
        l.usage(t0 + ms(60_100)),
        WindowUsage {
            requests: 0,
            tokens: 0
        }
    );
}

#[test]
fn window_unsettled_and_late_settles() {
    let t0 = Instant::now();
    let l = WindowLimiter::new(None, Some(1000));
    // A cancelled request, never settled, stays counted as its estimate.
    let _cancelled = l.try_admit(900, t0).unwrap();
    assert_eq!(
        l.try_admit(200, t0 + ms(30_000)).map(|_| ()),
        Err(ms(30_100))
    );
    // A settle after the admission left the window changes nothing.
    let r = l.try_admit(100, t0 + ms(30_000)).unwrap();
    l.settle(r, 5_000, t0 + ms(90_200));
    assert_eq!(l.usage(t0 + ms(90_200)), WindowUsage::default());
    assert!(l.try_admit(1000, t0 + ms(90_200)).is_ok());
}

#[test]
fn window_without_limits_admits_everything_and_zero_reads_as_one() {
    let t0 = Instant::now();
    let l = WindowLimiter::new(None, None);
    for i in 0..1000 {
        assert!(l.try_admit(u32::MAX, t0 + ms(i)).is_ok());
    }
    assert_eq!(l.usage(t0 + ms(999)).requests, 1000);
    let l = WindowLimiter::new(Some(0), None);
    run_window(&l, t0, &[(0, 0, Ok(())), (0, 0, Err(60_100))]);
}

proptest! {
    /// Over any run of requests, a bucket admits at most `burst + rate × elapsed` tokens.
    #[test]
    fn bucket_never_exceeds_its_rate(
        rate in 0.5f64..100.0,
        burst in 1u32..50,
        steps in proptest::collection::vec((0u64..500, 0.1f64..5.0), 1..300),
    ) {
        let t0 = Instant::now();
        let mut b = TokenBucket::new(rate, burst);
        let (mut at, mut taken) = (0u64, 0.0);
        for (gap, n) in steps {
            at += gap;
            if b.try_take(n, t0 + ms(at)).is_ok() {
                taken += n;
            }
            let allowed = f64::from(burst) + rate * at as f64 / 1000.0;
            prop_assert!(taken <= allowed + 1e-6, "{taken} taken, {allowed} allowed");
        }
    }
}
