//! Compiled upstream groups: members with their live state (breaker, latency statistics, rate
//! window), and the registry that keeps that state across configuration reloads.
//!
//! A member's state is keyed by `provider/model`, so the same upstream model shares one
//! breaker and one set of statistics across every group that uses it, and a reload that keeps
//! a member keeps its health history.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::balance::{Balancer, Candidate};
use super::breaker::{Breaker, BreakerConfig, BreakerState, Transition};
use super::forward::ForwardLimits;
use super::ratelimit::{Reservation, WindowLimiter};
use super::retry::{RetryBudget, RetryPolicy};
use super::stats::{InFlight, MemberStats};
use crate::config::{
    BreakerSettings, BucketSettings, GroupConfig, HedgeSettings, MemberLimit, Timeouts,
};
use crate::snapshot::Provider;

/// The live state of one upstream model.
pub struct MemberState {
    /// `provider/model`.
    pub id: String,
    /// Its circuit breaker, unless switched off for the provider.
    pub breaker: Option<Breaker>,
    /// Latency, time to first token, success rate, in-flight count.
    pub stats: MemberStats,
    /// Requests and tokens per minute, when limited.
    pub window: Option<WindowLimiter>,
    /// Breaker transitions so far, by target state: `[closed, open, half_open]`.
    pub transitions: [AtomicU64; 3],
    settings: (Option<BreakerSettings>, MemberLimit),
}

impl std::fmt::Debug for MemberState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemberState").field("id", &self.id).finish()
    }
}

impl MemberState {
    fn new(id: String, breaker: Option<BreakerSettings>, limit: MemberLimit) -> Self {
        MemberState {
            id,
            breaker: breaker.map(|b| {
                Breaker::new(BreakerConfig {
                    threshold: b.threshold,
                    window: b.window,
                    min_requests: b.min_requests,
                    cooldown: b.cooldown,
                })
            }),
            stats: MemberStats::default(),
            window: (limit.rpm.is_some() || limit.tpm.is_some())
                .then(|| WindowLimiter::new(limit.rpm, limit.tpm)),
            transitions: Default::default(),
            settings: (breaker, limit),
        }
    }

    /// Counts a breaker transition.
    pub fn note_transition(&self, t: &Transition) {
        let slot = match t.to {
            BreakerState::Closed => 0,
            BreakerState::Open => 1,
            BreakerState::HalfOpen => 2,
        };
        self.transitions[slot].fetch_add(1, Ordering::Relaxed);
    }

    /// Transitions into `state` so far.
    pub fn transitions_to(&self, state: BreakerState) -> u64 {
        let slot = match state {
            BreakerState::Closed => 0,
            BreakerState::Open => 1,
            BreakerState::HalfOpen => 2,
        };
        self.transitions[slot].load(Ordering::Relaxed)
    }

    /// Whether a request may go to this member now: breaker closed (or a probe free), not
    /// cooling down after a 429.
    pub fn available(&self, now: Instant) -> bool {
        !self.stats.throttled(now) && self.breaker.as_ref().is_none_or(|b| b.available(now))
    }
}

/// Member state by `provider/model`, shared by every snapshot built from it.
#[derive(Default)]
pub struct Registry {
    members: Mutex<HashMap<String, Arc<MemberState>>>,
    forwards: Mutex<HashMap<String, Arc<ForwardLimits>>>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Registry")
    }
}

impl Registry {
    /// Replaces the live state with what a snapshot build staged: members and listener
    /// buckets no longer configured are forgotten. Called only once the build succeeded, so a
    /// rejected configuration never touches the running state.
    pub fn commit(&self, staging: Staging<'_>) {
        *self.members.lock().unwrap_or_else(|e| e.into_inner()) = staging.members;
        *self.forwards.lock().unwrap_or_else(|e| e.into_inner()) = staging.forwards;
    }

    /// Starts staging the state of a new snapshot.
    pub fn stage(&self) -> Staging<'_> {
        Staging {
            registry: self,
            members: HashMap::new(),
            forwards: HashMap::new(),
        }
    }

    /// Every member's state, by id order (for metrics and the admin API).
    pub fn all(&self) -> Vec<Arc<MemberState>> {
        let map = self.members.lock().unwrap_or_else(|e| e.into_inner());
        let mut all: Vec<_> = map.values().cloned().collect();
        all.sort_by(|a, b| a.id.cmp(&b.id));
        all
    }
}

