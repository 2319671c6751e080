//! A key's dollar budget without races: a request reserves its estimated cost before it is sent
//! and settles with the real cost after, so concurrent requests cannot overspend.
//!
//! # The invariant
//!
//! Amounts are kept in whole nano-dollars (`u64`), so sums are exact and a settled budget returns
//! to exactly `reserved == 0`. All three figures (`limit`, `spent`, `reserved`) sit behind one
//! `std::sync::Mutex` held for a few additions, never across an await.
//!
//! - **Admission**: a request with a non-zero estimate `e` is admitted iff
//!   `spent + reserved + e <= limit`; the check and the reservation happen under the same lock,
//!   so two requests can never both take the same headroom. A budget "for 10 requests" admits
//!   exactly 10 however many arrive at once.
//! - **Settlement** moves the estimate out of `reserved` and adds the actual cost to `spent`
//!   (the estimate itself when the actual is unknown).
//! - Hence at every instant `spent + reserved <= limit + overrun`, where `overrun` is the sum,
//!   over settled requests, of `max(0, actual - estimate)`. With estimates that are upper bounds,
//!   `spent + reserved <= limit` always; the only way past the limit is a request that cost more
//!   than estimated, and then by that difference alone. Once `spent >= limit` nothing with a
//!   non-zero estimate is admitted. This is stronger than issue 5's requirement (overspend at
//!   most the reservations in flight).
//! - A zero estimate (local models: Ollama, vLLM... cost 0) is always admitted and never trips
//!   the budget, even when it is spent.
//! - A [`Reservation`] dropped without [`Budget::settle`] (a cancelled request) settles itself
//!   with its estimate, so a reservation can never leak headroom away for good.
//!
//! Over-estimating refuses a request early (the headroom looks smaller than it is);
//! under-estimating lets the last requests overrun by the difference. The caller picks the
//! estimate (for example prompt tokens at the input price plus a typical output).

#[cfg(test)]
mod tests;

use std::sync::{Arc, Mutex, MutexGuard};

/// Nano-dollars per dollar.
const NANOS: f64 = 1e9;

/// One key's dollar budget. Cloning gives another handle to the same budget.
#[derive(Debug, Clone)]
pub struct Budget {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    state: Mutex<State>,
}

/// The figures, in nano-dollars.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct State {
    limit: u64,
    spent: u64,
    reserved: u64,
    in_flight: u64,
}

/// A copy of a budget's figures, in dollars.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BudgetState {
    /// The budget.
    pub limit_usd: f64,
    /// What settled requests cost.
    pub spent_usd: f64,
    /// The estimates of requests admitted and not yet settled.
    pub reserved_usd: f64,
    /// How many requests are admitted and not yet settled.
    pub in_flight: u64,
}

/// A refused request: the budget has no room for its estimate.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
#[error(
    "budget spent: ${spent_usd:.4} spent and ${reserved_usd:.4} reserved of ${limit_usd:.4}, \
     this request needs an estimated ${estimate_usd:.4}"
)]
pub struct BudgetSpent {
    /// The budget.
    pub limit_usd: f64,
    /// Spent so far.
    pub spent_usd: f64,
    /// Reserved by requests in flight.
    pub reserved_usd: f64,
    /// The refused request's estimate.
    pub estimate_usd: f64,
}

/// The admitted estimate of one request, to be settled once with [`Budget::settle`].
///
/// Dropping it unsettled settles it with its estimate (the cost of a cancelled request is
/// unknown, so the conservative figure is kept).
#[derive(Debug)]
#[must_use = "a reservation is settled with Budget::settle once the request ends"]
pub struct Reservation {
    /// `None` once settled.
    inner: Option<Arc<Inner>>,
    estimate: u64,
}

impl Reservation {
    /// The reserved estimate, in dollars.
    pub fn estimate_usd(&self) -> f64 {
        to_usd(self.estimate)
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        if let Some(inner) = self.inner.take() {
            inner.finish(self.estimate, self.estimate);
        }
    }
}

impl Budget {
    /// A budget of `limit_usd` with nothing spent.
    pub fn new(limit_usd: f64) -> Self {
        Self::with_spent(limit_usd, 0.0)
    }

    /// A budget of `limit_usd` of which `spent_usd` is already spent (restored from the store).
    pub fn with_spent(limit_usd: f64, spent_usd: f64) -> Self {
        let state = State {
            limit: to_nanos(limit_usd),
            spent: to_nanos(spent_usd),
            ..State::default()
        };
        Self {
            inner: Arc::new(Inner {
                state: Mutex::new(state),
            }),
        }
    }

    /// Admits a request estimated to cost `estimate_usd` and reserves that much, or refuses it.
    ///
    /// A zero (or negative, or NaN) estimate is always admitted: local models never trip a
    /// budget. An infinite estimate is refused.
    pub fn reserve(&self, estimate_usd: f64) -> Result<Reservation, BudgetSpent> {
        let estimate = to_nanos(estimate_usd);
        let mut state = self.inner.lock();
        let needed = state
            .spent
            .saturating_add(state.reserved)
            .saturating_add(estimate);
        if estimate > 0 && needed > state.limit {
            return Err(BudgetSpent {
                limit_usd: to_usd(state.limit),
                spent_usd: to_usd(state.spent),
                reserved_usd: to_usd(state.reserved),
                estimate_usd: to_usd(estimate),
            });
        }
        state.reserved += estimate;
        state.in_flight += 1;
        drop(state);
        Ok(Reservation {
            inner: Some(Arc::clone(&self.inner)),
            estimate,
        })
    }

    /// Ends a request: releases its reservation and adds its cost to `spent`; an unknown cost
    /// (`None`) counts as the estimate.
    ///
    /// The reservation is settled into the budget it came from (a clone of this one).
    pub fn settle(&self, mut reservation: Reservation, actual_usd: Option<f64>) {
        if let Some(inner) = reservation.inner.take() {
            let actual = actual_usd.map_or(reservation.estimate, to_nanos);
            inner.finish(reservation.estimate, actual);
        }
    }

    /// Changes the limit (a config reload); reservations in flight are kept.
    pub fn set_limit(&self, limit_usd: f64) {
        self.inner.lock().limit = to_nanos(limit_usd);
    }

    /// The figures now.
    pub fn state(&self) -> BudgetState {
        let state = *self.inner.lock();
        BudgetState {
            limit_usd: to_usd(state.limit),
            spent_usd: to_usd(state.spent),
            reserved_usd: to_usd(state.reserved),
            in_flight: state.in_flight,
        }
    }
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, State> {
        // The critical sections cannot panic mid-update, so a poisoned state is still whole.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Moves `estimate` out of `reserved` and `actual` into `spent`.
    fn finish(&self, estimate: u64, actual: u64) {
        let mut state = self.lock();
        state.reserved = state.reserved.saturating_sub(estimate);
        state.in_flight = state.in_flight.saturating_sub(1);
        state.spent = state.spent.saturating_add(actual);
    }
}

/// Dollars to nano-dollars; negative and NaN are 0, huge values saturate.
fn to_nanos(usd: f64) -> u64 {
    if usd.is_nan() || usd <= 0.0 {
        0
    } else {
        // `as` saturates at u64::MAX (infinity included).
        (usd * NANOS).round() as u64
    }
}

fn to_usd(nanos: u64) -> f64 {
    nanos as f64 / NANOS
}
