//! Crash safety: a process writing usage rows is killed (SIGKILL, no shutdown, no close);
//! the database it leaves, and a copy of it, open clean and hold every row it had reported
//! committed.
//!
//! The test runs itself as the child: with `LLMUX_STORE_CRASH_DB` set it is the writer.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use llmux_store::{BatchWriter, Filter, SqliteStore, UsageRow, UsageStore, WriterConfig};

const CHILD_ENV: &str = "LLMUX_STORE_CRASH_DB";

fn row(n: u64) -> UsageRow {
    UsageRow {
        time_ms: 1_700_000_000_000 + i64::try_from(n).unwrap(),
        request_id: format!("r{n}"),
        tags: vec!["crash".into(), format!("t{}", n % 7)],
        client_api: "openai".into(),
        provider: "p".into(),
        requested_model: "m".into(),
        resolved_model: "m".into(),
        status: 200,
        attempts: 1,
        prompt_tokens: 10,
        completion_tokens: 5,
        duration_ms: 12.5,
        cost_usd: (!n.is_multiple_of(3)).then_some(0.001),
        ..UsageRow::default()
    }
}

/// The child: writes rows forever (bounded at 60 s), reporting the committed count.
fn child(path: &str) {
    let store = Arc::new(SqliteStore::open(path).unwrap());
    let config = WriterConfig {
        interval: Duration::from_millis(20),
        max_batch: 256,
        ..WriterConfig::default()
    };
    let writer = BatchWriter::spawn(store, config).unwrap();
    let started = Instant::now();
    let mut out = std::io::stdout();
    let mut n = 0;
    while started.elapsed() < Duration::from_secs(60) {
        for _ in 0..100 {
            writer.offer(row(n));
            n += 1;
        }
        writeln!(out, "written {}", writer.written()).unwrap();
        out.flush().unwrap();
        std::thread::sleep(Duration::from_millis(2));
    }
}

#[test]
fn crash_mid_write_opens_clean() {
    if let Ok(path) = std::env::var(CHILD_ENV) {
        child(&path);
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("usage.db");
    let mut proc = Command::new(std::env::current_exe().unwrap())
        .args([
            "crash_mid_write_opens_clean",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, &path)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let lines = BufReader::new(proc.stdout.take().unwrap()).lines();
    let deadline = Instant::now() + Duration::from_secs(50);
    let mut committed = 0u64;
    for line in lines {
        let line = line.unwrap();
        if let Some(n) = line.strip_prefix("written ") {
            committed = n.parse().unwrap();
        }
        if committed >= 3000 || Instant::now() > deadline {
            break;
        }
    }
    // SIGKILL mid-stream: rows keep arriving and batches keep committing until this instant.
    proc.kill().unwrap();
    proc.wait().unwrap();
    assert!(
        committed >= 3000,
        "child committed only {committed} rows before the deadline"
    );

    let wal = dir.path().join("usage.db-wal");
    let wal_len = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
    assert!(
        wal_len > 0,
        "the crash left no WAL to recover: nothing was tested"
    );

    // A copy of the files as the crash left them (database, WAL, shared memory).
    let copy_dir = tempfile::tempdir().unwrap();
    for suffix in ["", "-wal", "-shm"] {
        let from = dir.path().join(format!("usage.db{suffix}"));
        if from.exists() {
            std::fs::copy(&from, copy_dir.path().join(format!("usage.db{suffix}"))).unwrap();
        }
    }
    for db in [copy_dir.path().join("usage.db"), path] {
        let store = SqliteStore::open(&db).unwrap();
        assert!(store.integrity_ok().unwrap(), "{db:?} is corrupt");
        let all = store.summary(&Filter::default()).unwrap();
        assert!(
            all.requests >= committed,
            "{db:?}: {} rows, {committed} reported committed",
            all.requests
        );
        // Every committed row came with its tags: none half-written.
        let tagged = Filter {
            tag: Some("crash".into()),
            ..Filter::default()
        };
        assert_eq!(store.summary(&tagged).unwrap().requests, all.requests);
        assert_eq!(all.prompt_tokens, 10 * all.requests);
    }
}
