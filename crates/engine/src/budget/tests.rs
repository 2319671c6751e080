//! Budget tests: the admission and settlement rules as a table, 200 racing threads against a
//! budget for 10, and a property test of the invariant over random interleavings.

use super::*;
use proptest::prelude::*;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Barrier;

const USD: u64 = 1_000_000_000;

fn raw(budget: &Budget) -> State {
    *budget.inner.lock()
}

/// One step of a table row.
#[derive(Debug, Clone, Copy)]
enum Step {
    /// Reserve this estimate; expect admission or not.
    Reserve(f64, bool),
    /// Settle the oldest open reservation with this actual.
    Settle(Option<f64>),
    /// Drop the oldest open reservation unsettled.
    Drop,
    /// Change the limit.
    Limit(f64),
}

/// A table row: name, limit, already spent, steps, expected (spent, reserved, in flight) in
/// nano-dollars.
type Row = (&'static str, f64, f64, Vec<Step>, (u64, u64, u64));

#[test]
fn admission_and_settlement_rules() {
    use Step::*;
    let cases: Vec<Row> = vec![
        (
            "fits exactly",
            1.0,
            0.0,
            vec![Reserve(1.0, true)],
            (0, USD, 1),
        ),
        (
            "one nano too many",
            1.0,
            0.0,
            vec![Reserve(1.000_000_001, false)],
            (0, 0, 0),
        ),
        (
            "reserved counts",
            1.0,
            0.0,
            vec![Reserve(0.6, true), Reserve(0.5, false)],
            (0, 600_000_000, 1),
        ),
        (
            "restored spent counts",
            1.0,
            0.7,
            vec![Reserve(0.4, false), Reserve(0.3, true)],
            (700_000_000, 300_000_000, 1),
        ),
        (
            "unknown actual keeps estimate",
            1.0,
            0.0,
            vec![Reserve(0.4, true), Settle(None)],
            (400_000_000, 0, 0),
        ),
        (
            "cheaper actual frees headroom",
            1.0,
            0.0,
            vec![Reserve(0.6, true), Settle(Some(0.1)), Reserve(0.9, true)],
            (100_000_000, 900_000_000, 1),
        ),
        (
            "dearer actual overruns by the difference",
            1.0,
            0.0,
            vec![Reserve(0.5, true), Settle(Some(1.2))],
            (1_200_000_000, 0, 0),
        ),
        (
            "spent budget refuses",
            1.0,
            0.0,
            vec![Reserve(1.0, true), Settle(None), Reserve(0.000_001, false)],
            (USD, 0, 0),
        ),
        (
            "local model admitted on a spent budget",
            1.0,
            1.5,
            vec![Reserve(0.0, true), Settle(Some(0.0))],
            (1_500_000_000, 0, 0),
        ),
        (
            "negative and NaN estimates are free",
            0.0,
            0.0,
            vec![Reserve(-1.0, true), Reserve(f64::NAN, true)],
            (0, 0, 2),
        ),
        (
            "infinite estimate refused",
            1e6,
            0.0,
            vec![Reserve(f64::INFINITY, false)],
            (0, 0, 0),
        ),
        (
            "dropped reservation counts its estimate",
            1.0,
            0.0,
            vec![Reserve(0.3, true), Drop],
            (300_000_000, 0, 0),
        ),
        (
            "lower limit refuses, keeps in flight",
            1.0,
            0.0,
            vec![Reserve(0.5, true), Limit(0.4), Reserve(0.01, false)],
            (0, 500_000_000, 1),
        ),
        (
            "zero limit admits only zero",
            0.0,
            0.0,
            vec![Reserve(0.01, false), Reserve(0.0, true)],
            (0, 0, 1),
        ),
    ];
    for (name, limit, spent, steps, (want_spent, want_reserved, want_in_flight)) in cases {
        let budget = Budget::with_spent(limit, spent);
        let mut open = std::collections::VecDeque::new();
        for step in steps {
            match step {
                Reserve(estimate, admit) => {
                    let got = budget.reserve(estimate);
                    assert_eq!(got.is_ok(), admit, "{name}: reserve {estimate}");
                    if let Ok(r) = got {
                        open.push_back(r);
                    }
                }
                Settle(actual) => {
                    let r = open.pop_front();
                    assert!(r.is_some(), "{name}: nothing to settle");
                    if let Some(r) = r {
                        budget.settle(r, actual);
                    }
                }
                Drop => drop(open.pop_front()),
                Limit(usd) => budget.set_limit(usd),
            }
        }
        let state = raw(&budget);
        assert_eq!(
            (state.spent, state.reserved, state.in_flight),
            (want_spent, want_reserved, want_in_flight),
            "{name}"
        );
        // Settle whatever is left so the rows do not depend on drop order.
        open.into_iter().for_each(|r| budget.settle(r, Some(0.0)));
    }
}

#[test]
fn refusal_says_why() {
    let budget = Budget::new(1.0);
    let held = budget.reserve(0.75);
    let err = budget.reserve(0.5).err();
    assert_eq!(
        err.map(|e| e.to_string()).unwrap_or_default(),
        "budget spent: $0.0000 spent and $0.7500 reserved of $1.0000, this request needs an estimated $0.5000"
    );
    assert_eq!(held.map(|r| r.estimate_usd()).ok(), Some(0.75));
}

#[test]
fn two_hundred_racing_requests_admit_exactly_ten() {
    const THREADS: usize = 200;
    let budget = Budget::new(1.0);
    let admitted = AtomicUsize::new(0);
    let start = Barrier::new(THREADS);
    std::thread::scope(|s| {
        for i in 0..THREADS {
            let (budget, admitted, start) = (&budget, &admitted, &start);
            s.spawn(move || {
                start.wait();
                if let Ok(r) = budget.reserve(0.1) {
                    admitted.fetch_add(1, Ordering::Relaxed);
                    let state = raw(budget);
                    // Actuals equal the estimates here, so there is no overrun to allow for.
                    assert!(state.spent + state.reserved <= state.limit, "{state:?}");
                    std::thread::yield_now();
                    // Half know their cost, half do not; both settle at the estimate.
                    budget.settle(r, (i % 2 == 0).then_some(0.1));
                }
            });
        }
    });
    assert_eq!(admitted.load(Ordering::Relaxed), 10);
    let state = raw(&budget);
    assert_eq!((state.spent, state.reserved, state.in_flight), (USD, 0, 0));
}

/// One operation of a random interleaving.
#[derive(Debug, Clone)]
enum Op {
    /// Reserve an estimate (in milli-dollars).
    Reserve(u32),
    /// Settle the open reservation at this index (modulo their number) with an actual in
    /// milli-dollars, or unknown.
    Settle(usize, Option<u32>),
    /// Drop the open reservation at this index unsettled.
    Drop(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0u32..400).prop_map(Op::Reserve),
        (any::<usize>(), proptest::option::of(0u32..600)).prop_map(|(i, a)| Op::Settle(i, a)),
        any::<usize>().prop_map(Op::Drop),
    ]
}

