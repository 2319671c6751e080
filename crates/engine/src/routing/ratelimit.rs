//! Rate limiters, pure with an injected clock: a token bucket, token buckets per client key
//! with bounded memory, and a sliding 60 s window of requests and tokens per provider member.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, RandomState};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// A token bucket: `burst` tokens, refilled at `per_second`, full at start.
///
/// Kept as the instant the bucket is full again (the generic cell rate algorithm), so refills
/// are integer arithmetic on durations and do not drift however often it is asked.
#[derive(Debug, Clone)]
pub struct TokenBucket {
    /// Time to earn one token.
    interval: Duration,
    /// Time to earn a full bucket: `burst × interval`.
    capacity: Duration,
    /// When the bucket is full again; `None` before first use (full).
    full_at: Option<Instant>,
}

impl TokenBucket {
    /// A full bucket. `per_second` is clamped to `[1e-6, 1e9]` (NaN reads as the minimum) and
    /// `burst` to at least 1.
    pub fn new(per_second: f64, burst: u32) -> Self {
        let rate = if per_second.is_nan() {
            1e-6
        } else {
            per_second.clamp(1e-6, 1e9)
        };
        let interval = Duration::try_from_secs_f64(1.0 / rate)
            .unwrap_or(Duration::from_secs(1_000_000))
            .max(Duration::from_nanos(1));
        let capacity = interval.saturating_mul(burst.max(1));
        Self {
            interval,
            capacity,
            full_at: None,
        }
    }

    /// Takes `n` tokens, or tells how long until `n` are available. A request for more than
    /// the burst can never pass: it gets `Duration::MAX`. `n` ≤ 0 (or NaN) always passes.
    pub fn try_take(&mut self, n: f64, now: Instant) -> Result<(), Duration> {
        let cost = self.cost(n).ok_or(Duration::MAX)?;
        if cost > self.capacity {
            return Err(Duration::MAX);
        }
        let base = self.full_at.map_or(now, |t| t.max(now));
        let after = base.checked_add(cost).ok_or(Duration::MAX)?;
        let debt = after.duration_since(now);
        if debt <= self.capacity {
            self.full_at = Some(after);
            Ok(())
        } else {
            Err(debt - self.capacity)
        }
    }

    /// Tokens available at `now` (fractional).
    pub fn available(&self, now: Instant) -> f64 {
        let debt = self
            .full_at
            .map_or(Duration::ZERO, |t| t.saturating_duration_since(now));
        (self.capacity.saturating_sub(debt)).as_secs_f64() / self.interval.as_secs_f64()
    }

    /// Whether the bucket is full at `now` (idle long enough to have earned its burst back).
    pub fn is_full(&self, now: Instant) -> bool {
        self.full_at.is_none_or(|t| t <= now)
    }

    /// The time `n` tokens take to earn; `None` when too long to represent.
    fn cost(&self, n: f64) -> Option<Duration> {
        if n.is_nan() || n <= 0.0 {
            return Some(Duration::ZERO);
        }
        if n.fract() == 0.0 && n <= f64::from(u32::MAX) {
            // Whole token counts stay exact.
            return self.interval.checked_mul(n as u32);
        }
        Duration::try_from_secs_f64(self.interval.as_secs_f64() * n).ok()
    }
}

/// Token buckets per key (a client IP), each `per_second` / `burst`, in bounded memory.
///
/// Keys are spread over shards (16 once `max_keys` reaches 1024, fewer below), each a
/// `Mutex<HashMap>` holding at most `max_keys / shards` buckets, so the total never exceeds
/// `max_keys`. A new key in a full shard first evicts the buckets that are full again (idle
/// for at least `burst / per_second`: forgetting them changes nothing); if the shard is still
/// full, it evicts the least recently used eighth of it at once (at least one), so that the
/// scan is paid once per many new keys. An evicted busy key starts again with a full bucket:
/// under a flood of distinct keys the limit is lenient rather than the memory unbounded.
#[derive(Debug)]
pub struct KeyedLimiter<K> {
    per_second: f64,
    burst: u32,
    shard_cap: usize,
    hasher: RandomState,
    shards: Box<[Mutex<HashMap<K, Entry>>]>,
}

#[derive(Debug)]
struct Entry {
    bucket: TokenBucket,
    used: Instant,
}