/// The state a snapshot being built will use: existing entries whose settings are unchanged
/// (a reload keeps their history), fresh ones for the rest. Nothing reaches the registry
/// until [`Registry::commit`].
pub struct Staging<'r> {
    registry: &'r Registry,
    members: HashMap<String, Arc<MemberState>>,
    forwards: HashMap<String, Arc<ForwardLimits>>,
}

impl Staging<'_> {
    /// The state of member `id`, the same for every group of this build that uses it.
    pub fn member(
        &mut self,
        id: &str,
        breaker: Option<BreakerSettings>,
        limit: MemberLimit,
    ) -> Arc<MemberState> {
        if let Some(staged) = self.members.get(id) {
            return staged.clone();
        }
        let existing = {
            let map = self
                .registry
                .members
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            map.get(id)
                .filter(|m| m.settings == (breaker, limit))
                .cloned()
        };
        let state =
            existing.unwrap_or_else(|| Arc::new(MemberState::new(id.to_owned(), breaker, limit)));
        self.members.insert(id.to_owned(), state.clone());
        state
    }

    /// The rate-limit buckets of listener `name` (a reload keeps each client's bucket while
    /// the settings are unchanged).
    pub fn forward_limits(
        &mut self,
        name: &str,
        per_ip: Option<BucketSettings>,
        total: Option<BucketSettings>,
    ) -> Arc<ForwardLimits> {
        let existing = {
            let map = self
                .registry
                .forwards
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            map.get(name)
                .filter(|f| f.same_settings(per_ip, total))
                .cloned()
        };
        let limits = existing.unwrap_or_else(|| Arc::new(ForwardLimits::new(per_ip, total)));
        self.forwards.insert(name.to_owned(), limits.clone());
        limits
    }
}

/// One member of a compiled group.
#[derive(Debug)]
pub struct Member {
    /// Serving provider.
    pub provider: Arc<Provider>,
    /// Model id at the provider.
    pub model: String,
    /// Traffic share.
    pub weight: u32,
    /// Tier (lower first).
    pub priority: u32,
    /// Live state.
    pub state: Arc<MemberState>,
}

/// A compiled group: members, their balancer and the retry policy.
pub struct Group {
    /// Name.
    pub name: String,
    /// Members in declaration order.
    pub members: Vec<Member>,
    /// Picks a member per attempt.
    pub balancer: Balancer,
    /// Backoff and attempt count.
    pub retry: RetryPolicy,
    /// Caps retries to a share of requests.
    pub budget: RetryBudget,
    /// Timeouts overriding the members' providers' own.
    pub timeouts: Option<Timeouts>,
    /// Hedged requests, when switched on.
    pub hedge: Option<HedgeSettings>,
    /// Listing description.
    pub description: Option<String>,
}

impl std::fmt::Debug for Group {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Group")
            .field("name", &self.name)
            .field("members", &self.members)
            .finish()
    }
}

impl Group {
    /// Compiles `config`; `member` resolves a target to its provider and model.
    pub(crate) fn build(
        config: &GroupConfig,
        staging: &mut Staging<'_>,
        mut member: impl FnMut(&str) -> Option<(Arc<Provider>, String)>,
        settings: impl Fn(&str) -> (Option<BreakerSettings>, MemberLimit),
    ) -> Option<Group> {
        let mut members = Vec::with_capacity(config.members.len());
        for m in &config.members {
            let (provider, model) = member(&m.target)?;
            let id = format!("{}/{model}", provider.id);
            let (breaker, limit) = settings(&provider.id);
            members.push(Member {
                state: staging.member(&id, breaker, limit),
                provider,
                model,
                weight: m.weight,
                priority: m.priority,
            });
        }
        Some(Group {
            name: config.name.clone(),
            balancer: Balancer::new(config.strategy, members.len()),
            members,
            retry: RetryPolicy {
                attempts: config.retry.attempts,
                initial: config.retry.initial,
                max_backoff: config.retry.max_backoff,
                max_retry_after: config.retry.max_retry_after,
            },
            budget: RetryBudget::new(config.retry.budget, 10, Duration::from_secs(10)),
            timeouts: config.timeouts,
            hedge: config.hedge,
            description: config.description.clone(),
        })
    }

