//! Balancer tests: strategy names, eligibility and priority tiers, and each strategy's choice
//! from given weights and statistics (exact sequences, long-run shares, scores).

use std::time::Duration;

use super::*;
use crate::routing::stats::InFlight;

const ALL: [Strategy; 7] = [
    Strategy::RoundRobin,
    Strategy::WeightedRoundRobin,
    Strategy::Random,
    Strategy::Failover,
    Strategy::ResponseAware,
    Strategy::LeastInFlight,
    Strategy::TtftAware,
];

/// A member's fixture: weight, priority, available, and the statistics behind it.
struct Member {
    weight: u32,
    priority: u32,
    available: bool,
    stats: MemberStats,
    /// Requests held in flight for the test's duration.
    _in_flight: Vec<InFlight>,
}

fn member(weight: u32, priority: u32, available: bool) -> Member {
    Member {
        weight,
        priority,
        available,
        stats: MemberStats::default(),
        _in_flight: Vec::new(),
    }
}

/// A member with a latency sample (ms), a TTFT sample (ms), failures, and requests in flight.
fn measured(latency: Option<u64>, ttft: Option<u64>, failures: u32, in_flight: u32) -> Member {
    let mut m = member(1, 0, true);
    if let Some(ms) = latency {
        m.stats.observe(Duration::from_millis(ms), None, true);
    }
    if let Some(ms) = ttft {
        // Rows with a TTFT do not look at latency, so this sample's latency does not matter.
        m.stats
            .observe(Duration::ZERO, Some(Duration::from_millis(ms)), true);
    }
    for _ in 0..failures {
        m.stats.observe(Duration::ZERO, None, false);
    }
    m._in_flight = (0..in_flight).map(|_| m.stats.start()).collect();
    m
}

fn candidates(members: &[Member]) -> Vec<Candidate<'_>> {
    members
        .iter()
        .map(|m| Candidate {
            weight: m.weight,
            priority: m.priority,
            stats: &m.stats,
            available: m.available,
        })
        .collect()
}

/// `n` picks with no member tried and a fixed draw.
fn picks(b: &Balancer, members: &[Member], n: usize) -> Vec<Option<usize>> {
    let c = candidates(members);
    (0..n).map(|_| b.pick(&c, &[], 0)).collect()
}

#[test]
fn names_round_trip_and_aliases() {
    for s in ALL {
        assert_eq!(s.as_str().parse::<Strategy>(), Ok(s));
        assert_eq!(s.to_string(), s.as_str());
    }
    assert_eq!("roundrobin".parse(), Ok(Strategy::RoundRobin));
    assert_eq!(
        "weighted_roundrobin".parse(),
        Ok(Strategy::WeightedRoundRobin)
    );
    assert_eq!(Strategy::default(), Strategy::RoundRobin);
    let err = "fastest".parse::<Strategy>().unwrap_err().to_string();
    assert!(err.contains("`fastest`"), "{err}");
    for s in ALL {
        assert!(err.contains(s.as_str()), "{err} lacks {s}");
    }
}

#[test]
fn eligibility_and_tiers_hold_for_every_strategy() {
    // (members as (weight, priority, available), tried) → the only acceptable pick
    type Row = (&'static [(u32, u32, bool)], &'static [usize], Option<usize>);
    let table: [Row; 6] = [
        (&[], &[], None),
        (&[(1, 0, false), (1, 0, false)], &[], None),
        (&[(1, 0, true), (1, 0, true)], &[0, 1], None),
        // The best tier is priority 0 even when it comes last.
        (&[(1, 1, true), (1, 1, true), (1, 0, true)], &[], Some(2)),
        // Priority 0 is unavailable or tried: the next tier serves.
        (&[(1, 0, false), (1, 2, true), (1, 0, true)], &[2], Some(1)),
        (&[(1, 0, true), (9, 0, false), (9, 1, true)], &[], Some(0)),
    ];
    for strategy in ALL {
        for (i, (spec, tried, want)) in table.iter().enumerate() {
            let members: Vec<Member> = spec.iter().map(|&(w, p, a)| member(w, p, a)).collect();
            let b = Balancer::new(strategy, members.len());
            for rand in [0, u64::MAX / 3, u64::MAX] {
                let got = b.pick(&candidates(&members), tried, rand);
                assert_eq!(got, *want, "{strategy}, row {i}, rand {rand}");
            }
        }
    }
}