impl<K: Hash + Eq + Clone> KeyedLimiter<K> {
    /// A limiter keeping at most `max_keys` (at least 1) buckets.
    pub fn new(per_second: f64, burst: u32, max_keys: usize) -> Self {
        let max_keys = max_keys.max(1);
        let shards = (max_keys / 64).clamp(1, 16);
        Self {
            per_second,
            burst,
            shard_cap: max_keys / shards,
            hasher: RandomState::new(),
            shards: (0..shards).map(|_| Mutex::new(HashMap::new())).collect(),
        }
    }

    /// Admits one request of `key`, or tells how long until it may retry (`Retry-After`).
    pub fn check(&self, key: &K, now: Instant) -> Result<(), Duration> {
        let mut map = self.shard(key);
        if let Some(entry) = map.get_mut(key) {
            entry.used = entry.used.max(now);
            return entry.bucket.try_take(1.0, now);
        }
        if map.len() >= self.shard_cap {
            evict(&mut map, self.shard_cap, now);
        }
        let mut bucket = TokenBucket::new(self.per_second, self.burst);
        let verdict = bucket.try_take(1.0, now);
        map.insert(key.clone(), Entry { bucket, used: now });
        verdict
    }

    /// Whether a bucket is kept for `key`.
    pub fn contains(&self, key: &K) -> bool {
        self.shard(key).contains_key(key)
    }

    /// The number of buckets kept.
    pub fn len(&self) -> usize {
        self.shards.iter().map(|s| lock(s).len()).sum()
    }

    /// Whether no bucket is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn shard(&self, key: &K) -> MutexGuard<'_, HashMap<K, Entry>> {
        let index = (self.hasher.hash_one(key) % self.shards.len() as u64) as usize;
        lock(&self.shards[index])
    }
}

/// Makes room for one more key in a shard of `cap` (see `KeyedLimiter`).
fn evict<K>(map: &mut HashMap<K, Entry>, cap: usize, now: Instant) {
    map.retain(|_, e| !e.bucket.is_full(now));
    if map.len() < cap {
        return;
    }
    let remove = map.len() - cap.saturating_sub((cap / 8).max(1));
    let mut used: Vec<Instant> = map.values().map(|e| e.used).collect();
    let (_, &mut cutoff, _) = used.select_nth_unstable(remove - 1);
    // Ties at the cutoff go too: a few more evictions, never fewer.
    map.retain(|_, e| e.used > cutoff);
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The window's resolution.
const TICK_NANOS: u64 = 100_000_000;
/// Ticks an admission stays counted: 60.1 s, so that it counts for at least 60 s whatever
/// the moment within its tick.
const WINDOW_TICKS: u64 = 601;

/// Requests and tokens per minute of one provider member, over a sliding window.
///
/// An admission counts for at least 60 s and less than 60.1 s (the window moves in 100 ms
/// ticks). A request is admitted when, counting it, the window stays within both limits; a
/// request whose estimate alone exceeds the token limit is admitted only into a window
/// holding no tokens, so that it cannot wait forever. A limit of 0 reads as 1.
#[derive(Debug)]
pub struct WindowLimiter {
    rpm: Option<u64>,
    tpm: Option<u64>,
    window: Mutex<Window>,
}

/// What `WindowLimiter::try_admit` counted, to `settle` with the actual tokens. A reservation
/// never settled (a cancelled request) stays counted as its estimate.
#[derive(Debug)]
pub struct Reservation {
    tick: u64,
    estimated: u32,
}

/// Requests and tokens counted in a window.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WindowUsage {
    /// Requests admitted.
    pub requests: u64,
    /// Their tokens: actual where settled, estimated otherwise.
    pub tokens: u64,
}

#[derive(Debug)]
struct Window {
    /// The instant of tick 0: the first call.
    origin: Option<Instant>,
    /// The latest tick seen; `slots` hold ticks `head - WINDOW_TICKS + 1 ..= head`.
    head: u64,
    slots: Vec<WindowUsage>,
    total: WindowUsage,
}

