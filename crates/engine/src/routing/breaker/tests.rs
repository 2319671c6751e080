//! Breaker tests: scripted `(event, now) -> expected` tables over an injected clock, and
//! property tests that no outcome sequence wedges the breaker.

use std::time::{Duration, Instant};

use proptest::prelude::*;

use super::*;
use BreakerState::{Closed, HalfOpen, Open};
use Outcome::{Failure, RateLimited, Success};

/// One scripted event at a time in seconds from the start, with what it must give.
#[derive(Debug, Clone, Copy)]
enum Step {
    /// `admit` at t: `Ok(probe)` or the refusing state.
    Admit(u64, Result<bool, BreakerState>),
    /// `record(probe, outcome)` at t, and the transition it must report.
    Record(u64, bool, Outcome, Option<(BreakerState, BreakerState)>),
    /// `state` and `available` at t.
    Reads(u64, BreakerState, bool),
    /// `counts` at t.
    Counts(u64, (u32, u32, u32)),
}
use Step::{Admit, Counts, Reads, Record};

fn cfg() -> BreakerConfig {
    BreakerConfig::default() // 0.5, 60 s window, 5 requests, 30 s cooldown
}

/// `n` admitted ordinary requests at `t` with the same outcome and no transition.
fn many(n: usize, t: u64, outcome: Outcome) -> Vec<Step> {
    (0..n)
        .flat_map(|_| [Admit(t, Ok(false)), Record(t, false, outcome, None)])
        .collect()
}

/// Opens a default breaker at t = 0 with five failures.
fn opened() -> Vec<Step> {
    let mut steps = many(4, 0, Failure);
    steps.extend([
        Admit(0, Ok(false)),
        Record(0, false, Failure, Some((Closed, Open))),
    ]);
    steps
}

fn run(name: &str, cfg: BreakerConfig, steps: &[Step]) {
    let t0 = Instant::now();
    let at = |s: u64| t0 + Duration::from_secs(s);
    let b = Breaker::new(cfg);
    for (i, step) in steps.iter().enumerate() {
        let ctx = format!("{name}, step {i}: {step:?}");
        match *step {
            Admit(t, want) => assert_eq!(b.admit(at(t)).map(|a| a.probe), want, "{ctx}"),
            Record(t, probe, outcome, want) => {
                let got = b.record(probe, outcome, at(t)).map(|tr| (tr.from, tr.to));
                assert_eq!(got, want, "{ctx}");
            }
            Reads(t, state, available) => {
                assert_eq!(b.state(at(t)), state, "{ctx}");
                assert_eq!(b.available(at(t)), available, "{ctx}");
            }
            Counts(t, want) => assert_eq!(b.counts(at(t)), want, "{ctx}"),
        }
    }
}

#[test]
fn scripted_lifecycles() {
    let cases: Vec<(&str, Vec<Step>)> = vec![
        ("below min_requests stays closed", {
            let mut s = many(4, 0, Failure);
            s.extend([Reads(0, Closed, true), Counts(0, (0, 4, 0))]);
            s
        }),
        ("opens at exactly the threshold", {
            let mut s = many(5, 0, Success);
            s.extend(many(4, 1, Failure));
            s.extend([
                Admit(2, Ok(false)),
                Record(2, false, Failure, Some((Closed, Open))),
            ]);
            s.extend([Reads(2, Open, false), Admit(2, Err(Open))]);
            s
        }),
        ("a success never opens, the next failure does", {
            let mut s = many(4, 0, Failure);
            s.extend(many(1, 0, Success)); // 4/5 failed, but the event is a success
            s.extend([Reads(0, Closed, true)]);
            s.extend([Record(0, false, Failure, Some((Closed, Open)))]);
            s
        }),
        ("rate-limited answers count apart", {
            let mut s = many(10, 0, RateLimited);
            s.extend(many(1, 0, Failure)); // 1 counted request < min_requests
            s.extend([Reads(0, Closed, true), Counts(0, (0, 1, 10))]);
            s
        }),
        ("failures leave the window", {
            let mut s = many(4, 0, Failure);
            s.extend([Counts(59, (0, 4, 0)), Counts(60, (0, 0, 0))]);
            s.extend(many(1, 60, Failure)); // only 1 counted now
            s.extend([Reads(60, Closed, true)]);
            s
        }),
        (
            "cooldown, single probe, probe success closes with a fresh window",
            {
                let mut s = opened();
                s.extend([
                    Reads(29, Open, false),
                    Admit(29, Err(Open)),
                    Reads(30, HalfOpen, true),
                    Admit(30, Ok(true)),
                    Reads(31, HalfOpen, false),
                    Admit(31, Err(HalfOpen)),
                    Record(40, true, Success, Some((HalfOpen, Closed))),
                    Reads(40, Closed, true),
                    Counts(40, (0, 0, 0)),
                    Admit(40, Ok(false)),
                ]);
                s
            },
        ),
        ("probe failure reopens for a new cooldown", {
            let mut s = opened();
            s.extend([
                Admit(30, Ok(true)),
                Record(35, true, Failure, Some((HalfOpen, Open))),
                Reads(64, Open, false),
                Admit(64, Err(Open)),
                Admit(65, Ok(true)),
            ]);
            s
        }),
        ("rate-limited probe reopens for a new cooldown", {
            let mut s = opened();
            s.extend([
                Admit(30, Ok(true)),
                Record(31, true, RateLimited, Some((HalfOpen, Open))),
                Admit(60, Err(Open)),
                Admit(61, Ok(true)),
            ]);
            s
        }),
        ("a lost probe's lease expires after a cooldown", {
            let mut s = opened();
            s.extend([
                Admit(30, Ok(true)), // never reports back
                Admit(59, Err(HalfOpen)),
                Reads(59, HalfOpen, false),
                Reads(60, HalfOpen, true),
                Admit(60, Ok(true)),
                Record(61, true, Success, Some((HalfOpen, Closed))),
                // The first probe reports at last: counted, no transition.
                Record(62, true, Failure, None),
                Counts(62, (0, 1, 0)),
                Reads(62, Closed, true),
            ]);
            s
        }),
        (
            "late ordinary results do not move an open or half-open breaker",
            {
                let mut s = opened();
                s.extend([
                    Record(1, false, Success, None),
                    Reads(1, Open, false),
                    Admit(30, Ok(true)),
                    Record(31, false, Success, None),
                    Record(31, false, Failure, None),
                    Reads(31, HalfOpen, false),
                ]);
                s
            },
        ),
    ];
    for (name, steps) in cases {
        run(name, cfg(), &steps);
    }
}

