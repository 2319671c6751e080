//! llmux usage store: one [`UsageRow`] per request, kept behind the [`UsageStore`] trait,
//! with a SQLite implementation ([`SqliteStore`]) and a [`BatchWriter`] that takes rows off
//! the request path.
//!
//! # Plugging it in behind `RecordSink`
//!
//! The engine emits one `RequestRecord` per request through its `RecordSink` trait, whose
//! `record` must not block. The intended wiring (done by the server, not here):
//!
//! 1. At start-up open the store: `SqliteStore::open(data_dir.join("llmux.db"))` (runs the
//!    migrations; a database from a newer llmux is refused with
//!    [`StoreError::SchemaTooNew`]).
//! 2. Spawn a [`BatchWriter`] over `Arc<dyn UsageStore>` with [`WriterConfig`] (and a
//!    [`Retention`] when the operator set a retention period).
//! 3. Implement `RecordSink` for a small adapter holding `Arc<BatchWriter>`: it turns the
//!    record plus what the edge knows (key, tags, client IP, client API, cost from the price
//!    table) into a [`UsageRow`] and calls [`BatchWriter::offer`], which never blocks; a full
//!    channel drops the row and counts it ([`BatchWriter::dropped`], worth a metric).
//! 4. On graceful shutdown, after the listeners have drained, call
//!    [`BatchWriter::shutdown`]: every row offered before it is committed.
//! 5. The admin API reads through a second `SqliteStore` opened on the same file (WAL lets
//!    readers run beside the writer), calling [`UsageStore::summary`], `series`,
//!    `breakdown` and `recent`.
//!
//! Times are milliseconds since the Unix epoch (UTC) throughout; hour and day buckets are
//! UTC.
//!
//! Proxy keys live in the same file (table `keys`, schema version 2) behind the
//! [`KeyStore`] trait: stored as their SHA-256 hash only, looked up by it. Objects made through
//! the admin configuration API live in table `registry` (version 4) behind [`RegistryStore`];
//! the admin listener's audit log and password hashes (version 5) are behind [`AdminStore`].

mod admin;
mod background;
mod keys;
mod query;
mod registry;
mod row;
mod sqlite;
mod writer;

pub use admin::{AdminStore, AuditRow, PasswordRow, MAX_AUDIT_PAGE};
pub use background::{lower_current_thread_priority, Counters, Handoff, Inbox};
pub use keys::{KeyLimits, KeyRow, KeyStore};
pub use query::{
    Breakdown, Bucket, By, Filter, Page, SeriesPoint, StoreError, Summary, UsageStore,
};
pub use registry::{RegistryKind, RegistryRow, RegistryStore, RegistryWrite};
pub use row::{StatusClass, UsageRow};
pub use sqlite::{unix_ms_now, SqliteStore, SCHEMA_VERSION};
pub use writer::{
    flush_due, purge_cutoff_ms, purge_due, BatchWriter, Enrich, Retention, WriterConfig,
};
