//! The building blocks of the metrics registry: atomic counters, gauges and histograms, label
//! sets created on first use (looked up without allocating), and the Prometheus text encoding.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::hash::BuildHasher;

// foldhash, seeded per family: several lookups per request, and SipHash was most of their
// cost. Label values may come from clients, so the seed stays random.
use foldhash::fast::RandomState;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

/// A monotonic counter.
#[derive(Debug, Default)]
pub struct Counter(AtomicU64);

impl Counter {
    /// Adds one.
    pub fn inc(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }

    /// Adds `n`.
    pub fn add(&self, n: u64) {
        self.0.fetch_add(n, Ordering::Relaxed);
    }

    /// The count so far.
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// A monotonic counter of a fractional amount (dollars), kept as `f64` bits.
#[derive(Debug, Default)]
pub struct FloatCounter(AtomicU64);

impl FloatCounter {
    /// Adds `v` (ignored unless finite and positive, so the counter never goes down).
    pub fn add(&self, v: f64) {
        if !(v.is_finite() && v > 0.0) {
            return;
        }
        let _ = self
            .0
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |bits| {
                Some((f64::from_bits(bits) + v).to_bits())
            });
    }

    /// The sum so far.
    pub fn get(&self) -> f64 {
        f64::from_bits(self.0.load(Ordering::Relaxed))
    }
}

/// A gauge of things in progress, changed only through [`Active`] guards.
#[derive(Debug, Default)]
pub struct Gauge(AtomicI64);

impl Gauge {
    /// The current value. Acquire: what a finished request counted before giving its slot
    /// back is visible to whoever sees the slot given back.
    pub fn get(&self) -> i64 {
        self.0.load(Ordering::Acquire)
    }
}

/// One unit of a [`Gauge`], held while something is in progress and given back when dropped,
/// so no path (error, cancellation, a discarded attempt) can leak it.
#[derive(Debug)]
pub struct Active(Arc<Gauge>);

impl Active {
    /// Takes one unit of `gauge`.
    pub fn new(gauge: Arc<Gauge>) -> Self {
        gauge.0.fetch_add(1, Ordering::Relaxed);
        Active(gauge)
    }
}

impl Drop for Active {
    fn drop(&mut self) {
        self.0 .0.fetch_sub(1, Ordering::Release);
    }
}

/// Upper bounds (seconds) of the duration histograms' buckets: from a local model's
/// milliseconds to a large model's minutes before its first byte.
pub const BUCKETS: [f64; 14] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0,
];

/// A histogram of durations over [`BUCKETS`] (plus `+Inf`).
#[derive(Debug, Default)]
pub struct Histogram {
    /// Observations per bucket, not cumulative; the last slot is `+Inf`.
    buckets: [AtomicU64; BUCKETS.len() + 1],
    sum_nanos: AtomicU64,
}

impl Histogram {
    /// Counts one observation.
    pub fn observe(&self, d: Duration) {
        let secs = d.as_secs_f64();
        let slot = BUCKETS
            .iter()
            .position(|&le| secs <= le)
            .unwrap_or(BUCKETS.len());
        if let Some(b) = self.buckets.get(slot) {
            b.fetch_add(1, Ordering::Relaxed);
        }
        let nanos = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        self.sum_nanos.fetch_add(nanos, Ordering::Relaxed);
    }

    /// Writes the `_bucket`, `_sum` and `_count` lines of one label set.
    pub(super) fn encode(&self, out: &mut String, name: &str, labels: &str) {
        let sum = Duration::from_nanos(self.sum_nanos.load(Ordering::Relaxed)).as_secs_f64();
        encode_histogram(out, name, labels, &BUCKETS, &self.buckets, sum);
    }
}

/// Upper bounds of the generation-speed histogram (output tokens per second): from a large
/// model on a busy CPU to a small one on a fast accelerator.
pub const RATE_BUCKETS: [f64; 15] = [
    1.0, 2.0, 5.0, 10.0, 20.0, 30.0, 50.0, 75.0, 100.0, 150.0, 200.0, 300.0, 500.0, 750.0, 1000.0,
];

/// A histogram of rates (tokens per second) over [`RATE_BUCKETS`] (plus `+Inf`).
#[derive(Debug, Default)]
pub struct RateHistogram {
    buckets: [AtomicU64; RATE_BUCKETS.len() + 1],
    sum: FloatCounter,
}

impl RateHistogram {
    /// Counts one observation (ignored unless finite and not negative).
    pub fn observe(&self, v: f64) {
        if !(v.is_finite() && v >= 0.0) {
            return;
        }
        let slot = RATE_BUCKETS
            .iter()
            .position(|&le| v <= le)
            .unwrap_or(RATE_BUCKETS.len());
        if let Some(b) = self.buckets.get(slot) {
            b.fetch_add(1, Ordering::Relaxed);
        }
        self.sum.add(v);
    }

    /// Writes the `_bucket`, `_sum` and `_count` lines of one label set.
    pub(super) fn encode(&self, out: &mut String, name: &str, labels: &str) {
        encode_histogram(
            out,
            name,
            labels,
            &RATE_BUCKETS,
            &self.buckets,
            self.sum.get(),
        );
    }
}

