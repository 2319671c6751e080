//! The gateway: the current runtime snapshot (atomically swappable), the record sink, the
//! metrics registry and the llmux keys it accepts.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use arc_swap::ArcSwap;

use crate::metrics::Metrics;
use crate::record::RecordSink;
use crate::responses::ResponseStore;
use crate::snapshot::Snapshot;

#[cfg(test)]
mod tests;

/// Shared state of a running gateway.
pub struct Gateway {
    snapshot: ArcSwap<Snapshot>,
    sink: Arc<dyn RecordSink>,
    responses: ResponseStore,
    metrics: Arc<Metrics>,
    keys: crate::access::KeyRing,
    /// Whether records carry request bodies (the journal captures them); follows reloads.
    capture_bodies: AtomicBool,
}

impl Gateway {
    /// A gateway serving `snapshot`, sending request records to `sink`.
    pub fn new(snapshot: Snapshot, sink: Arc<dyn RecordSink>) -> Self {
        Self::with_metrics(snapshot, sink, Arc::default())
    }

    /// A gateway counting into `metrics`, a registry its sink chain may also count into
    /// (a [`MetricsSink`](crate::metrics::MetricsSink) built before the gateway).
    pub fn with_metrics(
        snapshot: Snapshot,
        sink: Arc<dyn RecordSink>,
        metrics: Arc<Metrics>,
    ) -> Self {
        let capture = snapshot.config.journal.captures_bodies();
        Gateway {
            capture_bodies: AtomicBool::new(capture),
            snapshot: ArcSwap::from_pointee(snapshot),
            sink,
            responses: ResponseStore::default(),
            metrics,
            keys: crate::access::KeyRing::new(),
        }
    }

    /// The current snapshot; a request keeps the one it loaded to the end.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.snapshot.load_full()
    }

    /// Replaces the snapshot; in-flight requests finish on the old one.
    pub fn swap(&self, snapshot: Snapshot) {
        self.capture_bodies
            .store(snapshot.config.journal.captures_bodies(), Ordering::Relaxed);
        self.snapshot.store(Arc::new(snapshot));
    }

    /// Builds a snapshot of `config` that keeps the live state (breakers, latency statistics,
    /// rate windows) of every group member it still has, and swaps it in. On error the
    /// current snapshot stays.
    pub fn reload(&self, config: crate::config::Config) -> Result<(), crate::GatewayError> {
        let registry = self.snapshot.load().registry.clone();
        let snapshot = Snapshot::build_with(config, registry)?;
        self.swap(snapshot);
        Ok(())
    }

    /// Responses-API conversations llmux keeps for providers that keep none.
    pub fn responses(&self) -> &ResponseStore {
        &self.responses
    }

    /// The metrics registry (outlives snapshot swaps: counters never reset on reload).
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// The llmux keys clients may present (auth `proxy_key`), loaded by the binary.
    pub fn keys(&self) -> &crate::access::KeyRing {
        &self.keys
    }

    /// Whether request records should carry the request body (`journal.capture_bodies`).
    pub fn captures_bodies(&self) -> bool {
        self.capture_bodies.load(Ordering::Relaxed)
    }

    /// The prices of the current snapshot (one load, no snapshot clone).
    pub(crate) fn pricing(&self) -> Arc<crate::pricing::Pricing> {
        self.snapshot.load().pricing.clone()
    }

    /// The record sink.
    pub fn sink(&self) -> Arc<dyn RecordSink> {
        self.sink.clone()
    }
}
