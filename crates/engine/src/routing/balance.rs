//! The balancing strategies: which member of a group to try next, among those available and
//! not yet tried, lowest priority tier first. O(members) per pick, no allocation.

use std::fmt;
use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use super::stats::MemberStats;

/// Floor of the success rate in the `response_aware` score, so a member whose rate has
/// decayed to ~0 gets a huge but finite score instead of a division by zero.
const MIN_SUCCESS_RATE: f64 = 0.01;

/// How a group spreads requests over its members. Every strategy only looks at the eligible
/// members (available, not yet tried for this request) of the best priority tier present.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Strategy {
    /// Rotate over the eligible members in turn: pick number `k` takes eligible member
    /// `k mod n`.
    #[default]
    RoundRobin,
    /// Smooth weighted round robin (nginx): on each pick every eligible member's `current`
    /// grows by its `weight`, the largest `current` wins (first on ties) and loses the total
    /// weight. Shares follow the weights with no bursts (weights 5,1,1 give a a b a c a a).
    /// If every eligible weight is 0 they all count as 1.
    WeightedRoundRobin,
    /// Random, with probability `weight / Σ weight` (uniform if every weight is 0), from the
    /// caller's random `u64`.
    Random,
    /// The first eligible member in configured order: the others only take over when it is
    /// unavailable or already tried.
    Failover,
    /// Lowest `latency_ms × (in_flight + 1) / max(success_rate, 0.01)`. A member with no latency
    /// sample yet scores with the mean latency of the sampled eligible members (1 ms if none
    /// is sampled), so it competes on load and success instead of drawing every request. Ties
    /// go round robin.
    ResponseAware,
    /// Fewest requests in flight; ties go round robin.
    LeastInFlight,
    /// Lowest moving average of time to first token; a member with no TTFT sample yet comes
    /// first (so it gets measured). Ties go to fewer in flight, then round robin.
    TtftAware,
}

/// Every strategy with its configuration names: the canonical snake_case name first, then
/// accepted aliases (the seed's spellings).
const NAMES: [(Strategy, &[&str]); 7] = [
    (Strategy::RoundRobin, &["round_robin", "roundrobin"]),
    (
        Strategy::WeightedRoundRobin,
        &["weighted_round_robin", "weighted_roundrobin"],
    ),
    (Strategy::Random, &["random"]),
    (Strategy::Failover, &["failover"]),
    (Strategy::ResponseAware, &["response_aware"]),
    (Strategy::LeastInFlight, &["least_in_flight"]),
    (Strategy::TtftAware, &["ttft_aware"]),
];

impl Strategy {
    /// The snake_case name used in configuration, metrics and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Strategy::RoundRobin => "round_robin",
            Strategy::WeightedRoundRobin => "weighted_round_robin",
            Strategy::Random => "random",
            Strategy::Failover => "failover",
            Strategy::ResponseAware => "response_aware",
            Strategy::LeastInFlight => "least_in_flight",
            Strategy::TtftAware => "ttft_aware",
        }
    }
}

impl fmt::Display for Strategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A strategy name that is not one of [`Strategy`]'s.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown balancing strategy `{0}`; expected one of round_robin, weighted_round_robin, \
     random, failover, response_aware, least_in_flight, ttft_aware"
)]
pub struct UnknownStrategy(pub String);

impl FromStr for Strategy {
    type Err = UnknownStrategy;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        NAMES
            .iter()
            .find(|(_, names)| names.contains(&s))
            .map(|(strategy, _)| *strategy)
            .ok_or_else(|| UnknownStrategy(s.to_owned()))
    }
}

/// One member as the balancer sees it for one pick.
#[derive(Debug, Clone, Copy)]
pub struct Candidate<'a> {
    /// Relative share for the weighted strategies.
    pub weight: u32,
    /// Tier: lower numbers are used first.
    pub priority: u32,
    /// Live statistics for the adaptive strategies.
    pub stats: &'a MemberStats,
    /// Whether the member may be sent to at all (breaker admits and not throttled).
    pub available: bool,
}

/// Picks members for one group. Shared by every request to the group (`&self`).
#[derive(Debug)]
pub struct Balancer {
    strategy: Strategy,
    /// Round-robin position (also the tie breaker of the adaptive strategies).
    cursor: AtomicUsize,
    /// Smooth weighted round robin's `current` per member, sized at `new`.
    current: Mutex<Vec<i64>>,
}

impl Balancer {
    /// A balancer for a group of `members` members.
    pub fn new(strategy: Strategy, members: usize) -> Self {
        let weighted = strategy == Strategy::WeightedRoundRobin;
        Self {
            strategy,
            cursor: AtomicUsize::new(0),
            current: Mutex::new(vec![0; if weighted { members } else { 0 }]),
        }
    }

    /// The strategy this balancer runs.
    pub fn strategy(&self) -> Strategy {
        self.strategy
    }

