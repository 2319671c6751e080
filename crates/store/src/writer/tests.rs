//! Writer tests: the pure flush/purge decisions, flush on shutdown, drops when full, and the
//! retention purge.

use std::sync::{Condvar, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use super::*;
use crate::query::{Breakdown, Bucket, By, Filter, Page, SeriesPoint, StoreError, Summary};
use crate::SqliteStore;

fn row(n: u64, time_ms: i64) -> UsageRow {
    UsageRow {
        time_ms,
        request_id: format!("r{n}"),
        tags: vec!["t".into()],
        client_api: "openai".into(),
        provider: "p".into(),
        requested_model: "m".into(),
        resolved_model: "m".into(),
        status: 200,
        attempts: 1,
        prompt_tokens: n,
        duration_ms: 1.0,
        ..UsageRow::default()
    }
}

#[test]
fn flush_due_table() {
    let t0 = Instant::now();
    let s = Duration::from_secs;
    // (pending, since last flush, max_batch, interval, due)
    let cases = [
        (0, s(0), 10, s(1), false),
        (9, s(0), 10, s(1), false),
        (10, s(0), 10, s(1), true),
        (11, s(0), 10, s(1), true),
        (1, s(1), 10, s(1), true),
        (0, s(2), 10, s(1), true),
        (1, Duration::from_millis(999), 10, s(1), false),
        (1, s(0), 0, s(1), true),
    ];
    for (pending, since, max, interval, due) in cases {
        assert_eq!(
            flush_due(pending, t0, t0 + since, max, interval),
            due,
            "{pending} {since:?} {max}"
        );
    }
    // A clock that seems to run backwards is not "due".
    assert!(!flush_due(1, t0 + s(5), t0, 10, s(1)));
}

#[test]
fn purge_due_and_cutoff_table() {
    let t0 = Instant::now();
    let day = Duration::from_secs(86_400);
    let cases = [
        (None, Duration::ZERO, true),
        (Some(t0), Duration::ZERO, false),
        (Some(t0), day - Duration::from_secs(1), false),
        (Some(t0), day, true),
    ];
    for (last, after, due) in cases {
        assert_eq!(purge_due(last, t0 + after, day), due, "{last:?} {after:?}");
    }
    assert_eq!(
        purge_cutoff_ms(10 * 86_400_000, Retention::days(3).keep),
        7 * 86_400_000
    );
    assert_eq!(
        purge_cutoff_ms(1_000, Retention::days(1).keep),
        1_000 - 86_400_000
    );
    assert_eq!(purge_cutoff_ms(i64::MIN, Duration::MAX), i64::MIN);
}

#[test]
fn shutdown_flushes_every_row() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("usage.db");
    let store = Arc::new(SqliteStore::open(&path).unwrap());
    let config = WriterConfig {
        capacity: 10_000,
        max_batch: 4096,
        // Never due by time: the last partial batch is committed only by shutdown.
        interval: Duration::from_secs(3600),
        retention: None,
    };
    let writer = BatchWriter::spawn(store, config).unwrap();
    for n in 0..10_000 {
        assert!(writer.offer(row(n, 1_000)));
    }
    writer.shutdown();
    assert_eq!(
        (writer.written(), writer.dropped(), writer.failed()),
        (10_000, 0, 0)
    );
    let reread = SqliteStore::open(&path).unwrap();
    let s = reread.summary(&Filter::default()).unwrap();
    assert_eq!(s.requests, 10_000);
    assert_eq!(
        s.prompt_tokens,
        (0..10_000u64).sum::<u64>(),
        "each row once"
    );
    // Offers after shutdown are refused and counted; a second shutdown is harmless.
    assert!(!writer.offer(row(1, 1_000)));
    assert_eq!(writer.dropped(), 1);
    writer.shutdown();
}

