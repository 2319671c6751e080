//! The gateway: the current runtime snapshot (atomically swappable), the record sink and the
//! metrics registry.

use std::sync::Arc;

use arc_swap::ArcSwap;

use crate::metrics::Metrics;
use crate::record::RecordSink;
use crate::responses::ResponseStore;
use crate::snapshot::Snapshot;

/// Shared state of a running gateway.
pub struct Gateway {
    snapshot: ArcSwap<Snapshot>,
    sink: Arc<dyn RecordSink>,
    responses: ResponseStore,
    metrics: Metrics,
}

impl Gateway {
    /// A gateway serving `snapshot`, sending request records to `sink`.
    pub fn new(snapshot: Snapshot, sink: Arc<dyn RecordSink>) -> Self {
        Gateway {
            snapshot: ArcSwap::from_pointee(snapshot),
            sink,
            responses: ResponseStore::default(),
            metrics: Metrics::default(),
        }
    }

    /// The current snapshot; a request keeps the one it loaded to the end.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.snapshot.load_full()
    }

    /// Replaces the snapshot; in-flight requests finish on the old one.
    pub fn swap(&self, snapshot: Snapshot) {
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

    /// The prices of the current snapshot (one load, no snapshot clone).
    pub(crate) fn pricing(&self) -> Arc<crate::pricing::Pricing> {
        self.snapshot.load().pricing.clone()
    }

    /// The record sink.
    pub fn sink(&self) -> Arc<dyn RecordSink> {
        self.sink.clone()
    }
}
