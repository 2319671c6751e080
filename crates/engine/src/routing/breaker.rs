//! The per-member circuit breaker: closed → open on a high failure rate over a sliding window,
//! open → half-open after a cooldown with a single probe, and back to closed or open on the
//! probe's result.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::window::Window;

/// When a breaker opens and how long it stays open.
#[derive(Debug, Clone, PartialEq)]
pub struct BreakerConfig {
    /// Failure rate (failures / (successes + failures)) over the window that opens the breaker,
    /// in `0.01..=1.0`. Default 0.5.
    pub threshold: f64,
    /// Length of the sliding window the rate is measured over. Default 60 s.
    pub window: Duration,
    /// Fewest counted requests (successes + failures) in the window before the rate may open
    /// the breaker. Default 5.
    pub min_requests: u32,
    /// How long the breaker stays open before it lets a probe through; also how long a probe
    /// that never reports back holds the half-open slot. Default 30 s.
    pub cooldown: Duration,
}

impl Default for BreakerConfig {
    fn default() -> Self {
        Self {
            threshold: 0.5,
            window: Duration::from_secs(60),
            min_requests: 5,
            cooldown: Duration::from_secs(30),
        }
    }
}

/// Where a breaker is in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BreakerState {
    /// Normal: every request is admitted and its outcome counted.
    Closed,
    /// Tripped: requests are refused until the cooldown has passed.
    Open,
    /// Cooldown over: one probe request decides between closed and open.
    HalfOpen,
}

impl BreakerState {
    /// The state's name for metrics and logs: `closed`, `open` or `half_open`.
    pub fn as_str(self) -> &'static str {
        match self {
            BreakerState::Closed => "closed",
            BreakerState::Open => "open",
            BreakerState::HalfOpen => "half_open",
        }
    }
}

/// What became of a request the breaker admitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// The member answered.
    Success,
    /// The member failed in a way that speaks about its health (5xx, connect error, timeout).
    Failure,
    /// The member refused for quota (429): counted apart, neither success nor failure.
    RateLimited,
}

/// A state change caused by [`Breaker::record`], for logs and metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    /// The state before the outcome.
    pub from: BreakerState,
    /// The state after it.
    pub to: BreakerState,
}

/// Permission to send one request, from [`Breaker::admit`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Admission {
    /// This request is the half-open probe: pass `true` back to [`Breaker::record`].
    pub probe: bool,
}

/// Where the breaker is; `Open` and `HalfOpen` carry their deadlines.
#[derive(Debug, Clone, Copy)]
enum Mode {
    Closed,
    /// Refusing until `until`; from then on the first `admit` takes the probe.
    Open {
        until: Instant,
    },
    /// A probe is out; if it has not reported by `lease_until`, the next `admit` sends another.
    HalfOpen {
        lease_until: Instant,
    },
}

/// Longest cooldown honoured: `now + cooldown` must not overflow.
const MAX_COOLDOWN: Duration = Duration::from_secs(10 * 365 * 24 * 3600);

const SUCCESS: usize = 0;
const FAILURE: usize = 1;
const RATE_LIMITED: usize = 2;

#[derive(Debug)]
struct Inner {
    mode: Mode,
    /// Successes, failures and rate-limited answers.
    window: Window<3>,
}

/// One member's circuit breaker. All methods take `&self` and hold an internal lock for a few
/// instructions only, so one breaker is shared by every task sending to the member.
#[derive(Debug)]
pub struct Breaker {
    cfg: BreakerConfig,
    inner: Mutex<Inner>,
}

impl Breaker {
    /// A closed breaker with an empty window. A cooldown longer than ten years is cut to ten
    /// years (so deadlines never overflow an `Instant`).
    pub fn new(mut cfg: BreakerConfig) -> Self {
        cfg.cooldown = cfg.cooldown.min(MAX_COOLDOWN);
        let window = Window::new(cfg.window);
        Self {
            cfg,
            inner: Mutex::new(Inner {
                mode: Mode::Closed,
                window,
            }),
        }
    }