#[test]
fn round_robin_rotates_over_the_eligible() {
    let mut members = vec![member(1, 0, true), member(1, 0, true), member(1, 0, true)];
    let b = Balancer::new(Strategy::RoundRobin, 3);
    assert_eq!(picks(&b, &members, 6), [0, 1, 2, 0, 1, 2].map(Some));
    members[1].available = false;
    let got = picks(&b, &members, 4);
    assert!(
        got.iter().all(|p| *p == Some(0) || *p == Some(2)),
        "{got:?}"
    );
    assert_ne!(got[0], got[1], "alternates: {got:?}");
}

#[test]
fn smooth_weighted_round_robin_interleaves() {
    let members = vec![member(5, 0, true), member(1, 0, true), member(1, 0, true)];
    let b = Balancer::new(Strategy::WeightedRoundRobin, 3);
    let cycle = [0, 0, 1, 0, 2, 0, 0].map(Some);
    let got = picks(&b, &members, 14);
    assert_eq!(got[..7], cycle);
    assert_eq!(got[7..], cycle, "the cycle repeats");
}

#[test]
fn smooth_weighted_round_robin_shares_match_weights() {
    for weights in [[5, 3, 2], [7, 2, 1], [1, 1, 98], [0, 0, 0]] {
        let members: Vec<Member> = weights.iter().map(|&w| member(w, 0, true)).collect();
        let b = Balancer::new(Strategy::WeightedRoundRobin, 3);
        let mut counts = [0u32; 3];
        for p in picks(&b, &members, 10_000) {
            counts[p.unwrap()] += 1;
        }
        let total: u32 = weights.iter().sum();
        for (w, n) in weights.iter().zip(counts) {
            let want = if total == 0 {
                1.0 / 3.0
            } else {
                f64::from(*w) / f64::from(total)
            };
            let share = f64::from(n) / 10_000.0;
            assert!(
                (share - want).abs() <= 0.01,
                "weights {weights:?}: counts {counts:?}"
            );
        }
    }
}

#[test]
fn random_follows_weights() {
    let members = vec![member(3, 0, true), member(1, 0, true)];
    let c = candidates(&members);
    let b = Balancer::new(Strategy::Random, 2);
    // 3/4 of the draw space maps to member 0.
    let edge = 3u64 << 62;
    for (rand, want) in [(0, 0), (edge - 1, 0), (edge, 1), (u64::MAX, 1)] {
        assert_eq!(b.pick(&c, &[], rand), Some(want), "rand {rand:#x}");
    }
    let mut rng = fastrand::Rng::with_seed(7);
    let zeros = (0..10_000)
        .filter(|_| b.pick(&c, &[], rng.u64(..)) == Some(0))
        .count();
    assert!(
        (7_300..=7_700).contains(&zeros),
        "{zeros} of 10,000 for weight 3/4"
    );
}

#[test]
fn failover_keeps_configured_order() {
    let members = vec![member(1, 0, true), member(1, 0, true), member(1, 0, true)];
    let c = candidates(&members);
    let b = Balancer::new(Strategy::Failover, 3);
    assert_eq!(picks(&b, &members, 3), [Some(0); 3]);
    assert_eq!(b.pick(&c, &[0], 0), Some(1));
    assert_eq!(b.pick(&c, &[0, 1], 0), Some(2));
}