    /// The index of the member to try next, or `None` when no member is eligible. Eligible:
    /// `available` and not in `tried`, in the lowest `priority` number present among those.
    /// `rand` is the caller's random draw (used by `random` only).
    pub fn pick(&self, members: &[Candidate<'_>], tried: &[usize], rand: u64) -> Option<usize> {
        let eligible = |i: usize, c: &Candidate<'_>| c.available && !tried.contains(&i);
        let tier = members
            .iter()
            .enumerate()
            .filter(|&(i, c)| eligible(i, c))
            .map(|(_, c)| c.priority)
            .min()?;
        let mut in_tier = members
            .iter()
            .enumerate()
            .filter(move |&(i, c)| c.priority == tier && eligible(i, c));
        match self.strategy {
            Strategy::RoundRobin => {
                let n = in_tier.clone().count();
                in_tier.nth(self.turn() % n).map(|(i, _)| i)
            }
            Strategy::WeightedRoundRobin => self.smooth_weighted(in_tier),
            Strategy::Random => random(in_tier, rand),
            Strategy::Failover => in_tier.next().map(|(i, _)| i),
            Strategy::ResponseAware => {
                let (sum, sampled) = in_tier
                    .clone()
                    .filter_map(|(_, c)| c.stats.latency_ms())
                    .fold((0.0, 0u32), |(sum, n), ms| (sum + ms, n + 1));
                let fallback = if sampled == 0 {
                    1.0
                } else {
                    sum / f64::from(sampled)
                };
                self.lowest(in_tier, |c| {
                    let latency = c.stats.latency_ms().unwrap_or(fallback);
                    let load = f64::from(c.stats.in_flight()) + 1.0;
                    let score = latency * load / c.stats.success_rate().max(MIN_SUCCESS_RATE);
                    (score, 0)
                })
            }
            Strategy::LeastInFlight => self.lowest(in_tier, |c| (0.0, c.stats.in_flight())),
            Strategy::TtftAware => self.lowest(in_tier, |c| {
                // Divided by the success rate, as in response_aware, so a member that fails
                // fast does not look fast; one without a sample goes first unless it mostly
                // fails (then it never gets one: it goes last).
                let success = c.stats.success_rate().max(MIN_SUCCESS_RATE);
                let score = match c.stats.ttft_ms() {
                    Some(ttft) => ttft / success,
                    None if success >= 0.5 => f64::NEG_INFINITY,
                    None => f64::INFINITY,
                };
                (score, c.stats.in_flight())
            }),
        }
    }

    /// The next round-robin turn.
    fn turn(&self) -> usize {
        self.cursor.fetch_add(1, Ordering::Relaxed)
    }

    /// The member with the lowest `key`, compared as (score, then count). Ties go to the first
    /// one at or after a rotating start, so equal members share the traffic.
    fn lowest<'a, 'b: 'a, I, K>(&self, in_tier: I, key: K) -> Option<usize>
    where
        I: Iterator<Item = (usize, &'a Candidate<'b>)> + Clone,
        K: Fn(&Candidate<'_>) -> (f64, u32),
    {
        let n = in_tier.clone().count();
        if n == 0 {
            return None;
        }
        let start = self.turn() % n;
        let rotated = in_tier.clone().skip(start).chain(in_tier.take(start));
        let mut best: Option<(usize, (f64, u32))> = None;
        for (i, c) in rotated {
            let k = key(c);
            let better = match best {
                None => true,
                Some((_, b)) => k.0 < b.0 || (k.0 == b.0 && k.1 < b.1),
            };
            if better {
                best = Some((i, k));
            }
        }
        best.map(|(i, _)| i)
    }

    fn smooth_weighted<'a, 'b: 'a>(
        &self,
        in_tier: impl Iterator<Item = (usize, &'a Candidate<'b>)> + Clone,
    ) -> Option<usize> {
        let all_zero = in_tier.clone().all(|(_, c)| c.weight == 0);
        let weight = |c: &Candidate<'_>| if all_zero { 1 } else { i64::from(c.weight) };
        let mut current = self.current.lock().unwrap_or_else(|e| e.into_inner());
        let mut total = 0i64;
        let mut best: Option<usize> = None;
        for (i, c) in in_tier {
            if i >= current.len() {
                // More members than announced at `new`: grow once rather than fail.
                current.resize(i + 1, 0);
            }
            current[i] += weight(c);
            total += weight(c);
            if best.is_none_or(|b| current[i] > current[b]) {
                best = Some(i);
            }
        }
        if let Some(b) = best {
            current[b] -= total;
        }
        best
    }
}

/// Weighted random choice: the member whose cumulative weight range holds
/// `rand` scaled onto `[0, Σ weight)`.
fn random<'a, 'b: 'a>(
    in_tier: impl Iterator<Item = (usize, &'a Candidate<'b>)> + Clone,
    rand: u64,
) -> Option<usize> {
    let all_zero = in_tier.clone().all(|(_, c)| c.weight == 0);
    let weight = |c: &Candidate<'_>| if all_zero { 1 } else { u64::from(c.weight) };
    let total: u64 = in_tier.clone().map(|(_, c)| weight(c)).sum();
    // Multiply-shift maps the 64-bit draw onto [0, total) without modulo bias worth noting.
    let mut point = ((u128::from(rand) * u128::from(total)) >> 64) as u64;
    for (i, c) in in_tier {
        let w = weight(c);
        if point < w {
            return Some(i);
        }
        point -= w;
    }
    None
}

#[cfg(test)]
mod tests;
