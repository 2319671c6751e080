//! A sliding window of event counters kept in a fixed ring of time buckets (no growth with
//! traffic), shared by the breaker and the retry budget. Not synchronised: owners hold it under
//! their own short-lived `Mutex`.

use std::time::{Duration, Instant};

/// Number of buckets the window is cut into. The window therefore covers between
/// `BUCKETS - 1` and `BUCKETS` bucket widths of history: old events leave a bucket at a time.
const BUCKETS: usize = 10;

#[derive(Debug, Clone, Copy)]
struct Bucket<const N: usize> {
    /// Which bucket-width period since `origin` this bucket currently counts.
    epoch: u64,
    counts: [u32; N],
}

impl<const N: usize> Bucket<N> {
    const EMPTY: Self = Self {
        epoch: 0,
        counts: [0; N],
    };
}

/// `N` counters (e.g. successes, failures, rate-limited) over a sliding time window.
#[derive(Debug)]
pub(crate) struct Window<const N: usize> {
    width_nanos: u128,
    /// Time zero of the epochs: the first instant the window saw. Taken lazily because
    /// construction has no clock.
    origin: Option<Instant>,
    buckets: [Bucket<N>; BUCKETS],
}

impl<const N: usize> Window<N> {
    /// A window covering `span` (a zero span is treated as one nanosecond per bucket).
    pub(crate) fn new(span: Duration) -> Self {
        Self {
            width_nanos: (span.as_nanos() / BUCKETS as u128).max(1),
            origin: None,
            buckets: [Bucket::EMPTY; BUCKETS],
        }
    }

    fn epoch(&mut self, now: Instant) -> u64 {
        let origin = *self.origin.get_or_insert(now);
        let elapsed = now.saturating_duration_since(origin).as_nanos() / self.width_nanos;
        u64::try_from(elapsed).unwrap_or(u64::MAX)
    }

    /// Adds one to counter `which` at `now`. An event older than the whole window is dropped.
    pub(crate) fn add(&mut self, which: usize, now: Instant) {
        let epoch = self.epoch(now);
        let bucket = &mut self.buckets[(epoch % BUCKETS as u64) as usize];
        if bucket.epoch < epoch {
            *bucket = Bucket {
                epoch,
                counts: [0; N],
            };
        } else if bucket.epoch > epoch {
            // The slot already counts a newer period: this event arrived out of order and
            // is older than the window.
            return;
        }
        if let Some(count) = bucket.counts.get_mut(which) {
            *count = count.saturating_add(1);
        }
    }

    /// Every counter summed over the buckets still inside the window at `now`.
    pub(crate) fn sums(&mut self, now: Instant) -> [u32; N] {
        let epoch = self.epoch(now);
        let mut sums = [0u32; N];
        for bucket in &self.buckets {
            if bucket.epoch.saturating_add(BUCKETS as u64) > epoch {
                for (sum, count) in sums.iter_mut().zip(bucket.counts) {
                    *sum = sum.saturating_add(count);
                }
            }
        }
        sums
    }

    /// Forgets every event (keeps the bucket width).
    pub(crate) fn clear(&mut self) {
        self.buckets = [Bucket::EMPTY; BUCKETS];
    }
}

#[cfg(test)]
mod tests;