#[test]
fn enrich_runs_on_every_row_before_it_is_stored() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("usage.db");
    let store = Arc::new(SqliteStore::open(&path).unwrap());
    let enrich: Enrich = Box::new(|row: &mut UsageRow| {
        row.client_host = Some(format!("host-{}", row.request_id));
    });
    let writer = BatchWriter::spawn_enriched(store, WriterConfig::default(), Some(enrich)).unwrap();
    for n in 0..300 {
        assert!(writer.offer(row(n, 1_000)));
    }
    writer.shutdown();
    let page = SqliteStore::open(&path)
        .unwrap()
        .recent(&Filter::default(), 0, 1000)
        .unwrap();
    assert_eq!(page.rows.len(), 300);
    for r in &page.rows {
        assert_eq!(r.client_host, Some(format!("host-{}", r.request_id)));
    }
}

/// A store whose commits wait until the test opens the gate.
#[derive(Default)]
struct GatedStore {
    open: Mutex<bool>,
    cv: Condvar,
    rows: Mutex<Vec<UsageRow>>,
}

impl GatedStore {
    fn release(&self) {
        *self.open.lock().unwrap() = true;
        self.cv.notify_all();
    }
}

impl UsageStore for GatedStore {
    fn insert_batch(&self, rows: &[UsageRow]) -> Result<(), StoreError> {
        let open = self.open.lock().unwrap();
        drop(self.cv.wait_while(open, |open| !*open).unwrap());
        self.rows.lock().unwrap().extend_from_slice(rows);
        Ok(())
    }
    fn summary(&self, _: &Filter) -> Result<Summary, StoreError> {
        Ok(Summary::default())
    }
    fn series(&self, _: &Filter, _: Bucket) -> Result<Vec<SeriesPoint>, StoreError> {
        Ok(Vec::new())
    }
    fn breakdown(&self, _: &Filter, _: By) -> Result<Vec<Breakdown>, StoreError> {
        Ok(Vec::new())
    }
    fn recent(&self, _: &Filter, _: u32, _: u32) -> Result<Page, StoreError> {
        Ok(Page {
            total: 0,
            rows: Vec::new(),
        })
    }
    fn purge_before(&self, _: i64) -> Result<u64, StoreError> {
        Ok(0)
    }
}

#[test]
fn offer_never_blocks_when_full() {
    let store = Arc::new(GatedStore::default());
    let config = WriterConfig {
        capacity: 4,
        max_batch: 1,
        interval: Duration::from_millis(1),
        retention: None,
    };
    let writer = BatchWriter::spawn(store.clone(), config).unwrap();
    let started = Instant::now();
    let accepted = (0..1000).filter(|&n| writer.offer(row(n, 0))).count() as u64;
    // The writer is stuck in its first commit: the channel (4) and that one batch (1) are
    // all that can be taken; the rest is dropped at once, never waited on.
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "offer blocked: {:?}",
        started.elapsed()
    );
    assert!((4..=5).contains(&accepted), "accepted {accepted}");
    assert_eq!(writer.dropped(), 1000 - accepted);
    store.release();
    writer.shutdown();
    assert_eq!(writer.written(), accepted);
    assert_eq!(store.rows.lock().unwrap().len() as u64, accepted);
}

#[test]
fn retention_purges_when_the_writer_starts() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(dir.path().join("usage.db")).unwrap());
    let now_ms = i64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis(),
    )
    .unwrap();
    let old = now_ms - 10 * 86_400_000;
    store.insert_batch(&[row(1, old), row(2, now_ms)]).unwrap();
    let config = WriterConfig {
        retention: Some(Retention::days(7)),
        ..WriterConfig::default()
    };
    let writer = BatchWriter::spawn(store.clone(), config).unwrap();
    assert!(writer.offer(row(3, now_ms)));
    writer.shutdown();
    let page = store.recent(&Filter::default(), 0, 10).unwrap();
    let ids: Vec<_> = page.rows.iter().map(|r| r.request_id.as_str()).collect();
    assert_eq!(ids.len(), 2);
    assert!(
        ids.contains(&"r2") && ids.contains(&"r3") && !ids.contains(&"r1"),
        "{ids:?}"
    );
}
