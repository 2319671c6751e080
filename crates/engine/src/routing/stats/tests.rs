//! Member statistics tests: the in-flight guard, the moving averages, throttling over an
//! injected clock, and TTFT quantiles over the bounded ring.

use std::time::{Duration, Instant};

use super::*;

const MS: Duration = Duration::from_millis(1);

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

#[test]
fn in_flight_guard_counts_until_dropped_and_outlives_the_borrow() {
    let stats = MemberStats::default();
    let a = stats.start();
    let b = stats.start();
    assert_eq!(stats.in_flight(), 2);
    drop(a);
    assert_eq!(stats.in_flight(), 1);
    // The guard owns its counter: it can move to another thread ('static + Send).
    std::thread::spawn(move || drop(b)).join().unwrap();
    assert_eq!(stats.in_flight(), 0);
}

#[test]
fn moving_averages_step_by_step() {
    // (latency ms, ttft ms, ok) → (latency avg, ttft avg, success rate) after the sample.
    type Row = ((u64, Option<u64>, bool), (Option<f64>, Option<f64>, f64));
    let table: [Row; 5] = [
        ((100, None, true), (Some(100.0), None, 1.0)), // first sample initialises
        ((200, Some(50), true), (Some(130.0), Some(50.0), 1.0)),
        // A failure: latency untouched, TTFT still counts, success 1.0 → 0.7.
        ((5, Some(150), false), (Some(130.0), Some(80.0), 0.7)),
        ((5, None, false), (Some(130.0), Some(80.0), 0.49)),
        ((30, None, true), (Some(100.0), Some(80.0), 0.643)),
    ];
    let stats = MemberStats::default();
    assert_eq!((stats.latency_ms(), stats.ttft_ms()), (None, None));
    assert_eq!(stats.success_rate(), 1.0);
    for (i, ((lat, ttft, ok), (want_lat, want_ttft, want_ok))) in table.into_iter().enumerate() {
        stats.observe(MS * lat as u32, ttft.map(|t| MS * t as u32), ok);
        let got = (stats.latency_ms(), stats.ttft_ms(), stats.success_rate());
        let same = |a: Option<f64>, b: Option<f64>| match (a, b) {
            (Some(a), Some(b)) => close(a, b),
            (a, b) => a == b,
        };
        assert!(
            same(got.0, want_lat) && same(got.1, want_ttft) && close(got.2, want_ok),
            "row {i}: got {got:?}"
        );
    }
}

#[test]
fn throttling_over_an_injected_clock() {
    let stats = MemberStats::default();
    let t0 = Instant::now();
    let at = |s: u64| t0 + Duration::from_secs(s);
    assert!(!stats.throttled(at(0)));
    stats.throttle_until(at(5));
    // (query second, throttled?)
    for (t, want) in [(0, true), (4, true), (5, false), (9, false)] {
        assert_eq!(
            stats.throttled(at(t)),
            want,
            "at {t}s after throttle_until(5)"
        );
    }
    // (query second, time left)
    for (t, want) in [(0, Some(5)), (3, Some(2)), (5, None), (9, None)] {
        assert_eq!(
            stats.throttled_for(at(t)),
            want.map(Duration::from_secs),
            "at {t}s after throttle_until(5)"
        );
    }
    stats.throttle_until(at(2)); // shorter: ignored
    assert!(stats.throttled(at(4)));
    stats.throttle_until(at(10)); // longer: extends
    for (t, want) in [(9, true), (10, false)] {
        assert_eq!(
            stats.throttled(at(t)),
            want,
            "at {t}s after throttle_until(10)"
        );
    }
}

#[test]
fn ttft_quantiles_use_nearest_rank() {
    let stats = MemberStats::default();
    assert_eq!(stats.ttft_quantile(0.95), None);
    // Out of order on purpose: 1..=100 ms.
    for ms in (1..=100u32).rev() {
        stats.observe(MS, Some(MS * ms), true);
    }
    for (q, want_ms) in [
        (0.0, 1),
        (0.5, 50),
        (0.95, 95),
        (0.951, 96),
        (1.0, 100),
        (7.0, 100),
    ] {
        assert_eq!(stats.ttft_quantile(q), Some(MS * want_ms), "q = {q}");
    }
    assert_eq!(stats.ttft_quantile(f64::NAN), None);
}

#[test]
fn the_ttft_ring_keeps_only_the_last_128() {
    let stats = MemberStats::default();
    for ms in 1..=200u32 {
        stats.observe(MS, Some(MS * ms), true);
    }
    // The oldest kept is sample 73 (200 - 128 + 1).
    assert_eq!(stats.ttft_quantile(0.0), Some(MS * 73));
    assert_eq!(stats.ttft_quantile(1.0), Some(MS * 200));
    assert_eq!(stats.ttft_quantile(0.5), Some(MS * (72 + 64)));
}

#[test]
fn failures_without_ttft_leave_the_ring_empty() {
    let stats = MemberStats::default();
    stats.observe(MS * 10, None, false);
    assert_eq!(stats.ttft_quantile(0.5), None);
    assert_eq!(stats.latency_ms(), None);
}
