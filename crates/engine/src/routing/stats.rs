//! Live statistics of one member, read by the balancer on every pick: requests in flight,
//! moving averages of latency, time to first token and success, a 429 throttle deadline, and
//! the recent time-to-first-token distribution. Lock-free (atomics only).

use std::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Weight of the newest sample in every moving average: `avg ← avg + α·(sample − avg)`.
/// 0.3 follows a change within a handful of requests without jumping on a single outlier.
pub const EWMA_ALPHA: f64 = 0.3;

/// How many recent TTFTs [`MemberStats::ttft_quantile`] looks at.
pub const TTFT_RING: usize = 128;

/// An exponentially weighted moving average in an `AtomicU64` (the `f64`'s bits). NaN means
/// "no sample yet": the first sample then becomes the average.
struct Ewma(AtomicU64);

impl Ewma {
    fn new(initial: f64) -> Self {
        Self(AtomicU64::new(initial.to_bits()))
    }

    fn observe(&self, sample: f64) {
        let step = |bits: u64| {
            let avg = f64::from_bits(bits);
            let next = if avg.is_nan() {
                sample
            } else {
                avg + EWMA_ALPHA * (sample - avg)
            };
            Some(next.to_bits())
        };
        // The closure always returns Some, so this cannot fail.
        let _ = self
            .0
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, step);
    }

    fn get(&self) -> Option<f64> {
        let avg = f64::from_bits(self.0.load(Ordering::Relaxed));
        (!avg.is_nan()).then_some(avg)
    }
}

/// One member's live statistics, shared by every task that sends to it.
pub struct MemberStats {
    /// In an `Arc` so an [`InFlight`] guard owns its counter and can live in a `'static`
    /// response body.
    in_flight: Arc<AtomicU32>,
    latency_ms: Ewma,
    ttft_ms: Ewma,
    success: Ewma,
    /// Epoch for `throttled_until`, which an atomic cannot hold as an `Instant`.
    origin: Instant,
    /// Nanoseconds after `origin` plus one; 0 means never throttled.
    throttled_until: AtomicU64,
    /// Recent TTFTs in microseconds plus one; 0 marks an empty slot.
    ttft_ring: [AtomicU64; TTFT_RING],
    ttft_next: AtomicUsize,
}

impl Default for MemberStats {
    fn default() -> Self {
        Self {
            in_flight: Arc::default(),
            latency_ms: Ewma::new(f64::NAN),
            ttft_ms: Ewma::new(f64::NAN),
            success: Ewma::new(1.0),
            origin: Instant::now(),
            throttled_until: AtomicU64::new(0),
            ttft_ring: std::array::from_fn(|_| AtomicU64::new(0)),
            ttft_next: AtomicUsize::new(0),
        }
    }
}

impl std::fmt::Debug for MemberStats {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemberStats")
            .field("in_flight", &self.in_flight())
            .field("latency_ms", &self.latency_ms())
            .field("ttft_ms", &self.ttft_ms())
            .field("success_rate", &self.success_rate())
            .finish_non_exhaustive()
    }
}

/// Counts one request in flight from [`MemberStats::start`] until it is dropped (also when the
/// request is cancelled).
#[derive(Debug)]
pub struct InFlight(Arc<AtomicU32>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl MemberStats {
    /// Counts a request in flight until the returned guard is dropped.
    pub fn start(&self) -> InFlight {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        InFlight(Arc::clone(&self.in_flight))
    }

    /// Requests currently in flight.
    pub fn in_flight(&self) -> u32 {
        self.in_flight.load(Ordering::Relaxed)
    }

    /// Records a finished request. `ok` feeds the success rate, always. `latency` feeds the
    /// latency average only when `ok`: a fast error must not make a failing member look fast
    /// (its falling success rate is what counts against it). `ttft`, when given (the caller
    /// passes it only if a first token arrived), feeds the TTFT average and the quantile ring.
    pub fn observe(&self, latency: Duration, ttft: Option<Duration>, ok: bool) {
        self.success.observe(if ok { 1.0 } else { 0.0 });
        if ok {
            self.latency_ms.observe(latency.as_secs_f64() * 1000.0);
        }
        if let Some(ttft) = ttft {
            self.ttft_ms.observe(ttft.as_secs_f64() * 1000.0);
            let micros = u64::try_from(ttft.as_micros()).unwrap_or(u64::MAX - 1);
            let slot = self.ttft_next.fetch_add(1, Ordering::Relaxed) % TTFT_RING;
            self.ttft_ring[slot].store(micros + 1, Ordering::Relaxed);
        }
    }

    /// Moving average of successful requests' latency in milliseconds; `None` before the first.
    pub fn latency_ms(&self) -> Option<f64> {
        self.latency_ms.get()
    }

    /// Moving average of time to first token in milliseconds; `None` before the first.
    pub fn ttft_ms(&self) -> Option<f64> {
        self.ttft_ms.get()
    }

    /// Moving average of success (1 per success, 0 per failure), starting at 1.0. It only
    /// approaches 0, so one failure is not a death sentence (1.0 → 0.7).
    pub fn success_rate(&self) -> f64 {
        self.success.get().unwrap_or(1.0)
    }

    /// Marks the member throttled until `until` (after a 429, from its Retry-After). Only ever
    /// extends: a shorter deadline than the current one is ignored.
    pub fn throttle_until(&self, until: Instant) {
        let nanos = until.saturating_duration_since(self.origin).as_nanos();
        let stored = u64::try_from(nanos).unwrap_or(u64::MAX - 1) + 1;
        self.throttled_until.fetch_max(stored, Ordering::Relaxed);
    }

    /// Whether the member is still throttled at `now`.
    pub fn throttled(&self, now: Instant) -> bool {
        self.throttled_for(now).is_some()
    }

    /// How long from `now` the member stays throttled; `None` when it is not.
    pub fn throttled_for(&self, now: Instant) -> Option<Duration> {
        // Stored as nanoseconds since `origin` plus one; 0 is "never throttled".
        let stored = self.throttled_until.load(Ordering::Relaxed);
        let nanos = now.saturating_duration_since(self.origin).as_nanos();
        let now_nanos = u64::try_from(nanos).unwrap_or(u64::MAX - 1);
        (now_nanos + 1 < stored).then(|| Duration::from_nanos(stored - 1 - now_nanos))
    }

    /// The `q`-quantile (nearest rank, `q` clamped to 0..=1) of the last [`TTFT_RING`] TTFTs;
    /// `None` before the first or for a NaN `q`. Sorts a copy on the stack: O(128 log 128).
    pub fn ttft_quantile(&self, q: f64) -> Option<Duration> {
        if q.is_nan() {
            return None;
        }
        let mut values = [0u64; TTFT_RING];
        let mut n = 0;
        for slot in &self.ttft_ring {
            let v = slot.load(Ordering::Relaxed);
            if v != 0 {
                values[n] = v - 1;
                n += 1;
            }
        }
        let values = &mut values[..n];
        values.sort_unstable();
        // Nearest rank: the smallest value with at least q·n values at or below it.
        let rank = ((q.clamp(0.0, 1.0) * n as f64).ceil() as usize).clamp(1, n.max(1));
        values
            .get(rank - 1)
            .map(|&micros| Duration::from_micros(micros))
    }
}

#[cfg(test)]
mod tests;
