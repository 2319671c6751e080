//! The batching writer: request tasks hand rows over a bounded channel without ever waiting;
//! one OS thread (the store is blocking) commits them in batches, every `interval` or every
//! `max_batch` rows, and runs the retention purge.

#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::background::{Counters, Handoff, Inbox};
use crate::query::UsageStore;
use crate::row::UsageRow;

/// How long rows are kept, and how often the writer purges older ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// Rows older than this are deleted.
    pub keep: Duration,
    /// Time between purges (the first runs when the writer starts).
    pub every: Duration,
}

impl Retention {
    /// Keep `days` days, purging daily.
    pub fn days(days: u32) -> Self {
        Retention {
            keep: Duration::from_secs(u64::from(days) * 86_400),
            every: Duration::from_secs(86_400),
        }
    }
}

/// Settings of a [`BatchWriter`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriterConfig {
    /// Rows the channel holds before new ones are dropped.
    pub capacity: usize,
    /// Rows that trigger a commit before the interval is up.
    pub max_batch: usize,
    /// Longest time a row waits before it is committed (what a crash may lose).
    pub interval: Duration,
    /// Periodic purge, if any.
    pub retention: Option<Retention>,
}

impl Default for WriterConfig {
    fn default() -> Self {
        WriterConfig {
            capacity: 8192,
            // A commit of 128 rows holds a core for about a quarter of a millisecond: short
            // enough not to show in a request's latency when the writer shares its core
            // (a thousand rows took 2 ms, the benchmark's p99), for 7 % more per row.
            max_batch: 128,
            interval: Duration::from_secs(1),
            retention: None,
        }
    }
}

/// Whether the pending rows should be committed now: the batch is full, or `interval` has
/// passed since the last commit. (Also true with nothing pending, which just restarts the
/// interval.)
pub fn flush_due(
    pending: usize,
    last_flush: Instant,
    now: Instant,
    max_batch: usize,
    interval: Duration,
) -> bool {
    pending >= max_batch.max(1) || now.saturating_duration_since(last_flush) >= interval
}

/// Whether a purge is due: none ran yet, or `every` has passed since the last one.
pub fn purge_due(last_purge: Option<Instant>, now: Instant, every: Duration) -> bool {
    last_purge.is_none_or(|last| now.saturating_duration_since(last) >= every)
}

/// The time (ms since the epoch) before which rows are purged, keeping `keep` before `now_ms`.
pub fn purge_cutoff_ms(now_ms: i64, keep: Duration) -> i64 {
    now_ms.saturating_sub(i64::try_from(keep.as_millis()).unwrap_or(i64::MAX))
}

/// Takes usage rows off the request path and commits them in batches on its own thread.
///
/// Share it as `Arc<BatchWriter>`. Dropped without [`BatchWriter::shutdown`], the thread
/// still commits what is queued and then ends, but nobody waits for it.
pub struct BatchWriter {
    handoff: Handoff<UsageRow>,
}

impl std::fmt::Debug for BatchWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BatchWriter")
            .field("written", &self.written())
            .field("dropped", &self.dropped())
            .field("failed", &self.failed())
            .finish()
    }
}

/// Work done on each row on the writer thread just before it is committed, off the request
/// path (e.g. resolving the client's host name).
pub type Enrich = Box<dyn FnMut(&mut UsageRow) + Send>;

impl BatchWriter {
    /// Starts the writer thread over `store`.
    pub fn spawn(store: Arc<dyn UsageStore>, config: WriterConfig) -> std::io::Result<Self> {
        Self::spawn_enriched(store, config, None)
    }

    /// [`BatchWriter::spawn`], with `enrich` run on every row before its commit.
    pub fn spawn_enriched(
        store: Arc<dyn UsageStore>,
        config: WriterConfig,
        mut enrich: Option<Enrich>,
    ) -> std::io::Result<Self> {
        let handoff = Handoff::spawn("llmux-usage-writer", config.capacity, move |inbox, c| {
            let sink = Sink {
                store: store.as_ref(),
                enrich: &mut enrich,
                counters: c,
            };
            run(sink, &inbox, &config)
        })?;
        Ok(BatchWriter { handoff })
    }