#[test]
fn response_aware_scores() {
    // Each row: members as (latency ms, failures, in flight) → the pick.
    // Score = latency × (in_flight + 1) / success_rate; unsampled = mean of the sampled.
    type Row = (&'static [(Option<u64>, u32, u32)], usize);
    let table: [Row; 5] = [
        (&[(Some(300), 0, 0), (Some(100), 0, 0)], 1),
        (&[(Some(100), 0, 3), (Some(300), 0, 0)], 1), // 400 vs 300
        (&[(Some(100), 2, 0), (Some(300), 0, 0)], 0), // 100 / 0.49 = 204 vs 300
        (&[(Some(100), 4, 0), (Some(300), 0, 0)], 1), // 100 / 0.24 = 416 vs 300
        // Unsampled scores the mean, 200, against 100 × 3 and 300.
        (&[(Some(100), 0, 2), (Some(300), 0, 0), (None, 0, 0)], 2),
    ];
    for (i, (spec, want)) in table.iter().enumerate() {
        let members: Vec<Member> = spec
            .iter()
            .map(|&(lat, fail, fl)| measured(lat, None, fail, fl))
            .collect();
        let b = Balancer::new(Strategy::ResponseAware, members.len());
        assert_eq!(picks(&b, &members, 3), [Some(*want); 3], "row {i}");
    }
}

#[test]
fn ties_share_the_traffic() {
    // New members, all equal: every adaptive strategy spreads over all of them.
    for strategy in [
        Strategy::ResponseAware,
        Strategy::LeastInFlight,
        Strategy::TtftAware,
    ] {
        let members: Vec<Member> = (0..3).map(|_| member(1, 0, true)).collect();
        let b = Balancer::new(strategy, 3);
        let mut got: Vec<usize> = picks(&b, &members, 3).into_iter().flatten().collect();
        got.sort_unstable();
        assert_eq!(got, [0, 1, 2], "{strategy}");
    }
}

#[test]
fn least_in_flight_picks_the_idlest() {
    let members = vec![
        measured(None, None, 0, 2),
        measured(None, None, 0, 0),
        measured(None, None, 0, 1),
    ];
    let b = Balancer::new(Strategy::LeastInFlight, 3);
    assert_eq!(picks(&b, &members, 3), [Some(1); 3]);
}

#[test]
fn ttft_aware_prefers_fast_then_unmeasured_then_idle() {
    // Each row: members as (ttft ms, in flight) → the pick.
    type Row = (&'static [(Option<u64>, u32)], usize);
    let table: [Row; 4] = [
        (&[(Some(100), 0), (Some(50), 0)], 1),
        (&[(Some(10), 0), (None, 5)], 1), // no sample: tried first, whatever its load
        (&[(Some(50), 0), (Some(50), 1)], 0),
        (&[(None, 2), (None, 1)], 1),
    ];
    for (i, (spec, want)) in table.iter().enumerate() {
        let members: Vec<Member> = spec
            .iter()
            .map(|&(t, fl)| measured(None, t, 0, fl))
            .collect();
        let b = Balancer::new(Strategy::TtftAware, members.len());
        assert_eq!(picks(&b, &members, 3), [Some(*want); 3], "row {i}");
    }
}

#[test]
fn more_members_than_announced_still_works() {
    let members = vec![member(2, 0, true), member(1, 0, true)];
    let b = Balancer::new(Strategy::WeightedRoundRobin, 0);
    assert_eq!(picks(&b, &members, 3), [0, 1, 0].map(Some));
}

#[test]
fn ttft_aware_sends_a_failing_member_without_samples_last_and_weighs_failures() {
    // (ttft ms, failures) per member → the pick.
    type Row = (&'static [(Option<u64>, u32)], usize);
    let table: [Row; 3] = [
        // Never answered and mostly failing (success rate 0.3^n): last, not first.
        (&[(None, 3), (Some(400), 0)], 1),
        // One failure (success 0.7) still goes first without a sample.
        (&[(None, 1), (Some(400), 0)], 0),
        // Fast but failing half the time loses to a steady, slower one: 100 / 0.49 > 150.
        (&[(Some(100), 2), (Some(150), 0)], 1),
    ];
    for (i, (spec, want)) in table.iter().enumerate() {
        let members: Vec<Member> = spec
            .iter()
            .map(|&(t, failures)| measured(None, t, failures, 0))
            .collect();
        let b = Balancer::new(Strategy::TtftAware, members.len());
        assert_eq!(picks(&b, &members, 3), [Some(*want); 3], "row {i}");
    }
}
