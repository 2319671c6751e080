//! The store trait and the query shapes it answers: filters, summaries, series, breakdowns,
//! pages of recent rows.

use crate::row::{StatusClass, UsageRow};

/// Errors of a usage store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database was written by a newer llmux whose schema this binary does not know.
    #[error("usage database schema version {found} is newer than this llmux knows ({known}); upgrade llmux or point it at another file")]
    SchemaTooNew {
        /// Version found in the database.
        found: i64,
        /// Newest version this binary knows.
        known: i64,
    },
    /// A value cannot be stored as given.
    #[error("cannot store {0}")]
    InvalidValue(String),
    /// The storage backend failed.
    #[error("usage store backend error: {0}")]
    Backend(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// Which rows a query looks at. Every field narrows the set; all combine with AND.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filter {
    /// Rows at or after this time (ms since the epoch).
    pub from_ms: Option<i64>,
    /// Rows strictly before this time (ms since the epoch).
    pub to_ms: Option<i64>,
    /// Rows carrying this tag (among others).
    pub tag: Option<String>,
    /// Rows served by this provider.
    pub provider: Option<String>,
    /// Rows whose resolved (upstream) model is this one.
    pub model: Option<String>,
    /// Rows made with this key id.
    pub key_id: Option<String>,
    /// Rows whose status is in this class.
    pub status: Option<StatusClass>,
}

/// Totals over a set of rows.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Summary {
    /// Number of requests.
    pub requests: u64,
    /// Requests answered with status 400 or above.
    pub errors: u64,
    /// Sum of prompt tokens.
    pub prompt_tokens: u64,
    /// Sum of completion tokens.
    pub completion_tokens: u64,
    /// Sum of cached prompt tokens.
    pub cached_tokens: u64,
    /// Sum of cache-write tokens.
    pub cache_write_tokens: u64,
    /// Sum of reasoning tokens.
    pub reasoning_tokens: u64,
    /// Sum of the known costs, in US dollars.
    pub cost_usd: f64,
    /// Requests whose cost is unknown (not included in `cost_usd`).
    pub unpriced_requests: u64,
    /// Mean duration in milliseconds, if there were requests.
    pub avg_duration_ms: Option<f64>,
    /// Mean time to first token over requests that had one.
    pub avg_ttft_ms: Option<f64>,
}

/// Time bucket of a series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bucket {
    /// One UTC hour.
    Hour,
    /// One UTC day.
    Day,
}

impl Bucket {
    /// Bucket width in milliseconds.
    pub fn millis(self) -> i64 {
        match self {
            Bucket::Hour => 3_600_000,
            Bucket::Day => 86_400_000,
        }
    }
}

/// One non-empty bucket of a series.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SeriesPoint {
    /// Start of the bucket (ms since the epoch).
    pub start_ms: i64,
    /// Totals of the rows in the bucket.
    pub summary: Summary,
}

/// Dimension of a breakdown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum By {
    /// Per tag; a row with several tags counts under each, untagged rows under none.
    Tag,
    /// Per key id (label: the key's name); keyless requests form one group with no value.
    Key,
    /// Per provider.
    Provider,
    /// Per resolved model.
    Model,
    /// Per client IP (label: its reverse-DNS host, if known).
    Client,
}

/// One group of a breakdown.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Breakdown {
    /// The grouped value (tag, key id, provider, model, client IP); `None` when unset.
    pub value: Option<String>,
    /// A display label when the dimension has one (key name, client host).
    pub label: Option<String>,
    /// Totals of the group.
    pub summary: Summary,
}

/// One page of recent rows, newest first.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    /// Rows matching the filter in all pages.
    pub total: u64,
    /// This page's rows.
    pub rows: Vec<UsageRow>,
}

/// Durable storage of usage rows. Implementations are blocking: call them from a dedicated
/// thread (the [`crate::BatchWriter`]) or `spawn_blocking`, never on an async worker.
pub trait UsageStore: Send + Sync {
    /// Stores rows atomically (all or none).
    fn insert_batch(&self, rows: &[UsageRow]) -> Result<(), StoreError>;
    /// Totals over the rows matching `filter`.
    fn summary(&self, filter: &Filter) -> Result<Summary, StoreError>;
    /// Totals per time bucket, oldest first; empty buckets are left out.
    fn series(&self, filter: &Filter, bucket: Bucket) -> Result<Vec<SeriesPoint>, StoreError>;
    /// Totals per value of `by`, most requests first (ties by value).
    fn breakdown(&self, filter: &Filter, by: By) -> Result<Vec<Breakdown>, StoreError>;
    /// Page `page` (from 0) of the matching rows, newest first, `per_page` rows a page
    /// (clamped to 1..=1000).
    fn recent(&self, filter: &Filter, page: u32, per_page: u32) -> Result<Page, StoreError>;
    /// Deletes the rows older than `before_ms`; returns how many went.
    fn purge_before(&self, before_ms: i64) -> Result<u64, StoreError>;
}
