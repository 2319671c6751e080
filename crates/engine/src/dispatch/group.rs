//! Serving on a group: a member per attempt (balancer, breaker, rate window), retries with
//! backoff inside the retry budget, and a hedged second attempt when the first is slow.

use std::time::{Duration, Instant};

use super::verdict::{judge, judge_reading, Verdict};
use super::{count_error, timed, Attempt, Run};
use crate::gateway::Gateway;
use crate::metrics::{BreakerCall, Metrics, RateLimitScope, Upstream};
use crate::passthrough::Inbound;
use crate::profile::Profile;
use crate::routing::breaker::{Admission, BreakerState, Outcome, Transition};
use crate::routing::group::{Group, MemberGuard};

/// A member taken for one attempt: its index, breaker admission, in-flight guard and metrics.
struct Taken {
    index: usize,
    admission: Option<Admission>,
    guard: MemberGuard,
    series: Upstream,
}

/// Why a member could not be taken.
enum Refused {
    /// Its breaker is open (or a probe is already out).
    Breaker,
    /// Its requests- or tokens-per-minute window is full for `wait`.
    Window(Duration),
}

/// Longest cool-down a `Retry-After` can impose on a member (a larger one is clamped).
const MAX_COOL: Duration = Duration::from_secs(3600);

/// `now + wait`, clamped to [`MAX_COOL`] so no header value can overflow the clock.
fn until(now: Instant, wait: Duration) -> Instant {
    now.checked_add(wait.min(MAX_COOL)).unwrap_or(now)
}

/// Admits one request to member `i`: its breaker must be able to admit, then its rate window
/// reserves a place, then the breaker admits (so a window refusal never strands a half-open
/// probe).
fn take(
    metrics: &Metrics,
    group: &Group,
    i: usize,
    estimate: u32,
    now: Instant,
) -> Result<Taken, Refused> {
    let Some(member) = group.members.get(i) else {
        return Err(Refused::Breaker);
    };
    let id = member.state.id.as_str();
    if member
        .state
        .breaker
        .as_ref()
        .is_some_and(|b| !b.available(now))
    {
        metrics.breaker_call(id, BreakerCall::Rejected);
        return Err(Refused::Breaker);
    }
    let reservation = match &member.state.window {
        Some(w) => match w.try_admit(estimate, now) {
            Ok(r) => Some(r),
            Err(wait) => {
                member.state.stats.throttle_until(until(now, wait));
                metrics.rate_limited(RateLimitScope::Member);
                return Err(Refused::Window(wait));
            }
        },
        None => None,
    };
    let admission = match &member.state.breaker {
        Some(b) => {
            // Another request may have taken the probe since `available` (the reservation
            // then stays counted: the safe side).
            let a = b.admit(now).map_err(|_| {
                metrics.breaker_call(id, BreakerCall::Rejected);
                Refused::Breaker
            })?;
            if a.probe {
                member.state.note_transition(&Transition {
                    from: BreakerState::Open,
                    to: BreakerState::HalfOpen,
                });
                metrics.breaker_transition(id, BreakerState::Open, BreakerState::HalfOpen);
            }
            Some(a)
        }
        None => None,
    };
    Ok(Taken {
        index: i,
        admission,
        guard: MemberGuard::start(member.state.clone(), reservation),
        series: metrics.upstream(&group.name, &member.provider.id, &member.model),
    })
}

/// Feeds an attempt's verdict to the member's breaker and cool-down, and to the metrics.
fn settle(
    metrics: &Metrics,
    group: &Group,
    taken: &Taken,
    (result, verdict, wait): (&Attempt, Verdict, Option<Duration>),
    run: &mut Run,
) {
    count_error(&taken.series, verdict, result);
    let Some(member) = group.members.get(taken.index) else {
        return;
    };
    let now = Instant::now();
    if let (Some(b), Some(admission)) = (&member.state.breaker, taken.admission) {
        let outcome = match verdict {
            Verdict::Final | Verdict::ContextLength => Some(Outcome::Success),
            Verdict::RateLimited => Some(Outcome::RateLimited),
            Verdict::Failed => Some(Outcome::Failure),
            Verdict::Unsuitable => None,
        };
        if let Some(o) = outcome {
            metrics.breaker_call(&member.state.id, o.into());
        }
        if let Some(t) = outcome.and_then(|o| b.record(admission.probe, o, now)) {
            member.state.note_transition(&t);
            metrics.breaker_transition(&member.state.id, t.from, t.to);
            tracing::warn!(
                target: "llmux::routing",
                member = %member.state.id,
                from = t.from.as_str(),
                to = t.to.as_str(),
                "circuit breaker changed state"
            );
        }
    }
    if verdict == Verdict::RateLimited {
        let cool = wait.unwrap_or(Duration::from_secs(1)).min(MAX_COOL);
        member.state.stats.throttle_until(until(now, cool));
        run.note_wait(cool);
    }
}