impl WindowLimiter {
    /// A limiter of `rpm` requests and `tpm` tokens per minute; `None` is no limit.
    pub fn new(rpm: Option<u32>, tpm: Option<u32>) -> Self {
        Self {
            rpm: rpm.map(|r| u64::from(r.max(1))),
            tpm: tpm.map(|t| u64::from(t.max(1))),
            window: Mutex::new(Window {
                origin: None,
                head: 0,
                slots: vec![WindowUsage::default(); WINDOW_TICKS as usize],
                total: WindowUsage::default(),
            }),
        }
    }

    /// Admits a request of about `estimated_tokens`, or tells how long until enough of the
    /// window expires for it.
    pub fn try_admit(&self, estimated_tokens: u32, now: Instant) -> Result<Reservation, Duration> {
        let mut w = lock(&self.window);
        let tick = w.advance(now);
        let est = u64::from(estimated_tokens);
        let total = w.total;
        if self.fits(total.requests, total.tokens, est) {
            let slot = w.slot(tick);
            slot.requests += 1;
            slot.tokens += est;
            w.total.requests += 1;
            w.total.tokens += est;
            return Ok(Reservation {
                tick,
                estimated: estimated_tokens,
            });
        }
        // Oldest tick first: the first whose expiry makes room gives the wait.
        let mut freed = WindowUsage::default();
        for t in tick.saturating_sub(WINDOW_TICKS - 1)..=tick {
            let slot = *w.slot(t);
            freed.requests += slot.requests;
            freed.tokens += slot.tokens;
            let (r, k) = (total.requests - freed.requests, total.tokens - freed.tokens);
            if self.fits(r, k, est) {
                return Err(w.instant_of(t.saturating_add(WINDOW_TICKS), now));
            }
        }
        Err(w.instant_of(tick.saturating_add(WINDOW_TICKS), now)) // unreachable: an empty window fits
    }

    /// Replaces a reservation's estimate by the tokens the request actually used. Nothing
    /// changes once its tick has left the window.
    pub fn settle(&self, reservation: Reservation, actual_tokens: u32, now: Instant) {
        let mut w = lock(&self.window);
        let head = w.advance(now);
        let Reservation { tick, estimated } = reservation;
        if tick > head || tick.saturating_add(WINDOW_TICKS) <= head {
            return;
        }
        let slot = w.slot(tick);
        let before = slot.tokens;
        slot.tokens = before.saturating_sub(u64::from(estimated)) + u64::from(actual_tokens);
        let after = slot.tokens;
        w.total.tokens = w.total.tokens - before + after;
    }

    /// What the window counts at `now`.
    pub fn usage(&self, now: Instant) -> WindowUsage {
        let mut w = lock(&self.window);
        w.advance(now);
        w.total
    }

    /// Whether `requests` and `tokens` already counted leave room for one more request of
    /// `est` tokens.
    fn fits(&self, requests: u64, tokens: u64, est: u64) -> bool {
        self.rpm.is_none_or(|r| requests < r)
            && self.tpm.is_none_or(|t| tokens + est <= t || tokens == 0)
    }
}

impl Window {
    /// Moves the window to `now` (never backwards), dropping expired ticks; returns the tick.
    fn advance(&mut self, now: Instant) -> u64 {
        let origin = *self.origin.get_or_insert(now);
        let nanos = now.saturating_duration_since(origin).as_nanos();
        let tick = u64::try_from(nanos / u128::from(TICK_NANOS)).unwrap_or(u64::MAX);
        if tick <= self.head {
            return self.head;
        }
        if tick - self.head >= WINDOW_TICKS {
            self.slots.fill(WindowUsage::default());
            self.total = WindowUsage::default();
        } else {
            for t in self.head + 1..=tick {
                let slot = std::mem::take(self.slot(t));
                self.total.requests -= slot.requests;
                self.total.tokens -= slot.tokens;
            }
        }
        self.head = tick;
        tick
    }

    fn slot(&mut self, tick: u64) -> &mut WindowUsage {
        let len = self.slots.len() as u64;
        &mut self.slots[(tick % len) as usize]
    }

    /// How long from `now` until tick `tick` starts.
    fn instant_of(&self, tick: u64, now: Instant) -> Duration {
        let offset = Duration::from_nanos(tick.saturating_mul(TICK_NANOS));
        match self.origin.and_then(|o| o.checked_add(offset)) {
            Some(at) => at.saturating_duration_since(now),
            None => Duration::MAX,
        }
    }
}

#[cfg(test)]
mod tests;
