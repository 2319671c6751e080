//! Tests of the bucketed sliding window: expiry a bucket at a time, out-of-order events, clear.

use std::time::{Duration, Instant};

use super::Window;

const SEC: Duration = Duration::from_secs(1);

#[test]
fn events_leave_the_window_a_bucket_at_a_time() {
    let t0 = Instant::now();
    let mut w = Window::<2>::new(Duration::from_secs(10));
    w.add(0, t0);
    w.add(0, t0 + SEC * 3);
    w.add(1, t0 + SEC * 3);
    // (query time in seconds, expected sums)
    let table = [
        (0, [2, 1]),
        (9, [2, 1]),
        (10, [1, 1]), // the bucket of t0 has expired
        (12, [1, 1]),
        (13, [0, 0]),
        (1000, [0, 0]),
    ];
    for (at, want) in table {
        assert_eq!(w.sums(t0 + SEC * at), want, "at {at}s");
    }
}

#[test]
fn a_reused_slot_starts_from_zero() {
    let t0 = Instant::now();
    let mut w = Window::<1>::new(Duration::from_secs(10));
    w.add(0, t0);
    w.add(0, t0);
    // Same slot (epoch 10 % 10 == 0), ten periods later.
    w.add(0, t0 + SEC * 10);
    assert_eq!(w.sums(t0 + SEC * 10), [1]);
}

#[test]
fn an_event_older_than_the_window_is_dropped() {
    let t0 = Instant::now();
    let mut w = Window::<1>::new(Duration::from_secs(10));
    w.add(0, t0);
    w.add(0, t0 + SEC * 20);
    assert_eq!(w.sums(t0 + SEC * 20), [1]);
    // Epoch 0 maps to the slot epoch 20 now holds: it must not be counted into it.
    w.add(0, t0);
    assert_eq!(w.sums(t0 + SEC * 20), [1]);
    // A slightly late event inside the window is still counted.
    w.add(0, t0 + SEC * 15);
    assert_eq!(w.sums(t0 + SEC * 20), [2]);
}

#[test]
fn clear_forgets_everything_and_unknown_counters_are_ignored() {
    let t0 = Instant::now();
    let mut w = Window::<2>::new(Duration::from_secs(10));
    w.add(0, t0);
    w.add(7, t0);
    assert_eq!(w.sums(t0), [1, 0]);
    w.clear();
    assert_eq!(w.sums(t0), [0, 0]);
}

#[test]
fn a_zero_span_does_not_divide_by_zero() {
    let t0 = Instant::now();
    let mut w = Window::<1>::new(Duration::ZERO);
    w.add(0, t0);
    assert_eq!(w.sums(t0), [1]);
    assert_eq!(w.sums(t0 + SEC), [0]);
}