impl Gateway {
    /// Tries `group`'s members until one answers. `Some` is the answer to return; `None`
    /// means exhausted, with the last failure kept in `run`.
    pub(super) async fn serve_group<'i>(
        &self,
        group: &Group,
        profile: Option<&Profile>,
        inbound: &'i Inbound,
        requested: &str,
        run: &mut Run<'i>,
    ) -> Option<Attempt> {
        group.budget.on_request(Instant::now());
        let estimate = u32::try_from(inbound.body.len() / 4).unwrap_or(u32::MAX);
        let mut tried: Vec<usize> = Vec::with_capacity(group.members.len());
        // Members whose protocol cannot carry this request: never asked again.
        let mut unsuitable: Vec<usize> = Vec::new();
        let mut retries = 0u32;
        // Bounded: every turn makes an attempt or marks a member tried.
        let turns = (group.retry.attempts as usize + 1) * (group.members.len() + 1) + 1;
        for _ in 0..turns {
            let now = Instant::now();
            let Some(i) = group.pick(&tried, &unsuitable, now) else {
                // Every member out: tell the client when one is back, if that is known.
                if let Some(wait) = group.next_available(now) {
                    run.note_wait(wait);
                }
                return None;
            };
            let taken = match take(self.metrics(), group, i, estimate, now) {
                Ok(t) => t,
                Err(refused) => {
                    if let Refused::Window(wait) = refused {
                        run.note_wait(wait);
                    }
                    if tried.contains(&i) {
                        return None;
                    }
                    tried.push(i);
                    continue;
                }
            };
            let first_try = tried.is_empty() && retries == 0;
            let (taken, mut result) = match self.hedge_delay(group, i, first_try) {
                Some(delay) => {
                    self.hedged(
                        group, taken, delay, estimate, profile, inbound, requested, run,
                    )
                    .await
                }
                None => {
                    run.attempts += 1;
                    let route = group.route(i, profile)?;
                    let attempt = self.attempt(
                        inbound,
                        run.inspected.take(),
                        &route,
                        requested,
                        run.started,
                    );
                    let result = timed(&taken.series, attempt).await;
                    (taken, result)
                }
            };
            let (verdict, wait) = if run.read_errors {
                judge_reading(&mut result).await
            } else {
                judge(&result)
            };
            settle(self.metrics(), group, &taken, (&result, verdict, wait), run);
            if verdict == Verdict::Final {
                return Some(result.map(|mut resp| {
                    resp.body_mut().recorder().attach(taken.guard);
                    resp
                }));
            }
            let served_by = taken.index;
            if verdict == Verdict::Unsuitable {
                // Never sent: says nothing about the member's health.
                taken.guard.cancel();
            } else {
                drop(taken);
            }
            tracing::warn!(
                target: "llmux::routing",
                model = requested,
                member = %group.members.get(served_by).map_or("", |m| m.state.id.as_str()),
                attempt = run.attempts,
                outcome = ?verdict,
                "upstream attempt failed"
            );
            for i in [Some(served_by), run.hedge_failed.take()]
                .into_iter()
                .flatten()
            {
                if !tried.contains(&i) {
                    tried.push(i);
                }
            }
            run.failed(verdict, result);
            match verdict {
                Verdict::ContextLength => return None,
                Verdict::Unsuitable => {
                    unsuitable.push(served_by);
                    continue;
                }
                _ => {}
            }
            let now = Instant::now();
            if retries >= group.retry.attempts {
                return None;
            }
            if !group.budget.try_retry(now) {
                tracing::warn!(
                    target: "llmux::routing",
                    group = %group.name,
                    "retry budget exhausted; not retrying"
                );
                return None;
            }
            retries += 1;
            self.metrics().retry(&group.name);
            // Another member is tried at once; the same one again only after a backoff.
            let fresh = group
                .members
                .iter()
                .enumerate()
                .any(|(j, m)| !tried.contains(&j) && m.state.available(now));
            if !fresh {
                match group.retry.backoff(retries, wait, fastrand::u64(..)) {
                    Some(pause) => tokio::time::sleep(pause).await,
                    None => return None,
                }
                tried.clear();
            }
        }
        None
    }

    /// How long the first attempt on member `i` may go without an answer before a second
    /// member is asked too: the configured delay, or the p95 of the member's recent time to
    /// first byte (no hedging until it has some history).
    fn hedge_delay(&self, group: &Group, i: usize, first_try: bool) -> Option<Duration> {
        let hedge = group.hedge?;
        if !first_try || group.members.len() < 2 {
            return None;
        }
        match hedge.after {
            Some(after) => Some(after),
            None => group
                .members
                .get(i)?
                .state
                .stats
                .ttft_quantile(0.95)
                .map(|p95| p95.max(hedge.min_delay)),
        }
    }

    /// Races the first attempt against a second member started after `delay`; the first
    /// answer wins and the other attempt is cancelled (its upstream request dropped).
    #[allow(clippy::too_many_arguments)]
    async fn hedged<'i>(
        &self,
        group: &Group,
        first: Taken,
        delay: Duration,
        estimate: u32,
        profile: Option<&Profile>,
        inbound: &'i Inbound,
        requested: &str,
        run: &mut Run<'i>,
    ) -> (Taken, Attempt) {
        run.attempts += 1;
        let started = run.started;
        let Some(route_a) = group.route(first.index, profile) else {
            return (
                first,
                Err(crate::ErrorKind::Internal("no such member".into()).into()),
            );
        };
        let series_a = first.series.clone();
        let a = timed(
            &series_a,
            self.attempt(inbound, run.inspected.take(), &route_a, requested, started),
        );
        tokio::pin!(a);
        tokio::select! {
            result = &mut a => return (first, result),
            () = tokio::time::sleep(delay) => {}
        }
        let now = Instant::now();
        // A hedge is extra load like a retry: it spends the same budget.
        let second = group
            .pick(&[first.index], &[], now)
            .filter(|&j| j != first.index)
            .filter(|_| group.budget.try_retry(now))
            .and_then(|j| take(self.metrics(), group, j, estimate, now).ok());
        let Some((second, route_b)) =
            second.and_then(|t| group.route(t.index, profile).map(|r| (t, r)))
        else {
            return (first, a.await);
        };
        run.attempts += 1;
        tracing::info!(
            target: "llmux::routing",
            model = requested,
            slow = %group.members.get(first.index).map_or("", |m| m.state.id.as_str()),
            hedge = %group.members.get(second.index).map_or("", |m| m.state.id.as_str()),
            after_ms = delay.as_millis() as u64,
            "hedging: asking a second member"
        );
        let (hedge, series_b) = (second.index, second.series.clone());
        let b = timed(
            &series_b,
            self.attempt(inbound, None, &route_b, requested, started),
        );
        tokio::pin!(b);
        let kept = tokio::select! {
            result = &mut a => {
                let (verdict, wait) = judge(&result);
                if verdict == Verdict::Final {
                    second.guard.cancel();
                    (first, result)
                } else {
                    settle(self.metrics(), group, &first, (&result, verdict, wait), run);
                    run.failed(verdict, result);
                    run.hedge_failed = Some(first.index);
                    drop(first);
                    (second, b.await)
                }
            }
            result = &mut b => {
                let (verdict, wait) = judge(&result);
                if verdict == Verdict::Final {
                    first.guard.cancel();
                    (second, result)
                } else {
                    settle(self.metrics(), group, &second, (&result, verdict, wait), run);
                    run.failed(verdict, result);
                    run.hedge_failed = Some(second.index);
                    drop(second);
                    (first, a.await)
                }
            }
        };
        self.metrics().hedge(&group.name, kept.0.index == hedge);
        kept
    }
}