/// Writes a histogram's cumulative `_bucket` lines (`counts` per bucket, not cumulative, the
/// last one `+Inf`), then `_sum` and `_count`.
fn encode_histogram(
    out: &mut String,
    name: &str,
    labels: &str,
    bounds: &[f64],
    counts: &[AtomicU64],
    sum: f64,
) {
    let mut cumulative = 0u64;
    let sep = if labels.is_empty() { "" } else { "," };
    for (i, b) in counts.iter().enumerate() {
        cumulative += b.load(Ordering::Relaxed);
        let le = bounds.get(i).map_or("+Inf".to_owned(), f64::to_string);
        let _ = writeln!(
            out,
            "{name}_bucket{{{labels}{sep}le=\"{le}\"}} {cumulative}"
        );
    }
    sample(out, &format!("{name}_sum"), labels, "", sum);
    sample(out, &format!("{name}_count"), labels, "", cumulative);
}

/// One label set of a family and its series.
#[derive(Debug)]
pub struct Entry<const N: usize, S> {
    key: [String; N],
    /// The label set, encoded once: `group="pool",upstream="a/m"`.
    pub labels: String,
    /// The series.
    pub value: S,
}

/// A family's label sets, keyed by `N` values and created on first use. A lookup hashes the
/// borrowed values and allocates nothing once the set exists. At most `limit` sets are kept;
/// later ones share one overflow set, so values that come from clients cannot grow it without
/// bound.
pub struct Family<const N: usize, S> {
    hasher: RandomState,
    limit: usize,
    encode: fn([&str; N]) -> String,
    overflow_labels: &'static str,
    inner: RwLock<Sets<N, S>>,
}

struct Sets<const N: usize, S> {
    by_hash: HashMap<u64, Vec<Arc<Entry<N, S>>>, RandomState>,
    len: usize,
    overflow: Option<Arc<Entry<N, S>>>,
}

impl<const N: usize, S> std::fmt::Debug for Family<N, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let len = self.inner.read().map_or(0, |s| s.len);
        f.debug_struct("Family").field("sets", &len).finish()
    }
}

impl<const N: usize, S: Default> Family<N, S> {
    /// An empty family; `encode` writes a label set from its values, `overflow_labels` is the
    /// label set shared by everything past `limit`.
    pub fn new(
        limit: usize,
        encode: fn([&str; N]) -> String,
        overflow_labels: &'static str,
    ) -> Self {
        Family {
            hasher: RandomState::default(),
            limit,
            encode,
            overflow_labels,
            inner: RwLock::new(Sets {
                by_hash: HashMap::default(),
                len: 0,
                overflow: None,
            }),
        }
    }

    /// The series of `key`, created if new.
    pub fn get(&self, key: [&str; N]) -> Arc<Entry<N, S>> {
        let hash = self.hasher.hash_one(key);
        let matches = |e: &&Arc<Entry<N, S>>| e.key.iter().zip(key).all(|(a, b)| a == b);
        {
            let sets = self.inner.read().unwrap_or_else(|e| e.into_inner());
            if let Some(found) = sets.by_hash.get(&hash).and_then(|b| b.iter().find(matches)) {
                return found.clone();
            }
        }
        let mut sets = self.inner.write().unwrap_or_else(|e| e.into_inner());
        if let Some(found) = sets.by_hash.get(&hash).and_then(|b| b.iter().find(matches)) {
            return found.clone();
        }
        if sets.len >= self.limit {
            let labels = self.overflow_labels;
            return sets
                .overflow
                .get_or_insert_with(|| {
                    tracing::warn!(
                        target: "llmux::metrics",
                        limit = self.limit,
                        "metric label sets over the limit; further ones are counted as overflow"
                    );
                    Arc::new(Entry {
                        key: std::array::from_fn(|_| String::new()),
                        labels: labels.to_owned(),
                        value: S::default(),
                    })
                })
                .clone();
        }
        let fresh = Arc::new(Entry {
            key: key.map(str::to_owned),
            labels: (self.encode)(key),
            value: S::default(),
        });
        sets.by_hash.entry(hash).or_default().push(fresh.clone());
        sets.len += 1;
        fresh
    }

    /// Every label set, ordered by its encoding (stable output), the overflow set last.
    pub fn all(&self) -> Vec<Arc<Entry<N, S>>> {
        let sets = self.inner.read().unwrap_or_else(|e| e.into_inner());
        let mut all: Vec<_> = sets.by_hash.values().flatten().cloned().collect();
        all.sort_by(|a, b| a.labels.cmp(&b.labels));
        all.extend(sets.overflow.clone());
        all
    }
}

/// Appends `name="value"` to a label set, escaped as the text format wants.
pub fn label(out: &mut String, name: &str, value: &str) {
    if !out.is_empty() {
        out.push(',');
    }
    out.push_str(name);
    out.push_str("=\"");
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Writes a family's `# HELP` and `# TYPE` lines.
pub fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// Writes one sample line; `extra` is one more label (`error="failed"`) or empty.
pub fn sample(
    out: &mut String,
    name: &str,
    labels: &str,
    extra: &str,
    value: impl std::fmt::Display,
) {
    let _ = match (labels.is_empty(), extra.is_empty()) {
        (true, true) => writeln!(out, "{name} {value}"),
        (false, false) => writeln!(out, "{name}{{{labels},{extra}}} {value}"),
        _ => writeln!(out, "{name}{{{labels}{extra}}} {value}"),
    };
}