#[test]
fn threshold_and_min_requests_are_honoured() {
    let strict = BreakerConfig {
        threshold: 0.3,
        min_requests: 10,
        ..cfg()
    };
    // 3 failures out of 10 is exactly 0.3: must open (no float rounding surprise).
    let mut s = many(7, 0, Success);
    s.extend(many(2, 0, Failure));
    s.extend([Record(0, false, Failure, Some((Closed, Open)))]);
    run("threshold 0.3", strict.clone(), &s);

    let mut s = many(9, 0, Failure);
    s.extend([Reads(0, Closed, true)]);
    s.extend([Record(0, false, Failure, Some((Closed, Open)))]);
    run("min_requests 10", strict, &s);
}

#[test]
fn names_and_defaults() {
    assert_eq!(Closed.as_str(), "closed");
    assert_eq!(Open.as_str(), "open");
    assert_eq!(HalfOpen.as_str(), "half_open");
    let d = BreakerConfig::default();
    assert_eq!(
        (d.threshold, d.window, d.min_requests, d.cooldown),
        (0.5, Duration::from_secs(60), 5, Duration::from_secs(30))
    );
}

#[test]
fn a_huge_cooldown_does_not_overflow() {
    let b = Breaker::new(BreakerConfig {
        cooldown: Duration::MAX,
        min_requests: 1,
        ..cfg()
    });
    let now = Instant::now();
    assert!(b.record(false, Failure, now).is_some());
    assert_eq!(b.admit(now + Duration::from_secs(3600)), Err(Open));
}

/// One operation of a random history: how long after the previous one, and what.
#[derive(Debug, Clone, Copy)]
enum Op {
    /// Admit and never report (a cancelled request).
    AdmitAndDrop,
    /// Admit, then report this outcome.
    AdmitAndRecord(Outcome),
    /// A late report of an ordinary request admitted long ago.
    LateRecord(Outcome),
}

fn op() -> impl Strategy<Value = Op> {
    let outcome = prop_oneof![Just(Success), Just(Failure), Just(RateLimited)];
    prop_oneof![
        Just(Op::AdmitAndDrop),
        outcome.clone().prop_map(Op::AdmitAndRecord),
        outcome.prop_map(Op::LateRecord),
    ]
}

proptest! {
    /// Liveness: whatever happened, one cooldown after the last event the breaker admits again.
    /// Along the way `available` always agrees with `admit`, and a second probe never goes out
    /// while an unreported one holds a live lease.
    #[test]
    fn never_wedged(history in proptest::collection::vec((0u64..4_000, op()), 0..200)) {
        let cfg = BreakerConfig {
            threshold: 0.5,
            window: Duration::from_secs(10),
            min_requests: 2,
            cooldown: Duration::from_secs(3),
        };
        let cooldown = cfg.cooldown;
        let b = Breaker::new(cfg);
        let mut now = Instant::now();
        let mut pending_probe: Option<Instant> = None;
        for (dt_ms, op) in history {
            now += Duration::from_millis(dt_ms);
            let late = match op {
                Op::LateRecord(outcome) => Some(outcome),
                _ => None,
            };
            if let Some(outcome) = late {
                b.record(false, outcome, now);
                continue;
            }
            let available = b.available(now);
            let admitted = b.admit(now);
            prop_assert_eq!(available, admitted.is_ok());
            let Ok(admission) = admitted else { continue };
            if admission.probe {
                if let Some(sent) = pending_probe {
                    prop_assert!(now >= sent + cooldown, "second probe inside the lease");
                }
                pending_probe = Some(now);
            }
            if let Op::AdmitAndRecord(outcome) = op {
                b.record(admission.probe, outcome, now);
                if admission.probe {
                    pending_probe = None;
                }
            }
        }
        let later = now + cooldown;
        prop_assert!(b.available(later));
        prop_assert!(b.admit(later).is_ok());
    }
}
