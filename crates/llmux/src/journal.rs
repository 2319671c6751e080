//! The request journal: one JSON line per finished request in a size-rotated file, written by
//! its own thread from a bounded channel, so a request never waits on it (a full channel
//! drops the line and counts it). Lines are buffered and written on a tick and at shutdown.

mod line;
mod redact;
mod rotate;
#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use llmux_engine::config::JournalConfig;
use llmux_engine::record::{RecordSink, RequestRecord};
use llmux_store::{Counters, Handoff, Inbox};

use line::{render, Entry};
use rotate::RotatingFile;

/// How a [`Journal`] writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalSettings {
    /// The live file.
    pub path: PathBuf,
    /// Size in bytes past which the live file is rotated.
    pub max_bytes: u64,
    /// Files kept, the live one included.
    pub max_files: u32,
    /// Largest captured body in bytes.
    pub max_body_bytes: usize,
    /// Lines the channel holds before new ones are dropped.
    pub capacity: usize,
    /// How often the thread writes what is queued.
    pub tick: Duration,
}

impl JournalSettings {
    /// The settings of `config` for the data directory `data_dir`.
    pub fn new(config: &JournalConfig, data_dir: &Path) -> Self {
        JournalSettings {
            path: config.path_in(data_dir),
            max_bytes: config.max_size_bytes,
            max_files: config.max_files,
            max_body_bytes: config.max_body_bytes,
            capacity: 8192,
            tick: Duration::from_millis(50),
        }
    }
}

/// The journal's writer thread and the channel to it. Share it as `Arc<Journal>`.
pub struct Journal {
    handoff: Handoff<Entry>,
}

impl Journal {
    /// Opens the journal file (an error names it) and starts the writer thread.
    pub fn spawn(settings: JournalSettings) -> anyhow::Result<Self> {
        let file = RotatingFile::open(&settings.path, settings.max_bytes, settings.max_files)
            .with_context(|| {
                format!(
                    "cannot open the request journal {}",
                    settings.path.display()
                )
            })?;
        let capacity = settings.capacity;
        let handoff = Handoff::spawn("llmux-journal", capacity, move |inbox, c| {
            run(file, &inbox, &settings, c)
        })
        .context("cannot start the journal thread")?;
        Ok(Journal { handoff })
    }

    /// Queues a line without blocking; false (and counted as dropped) when the channel is
    /// full or the journal is shut down.
    pub fn offer(&self, entry: Entry) -> bool {
        self.handoff.offer(entry)
    }

    /// Lines dropped because the channel was full or the journal was shut down.
    pub fn dropped(&self) -> u64 {
        self.handoff.dropped()
    }

    /// Lines handed to the file.
    pub fn written(&self) -> u64 {
        self.handoff.written()
    }

    /// Lines lost to a file error.
    pub fn failed(&self) -> u64 {
        self.handoff.failed()
    }

    /// Writes every line queued so far, flushes the file and stops the thread; waits for it.
    /// Lines offered afterwards are dropped. A second call returns at once.
    pub fn shutdown(&self) {
        self.handoff.shutdown();
    }
}

/// Starts the journal of `config` when it is enabled.
pub fn open_journal(data_dir: &Path, config: &JournalConfig) -> anyhow::Result<Option<Journal>> {
    if !config.enabled {
        return Ok(None);
    }
    Journal::spawn(JournalSettings::new(config, data_dir)).map(Some)
}

/// The thread: every tick, writes what is queued and flushes (it never waits on the
/// channel: see [`llmux_store::Inbox`]).
fn run(mut file: RotatingFile, inbox: &Inbox<Entry>, settings: &JournalSettings, c: &Counters) {
    loop {
        let stop = inbox.drain(|entry| {
            let text = render(&entry, settings.max_body_bytes);
            match file.write_line(text.as_bytes()) {
                Ok(()) => c.written(1),
                Err(e) => failed(c, &settings.path, &e),
            }
        });
        if let Err(e) = file.flush() {
            failed(c, &settings.path, &e);
        }
        if stop {
            return;
        }
        std::thread::sleep(settings.tick);
    }
}

/// Counts a lost line, logging the first failure and then every 1024th.
fn failed(c: &Counters, path: &Path, e: &std::io::Error) {
    let n = c.failed(1);
    if n.is_multiple_of(1024) {
        tracing::warn!(target: "llmux", path = %path.display(), error = %e, failed = n + 1, "journal write failed");
    }
}

/// Journals every record (without blocking) and passes it on to `next`.
pub struct JournalSink {
    journal: Arc<Journal>,
    next: Arc<dyn RecordSink>,
}

impl JournalSink {
    /// A sink that journals through `journal`, then hands each record to `next`.
    pub fn new(journal: Arc<Journal>, next: Arc<dyn RecordSink>) -> Self {
        JournalSink { journal, next }
    }
}

impl RecordSink for JournalSink {
    fn record(&self, record: RequestRecord) {
        self.journal
            .offer(entry(&record, llmux_store::unix_ms_now()));
        self.next.record(record);
    }
}

/// The journal entry of `record`, finished at `time_ms` (ms since the Unix epoch).
pub fn entry(record: &RequestRecord, time_ms: i64) -> Entry {
    Entry {
        row: crate::usage::to_row(record, time_ms),
        operation: record.operation,
        request_body: record.request_body.clone(),
    }
}