    /// Hands a row to the writer without blocking. Returns false (and counts the row as
    /// dropped) when the channel is full or the writer has shut down.
    pub fn offer(&self, row: UsageRow) -> bool {
        self.handoff.offer(row)
    }

    /// Rows dropped because the channel was full or the writer was shut down.
    pub fn dropped(&self) -> u64 {
        self.handoff.dropped()
    }

    /// Rows committed to the store.
    pub fn written(&self) -> u64 {
        self.handoff.written()
    }

    /// Rows lost because the store failed to commit their batch.
    pub fn failed(&self) -> u64 {
        self.handoff.failed()
    }

    /// Commits every row offered so far and stops the thread; waits for it. Call once the
    /// listeners have drained; rows offered afterwards are dropped (and counted). A second
    /// call returns at once.
    pub fn shutdown(&self) {
        self.handoff.shutdown();
    }
}

/// Where the writer thread's batches go.
struct Sink<'a> {
    store: &'a dyn UsageStore,
    enrich: &'a mut Option<Enrich>,
    counters: &'a Counters,
}

/// The writer thread's loop. Ends on a shutdown request, or when the writer was dropped
/// without one (rows still queued are committed all the same).
fn run(mut sink: Sink<'_>, inbox: &Inbox<UsageRow>, config: &WriterConfig) {
    let store = sink.store;
    let max_batch = config.max_batch.max(1);
    let mut batch: Vec<UsageRow> = Vec::with_capacity(max_batch);
    let mut last_flush = Instant::now();
    let mut last_purge: Option<Instant> = None;
    loop {
        if let Some(retention) = config.retention {
            let now = Instant::now();
            if purge_due(last_purge, now, retention.every) {
                last_purge = Some(now);
                purge(store, retention);
            }
        }
        let stop = inbox.drain(|row| {
            batch.push(row);
            if batch.len() >= max_batch {
                commit(&mut sink, &mut batch);
                last_flush = Instant::now();
            }
        });
        let now = Instant::now();
        if stop
            || flush_due(
                batch.len(),
                last_flush,
                now,
                config.max_batch,
                config.interval,
            )
        {
            commit(&mut sink, &mut batch);
            last_flush = now;
        }
        if stop {
            return;
        }
        let until_flush = (last_flush + config.interval).saturating_duration_since(Instant::now());
        std::thread::sleep(until_flush.clamp(Duration::from_millis(1), TICK));
    }
}

/// How often the writer looks at the channel when it is not flushing.
const TICK: Duration = Duration::from_millis(50);

fn commit(sink: &mut Sink<'_>, batch: &mut Vec<UsageRow>) {
    if batch.is_empty() {
        return;
    }
    if let Some(enrich) = sink.enrich.as_mut() {
        batch.iter_mut().for_each(enrich);
    }
    let (store, counters) = (sink.store, sink.counters);
    // Whatever happens next, let a request waiting for this core run first.
    let _yield = YieldAfter;
    let n = u64::try_from(batch.len()).unwrap_or(u64::MAX);
    match store.insert_batch(batch) {
        Ok(()) => counters.written(n),
        Err(error) => {
            counters.failed(n);
            tracing::error!(%error, rows = n, "usage store: batch lost");
        }
    }
    batch.clear();
}

fn purge(store: &dyn UsageStore, retention: Retention) {
    match store.purge_before(purge_cutoff_ms(crate::unix_ms_now(), retention.keep)) {
        Ok(gone) => tracing::info!(rows = gone, "usage store: retention purge"),
        Err(error) => tracing::warn!(%error, "usage store: retention purge failed"),
    }
}

/// Yields the core when dropped: after each commit, a request thread that woke meanwhile runs
/// before the writer takes the next batch.
struct YieldAfter;

impl Drop for YieldAfter {
    fn drop(&mut self) {
        std::thread::yield_now();
    }
}