    /// The configuration this breaker runs with.
    pub fn config(&self) -> &BreakerConfig {
        &self.cfg
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // The state stays consistent at every step, so a poisoned lock is still usable.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Asks to send one request at `now`. Closed: always admitted. Open with the cooldown
    /// passed, or half-open with the previous probe's lease expired: admitted as the probe (the
    /// breaker is then half-open until the probe reports or its lease of `cooldown` runs out).
    /// Otherwise refused with the state that refused it.
    pub fn admit(&self, now: Instant) -> Result<Admission, BreakerState> {
        let mut inner = self.lock();
        match inner.mode {
            Mode::Closed => Ok(Admission { probe: false }),
            Mode::Open { until } if now < until => Err(BreakerState::Open),
            Mode::HalfOpen { lease_until } if now < lease_until => Err(BreakerState::HalfOpen),
            Mode::Open { .. } | Mode::HalfOpen { .. } => {
                inner.mode = Mode::HalfOpen {
                    lease_until: now + self.cfg.cooldown,
                };
                Ok(Admission { probe: true })
            }
        }
    }

    /// Reports the outcome of an admitted request. Every outcome is counted in the window (for
    /// [`counts`](Self::counts)); the state changes only as follows:
    /// - closed, on a failure: opens when failures / (successes + failures) ≥ `threshold` with
    ///   at least `min_requests` counted (checked on failures only, so a success never opens);
    /// - half-open, on the probe's result: success closes with a fresh window; failure opens
    ///   for a new cooldown; **rate-limited also opens for a new cooldown** (the member is
    ///   alive but refusing, so "try again later" rather than closing into more 429s).
    ///
    /// A probe result that arrives when no probe is pending (its lease expired and another
    /// probe already decided) is only counted. Late results of ordinary requests never change
    /// an open or half-open breaker.
    pub fn record(
        &self,
        admission_was_probe: bool,
        outcome: Outcome,
        now: Instant,
    ) -> Option<Transition> {
        let mut inner = self.lock();
        inner.window.add(
            match outcome {
                Outcome::Success => SUCCESS,
                Outcome::Failure => FAILURE,
                Outcome::RateLimited => RATE_LIMITED,
            },
            now,
        );
        match inner.mode {
            Mode::Closed if outcome == Outcome::Failure => {
                let [successes, failures, _] = inner.window.sums(now);
                let counted = successes.saturating_add(failures);
                let rate = f64::from(failures) / f64::from(counted.max(1));
                if counted >= self.cfg.min_requests && rate >= self.cfg.threshold {
                    inner.mode = Mode::Open {
                        until: now + self.cfg.cooldown,
                    };
                    return Some(Transition {
                        from: BreakerState::Closed,
                        to: BreakerState::Open,
                    });
                }
                None
            }
            Mode::HalfOpen { .. } if admission_was_probe => {
                let to = if outcome == Outcome::Success {
                    inner.mode = Mode::Closed;
                    inner.window.clear();
                    BreakerState::Closed
                } else {
                    inner.mode = Mode::Open {
                        until: now + self.cfg.cooldown,
                    };
                    BreakerState::Open
                };
                Some(Transition {
                    from: BreakerState::HalfOpen,
                    to,
                })
            }
            _ => None,
        }
    }

    /// The state at `now`. An open breaker whose cooldown has passed reads `HalfOpen`: the
    /// next [`admit`](Self::admit) will send the probe.
    pub fn state(&self, now: Instant) -> BreakerState {
        match self.lock().mode {
            Mode::Closed => BreakerState::Closed,
            Mode::Open { until } if now < until => BreakerState::Open,
            Mode::Open { .. } | Mode::HalfOpen { .. } => BreakerState::HalfOpen,
        }
    }

    /// Whether [`admit`](Self::admit) would succeed at `now`, without taking anything: for
    /// filtering candidates before the balancer picks.
    pub fn available(&self, now: Instant) -> bool {
        match self.lock().mode {
            Mode::Closed => true,
            Mode::Open { until } => now >= until,
            Mode::HalfOpen { lease_until } => now >= lease_until,
        }
    }

    /// `(successes, failures, rate_limited)` counted in the window at `now`, for metrics.
    pub fn counts(&self, now: Instant) -> (u32, u32, u32) {
        let [successes, failures, rate_limited] = self.lock().window.sums(now);
        (successes, failures, rate_limited)
    }
}

#[cfg(test)]
mod tests;