    /// The route to member `i`, with the group's timeouts when it has its own.
    pub fn route<'g>(
        &'g self,
        i: usize,
        profile: Option<&'g crate::profile::Profile>,
    ) -> Option<crate::snapshot::Route<'g>> {
        let member = self.members.get(i)?;
        Some(crate::snapshot::Route {
            provider: &member.provider,
            model: &member.model,
            profile,
            timeouts: self.timeouts.as_ref().unwrap_or(&member.provider.timeouts),
        })
    }

    /// The member to try next, skipping `tried` ones while others are available; when every
    /// available member was tried, the best of them again (a retry of the same member).
    /// Members in `never` (they cannot take this request at all) are never picked.
    pub fn pick(&self, tried: &[usize], never: &[usize], now: Instant) -> Option<usize> {
        let candidates: Vec<Candidate<'_>> = self
            .members
            .iter()
            .enumerate()
            .map(|(i, m)| Candidate {
                weight: m.weight,
                priority: m.priority,
                stats: &m.state.stats,
                available: !never.contains(&i) && m.state.available(now),
            })
            .collect();
        let rand = fastrand::u64(..);
        self.balancer
            .pick(&candidates, tried, rand)
            .or_else(|| self.balancer.pick(&candidates, &[], rand))
    }

    /// When no member is available because each is cooling down (after a 429, or over its
    /// rate window): how long until the first is back. `None` when a member is available, or
    /// one is out for a reason whose end is not known here (an open breaker).
    pub fn next_available(&self, now: Instant) -> Option<Duration> {
        let mut soonest: Option<Duration> = None;
        for m in &self.members {
            let wait = m.state.stats.throttled_for(now)?;
            soonest = Some(soonest.map_or(wait, |s| s.min(wait)));
        }
        soonest
    }
}

/// One request's hold on a member: its in-flight slot, its rate-window reservation and its
/// start time. Finishing (or dropping) it feeds the outcome to the member's statistics.
pub struct MemberGuard {
    state: Arc<MemberState>,
    _in_flight: InFlight,
    started: Instant,
    reservation: Option<Reservation>,
    done: bool,
}

impl std::fmt::Debug for MemberGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemberGuard")
            .field("member", &self.state.id)
            .finish()
    }
}

impl MemberGuard {
    /// Takes an in-flight slot on `state` now.
    pub fn start(state: Arc<MemberState>, reservation: Option<Reservation>) -> Self {
        MemberGuard {
            _in_flight: state.stats.start(),
            state,
            started: Instant::now(),
            reservation,
            done: false,
        }
    }

    /// Gives the slot back without judging the member: a hedged attempt that lost the race.
    pub fn cancel(mut self) {
        self.done = true;
    }

    /// Records the outcome: the attempt's whole duration, its time to first byte (from the
    /// instant the first byte came), and the tokens really used (which replace the estimate
    /// reserved in the member's rate window).
    pub fn finish(mut self, ok: bool, first_byte_at: Option<Instant>, tokens: Option<u64>) {
        self.done = true;
        let now = Instant::now();
        let ttft = first_byte_at.map(|at| at.saturating_duration_since(self.started));
        self.state
            .stats
            .observe(now.saturating_duration_since(self.started), ttft, ok);
        // Unknown usage: the estimate stays counted (the safe side).
        if let (Some(window), Some(tokens)) = (&self.state.window, tokens) {
            if let Some(reservation) = self.reservation.take() {
                window.settle(reservation, u32::try_from(tokens).unwrap_or(u32::MAX), now);
            }
        }
    }
}

impl Drop for MemberGuard {
    fn drop(&mut self) {
        if !self.done {
            let elapsed = self.started.elapsed();
            self.state.stats.observe(elapsed, None, false);
        }
    }
}
