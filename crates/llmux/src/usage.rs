//! Per-request usage storage as `serve` wires it: the engine's request records become
//! [`UsageRow`]s handed to the store's [`BatchWriter`] without blocking, then go on to the
//! next sink (the log line).

mod hosts;
#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use llmux_engine::config::UsageConfig;
use llmux_engine::record::{RecordSink, RequestRecord};
use llmux_store::{BatchWriter, Retention, SqliteStore, UsageRow, UsageStore, WriterConfig};

/// File name of the usage database inside the data directory.
pub const DB_FILE: &str = "llmux.db";

/// Where the usage database of `data_dir` lives.
pub fn db_path(data_dir: &Path) -> PathBuf {
    data_dir.join(DB_FILE)
}

/// Opens `<data_dir>/llmux.db` (running its migrations) and starts the batch writer, or
/// returns `None` when usage storage is off. A database that cannot be opened is an error
/// naming the file.
pub fn open_writer(data_dir: &Path, config: &UsageConfig) -> anyhow::Result<Option<BatchWriter>> {
    if !config.enabled {
        return Ok(None);
    }
    let path = db_path(data_dir);
    let store = SqliteStore::open(&path)
        .with_context(|| format!("cannot open the usage database {}", path.display()))?;
    let writer_config = WriterConfig {
        retention: config.retention_days.map(Retention::days),
        ..WriterConfig::default()
    };
    // Filled on the writer thread, never on the request path: the serving member
    // (`provider/model`) and, with `reverse_dns`, the client's host name.
    let mut hosts = config.reverse_dns.then(hosts::HostNames::system);
    let enrich: Option<llmux_store::Enrich> = Some(Box::new(move |row: &mut UsageRow| {
        fill_member(row);
        if let Some(h) = hosts.as_mut() {
            h.fill(row);
        }
    }));
    let writer = BatchWriter::spawn_enriched(Arc::new(store), writer_config, enrich)
        .context("cannot start the usage writer thread")?;
    Ok(Some(writer))
}

/// Opens a read handle on `<data_dir>/llmux.db` for the admin API, or `None` when usage
/// storage is off. Call it after [`open_writer`], which creates and migrates the file; WAL
/// lets this reader run beside the writer.
pub fn open_reader(
    data_dir: &Path,
    config: &UsageConfig,
) -> anyhow::Result<Option<Arc<dyn UsageStore>>> {
    if !config.enabled {
        return Ok(None);
    }
    let path = db_path(data_dir);
    let store = SqliteStore::open(&path)
        .with_context(|| format!("cannot open the usage database {}", path.display()))?;
    Ok(Some(Arc::new(store)))
}

/// Stores every record (through the writer, never blocking) and passes it on to `next`.
///
/// This is the fan-out: the row is built from a borrowed record, so the record itself moves
/// on to the next sink without a copy.
pub struct StoreSink {
    writer: Arc<BatchWriter>,
    next: Arc<dyn RecordSink>,
}

impl StoreSink {
    /// A sink that stores through `writer`, then hands each record to `next`.
    pub fn new(writer: Arc<BatchWriter>, next: Arc<dyn RecordSink>) -> Self {
        StoreSink { writer, next }
    }
}

impl RecordSink for StoreSink {
    fn record(&self, record: RequestRecord) {
        // A full channel drops the row; the writer counts it, and the request goes on.
        self.writer
            .offer(to_row(&record, llmux_store::unix_ms_now()));
        self.next.record(record);
    }
}

/// The stored row of a record that finished at `time_ms` (ms since the Unix epoch).
///
/// The client's host name is left for the writer thread (`usage.reverse_dns`); the group
/// member is the provider and resolved model.
pub fn to_row(r: &RequestRecord, time_ms: i64) -> UsageRow {
    let usage = r.usage.unwrap_or_default();
    let ttft_ms = r.ttft.map(|d| d.as_secs_f64() * 1000.0);
    UsageRow {
        time_ms,
        request_id: r.request_id.clone(),
        key_id: r.caller.key_id().map(str::to_owned),
        key_name: r.caller.key_name().map(str::to_owned),
        tags: r.caller.tags.clone(),
        client_ip: r.caller.client_ip.map(|ip| ip.to_string()),
        client_host: None,
        client_api: r.client_api.to_owned(),
        provider: r.provider.clone(),
        member: None,
        requested_model: r.requested_model.clone(),
        resolved_model: r.upstream_model.clone(),
        status: r.status,
        error_kind: r.error.map(str::to_owned),
        attempts: r.attempts,
        prompt_tokens: usage.prompt_tokens,
        completion_tokens: usage.completion_tokens,
        cached_tokens: usage.cached_tokens,
        cache_write_tokens: usage.cache_write_tokens,
        reasoning_tokens: usage.reasoning_tokens,
        ttft_ms,
        duration_ms: r.duration.as_secs_f64() * 1000.0,
        output_tokens_per_s: output_rate(usage.completion_tokens, r.ttft, r.duration),
        cost_usd: r.cost_usd,
        stream: r.stream,
    }
}

/// The member that served the row, as groups and metrics name it: `provider/model`. Rows
/// refused before any upstream have none.
pub fn fill_member(row: &mut UsageRow) {
    if row.member.is_none() && !row.provider.is_empty() {
        row.member = Some(format!("{}/{}", row.provider, row.resolved_model));
    }
}

/// Output tokens per second over the generation (first token to end), when there was
/// output and a measurable span; the whole duration when no first byte was seen.
fn output_rate(
    completion_tokens: u64,
    ttft: Option<std::time::Duration>,
    duration: std::time::Duration,
) -> Option<f64> {
    let span = duration
        .saturating_sub(ttft.unwrap_or_default())
        .as_secs_f64();
    (completion_tokens > 0 && span > 0.0).then(|| completion_tokens as f64 / span)
}