/// Runs `ops` against a budget of `limit_milli` and checks the invariant after every step.
/// With `cap_actual`, actuals never exceed their estimate (estimates are upper bounds).
fn check_interleaving(
    limit_milli: u32,
    ops: Vec<Op>,
    cap_actual: bool,
) -> Result<(), TestCaseError> {
    const MILLI: u64 = 1_000_000;
    let budget = Budget::new(f64::from(limit_milli) / 1e3);
    let limit = u64::from(limit_milli) * MILLI;
    let mut open: Vec<Reservation> = Vec::new();
    let mut overrun = 0u64;
    for op in ops {
        let before = raw(&budget);
        match op {
            Op::Reserve(e) => {
                let estimate = u64::from(e) * MILLI;
                let fits = estimate == 0 || before.spent + before.reserved + estimate <= limit;
                let got = budget.reserve(f64::from(e) / 1e3);
                prop_assert_eq!(got.is_ok(), fits);
                open.extend(got.ok());
            }
            Op::Settle(_, _) | Op::Drop(_) if open.is_empty() => {}
            Op::Settle(i, actual) => {
                let r = open.swap_remove(i % open.len());
                let actual = actual.map(|a| {
                    if cap_actual {
                        a.min((r.estimate / MILLI) as u32)
                    } else {
                        a
                    }
                });
                let cost = actual.map_or(r.estimate, |a| u64::from(a) * MILLI);
                overrun += cost.saturating_sub(r.estimate);
                budget.settle(r, actual.map(|a| f64::from(a) / 1e3));
            }
            Op::Drop(i) => drop(open.swap_remove(i % open.len())),
        }
        let state = raw(&budget);
        prop_assert_eq!(state.reserved, open.iter().map(|r| r.estimate).sum::<u64>());
        prop_assert_eq!(state.in_flight, open.len() as u64);
        prop_assert!(
            state.spent + state.reserved <= limit + overrun,
            "{:?} overrun {}",
            state,
            overrun
        );
        if cap_actual {
            prop_assert_eq!(overrun, 0);
            // Issue 5's bound, implied: at most one in-flight estimate past the limit (here none).
            prop_assert!(state.spent + state.reserved <= limit);
        }
    }
    Ok(())
}

proptest! {
    #[test]
    fn invariant_holds_over_random_interleavings(
        limit in 0u32..3000,
        ops in proptest::collection::vec(op(), 0..80),
    ) {
        check_interleaving(limit, ops, false)?;
    }

    #[test]
    fn upper_bound_estimates_never_pass_the_limit(
        limit in 0u32..3000,
        ops in proptest::collection::vec(op(), 0..80),
    ) {
        check_interleaving(limit, ops, true)?;
    }
}
