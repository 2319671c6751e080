//! SQLite store tests: migrations, purge, index use; the fixture (six requests over two
//! days, expectations counted by hand) that `queries` runs every query against.

use super::*;
use crate::row::StatusClass;

mod queries;

const H: i64 = 3_600_000;
const D: i64 = 86_400_000;
const T0: i64 = 10 * D;

struct Spec {
    t: i64,
    key: Option<(&'static str, &'static str)>,
    tags: &'static [&'static str],
    ip: &'static str,
    host: Option<&'static str>,
    provider: &'static str,
    model: &'static str,
    status: u16,
    tokens: [u64; 5],
    cost: Option<f64>,
    ttft: Option<f64>,
    dur: f64,
}

fn row(n: usize, s: &Spec) -> UsageRow {
    UsageRow {
        time_ms: s.t,
        request_id: format!("r{n}"),
        key_id: s.key.map(|k| k.0.to_owned()),
        key_name: s.key.map(|k| k.1.to_owned()),
        tags: s.tags.iter().map(|t| (*t).to_owned()).collect(),
        client_ip: Some(s.ip.to_owned()),
        client_host: s.host.map(str::to_owned),
        client_api: "openai".into(),
        provider: s.provider.into(),
        member: Some(format!("{}-1", s.provider)),
        requested_model: format!("alias-{}", s.model),
        resolved_model: s.model.into(),
        status: s.status,
        error_kind: (s.status >= 400).then(|| "upstream_status".to_owned()),
        attempts: 1,
        prompt_tokens: s.tokens[0],
        completion_tokens: s.tokens[1],
        cached_tokens: s.tokens[2],
        cache_write_tokens: s.tokens[3],
        reasoning_tokens: s.tokens[4],
        ttft_ms: s.ttft,
        duration_ms: s.dur,
        output_tokens_per_s: s.ttft.map(|_| 42.5),
        cost_usd: s.cost,
        stream: n.is_multiple_of(2),
    }
}

/// Six requests over two days; every expectation below is counted from this table by hand.
fn fixture() -> Vec<UsageRow> {
    let k1 = Some(("k1", "alice"));
    let k2 = Some(("k2", "bob"));
    let specs = [
        Spec {
            t: T0 + H / 2,
            key: k1,
            tags: &["team-a", "proj-x"],
            ip: "10.0.0.1",
            host: Some("a.lan"),
            provider: "openai",
            model: "gpt-4o",
            status: 200,
            tokens: [100, 50, 20, 0, 0],
            cost: Some(0.01),
            ttft: Some(100.0),
            dur: 1000.0,
        },
        Spec {
            t: T0 + 7 * H / 10,
            key: k1,
            tags: &["team-a"],
            ip: "10.0.0.1",
            host: None,
            provider: "openai",
            model: "gpt-4o-mini",
            status: 200,
            tokens: [10, 5, 0, 0, 0],
            cost: None,
            ttft: None,
            dur: 500.0,
        },
        Spec {
            t: T0 + 12 * H / 10,
            key: k2,
            tags: &["team-b"],
            ip: "10.0.0.2",
            host: None,
            provider: "anthropic",
            model: "claude",
            status: 429,
            tokens: [0; 5],
            cost: Some(0.0),
            ttft: None,
            dur: 50.0,
        },
        Spec {
            t: T0 + D + 2 * H,
            key: None,
            tags: &[],
            ip: "10.0.0.3",
            host: None,
            provider: "anthropic",
            model: "claude",
            status: 200,
            tokens: [200, 100, 0, 30, 40],
            cost: Some(0.05),
            ttft: Some(300.0),
            dur: 3000.0,
        },
        Spec {
            t: T0 + D + 25 * H / 10,
            key: k2,
            tags: &["proj-x"],
            ip: "10.0.0.2",
            host: Some("b.lan"),
            provider: "openai",
            model: "gpt-4o",
            status: 502,
            tokens: [0; 5],
            cost: None,
            ttft: None,
            dur: 200.0,
        },
        Spec {
            t: T0 + D + 29 * H / 10,
            key: k1,
            tags: &["team-a", "proj-x"],
            ip: "10.0.0.1",
            host: Some("a.lan"),
            provider: "ollama",
            model: "llama3",
            status: 200,
            tokens: [30, 70, 0, 0, 0],
            cost: Some(0.0),
            ttft: Some(50.0),
            dur: 700.0,
        },
    ];
    specs
        .iter()
        .enumerate()
        .map(|(i, s)| row(i + 1, s))
        .collect()
}

fn store_with_fixture() -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("usage.db")).unwrap();
    store.insert_batch(&fixture()).unwrap();
    (dir, store)
}

fn f() -> Filter {
    Filter::default()
}

/// (requests, errors, prompt, completion, known cost, unpriced)
type Totals = (u64, u64, u64, u64, f64, u64);

fn totals(s: &Summary) -> Totals {
    (
        s.requests,
        s.errors,
        s.prompt_tokens,
        s.completion_tokens,
        s.cost_usd,
        s.unpriced_requests,
    )
}

fn assert_totals(got: &Summary, want: Totals, what: &str) {
    let g = totals(got);
    assert_eq!(
        (g.0, g.1, g.2, g.3, g.5),
        (want.0, want.1, want.2, want.3, want.5),
        "{what}"
    );
    assert!(
        (g.4 - want.4).abs() < 1e-9,
        "{what}: cost {} != {}",
        g.4,
        want.4
    );
}

#[test]
fn migrates_from_empty_and_reopens() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("usage.db");
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    store.insert_batch(&fixture()[..1]).unwrap();
    drop(store);
    let again = SqliteStore::open(&path).unwrap();
    assert_eq!(again.schema_version().unwrap(), SCHEMA_VERSION);
    let applied: i64 = again
        .lock()
        .query_row("SELECT COUNT(*) FROM schema_migrations", [], |r| r.get(0))
        .unwrap();
    assert_eq!(applied, SCHEMA_VERSION, "each migration recorded once");
    assert_eq!(again.summary(&f()).unwrap().requests, 1);
    let mode: String = again
        .lock()
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
}

#[test]
fn newer_schema_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("usage.db");
    drop(SqliteStore::open(&path).unwrap());
    Connection::open(&path)
        .unwrap()
        .execute(
            "INSERT INTO schema_migrations VALUES (?1, 0)",
            [SCHEMA_VERSION + 1],
        )
        .unwrap();
    match SqliteStore::open(&path) {
        Err(StoreError::SchemaTooNew { found, known }) => {
            assert_eq!((found, known), (SCHEMA_VERSION + 1, SCHEMA_VERSION));
        }
        other => panic!("expected SchemaTooNew, got {other:?}"),
    }
}

#[test]
fn purge_removes_old_rows_and_their_tags() {
    let (_dir, store) = store_with_fixture();
    assert_eq!(store.purge_before(T0 + D).unwrap(), 3);
    assert_eq!(store.summary(&f()).unwrap().requests, 3);
    let tag_rows: i64 = store
        .lock()
        .query_row("SELECT COUNT(*) FROM usage_tag", [], |r| r.get(0))
        .unwrap();
    assert_eq!(tag_rows, 3, "r5 has one tag, r6 two");
    let team_b = store
        .summary(&Filter {
            tag: Some("team-b".into()),
            ..f()
        })
        .unwrap();
    assert_eq!(team_b.requests, 0);
    assert_eq!(store.purge_before(T0 + D).unwrap(), 0, "idempotent");
}

#[test]
/// Filters bounded in time (what the API and the CLI send) and tag filters never scan the
/// whole table; provider, model and key are narrowed within the time range (schema v3 keeps
/// only the time index, for the writer's sake).
fn filters_use_indexes() {
    let (_dir, store) = store_with_fixture();
    let filters = [
        Filter {
            from_ms: Some(T0),
            ..f()
        },
        Filter {
            tag: Some("team-a".into()),
            ..f()
        },
        Filter {
            provider: Some("openai".into()),
            from_ms: Some(T0),
            ..f()
        },
        Filter {
            model: Some("gpt-4o".into()),
            from_ms: Some(T0),
            ..f()
        },
        Filter {
            key_id: Some("k1".into()),
            to_ms: Some(T0 + D),
            ..f()
        },
    ];
    for filter in filters {
        let (wh, params) = sql::where_clause(&filter);
        let q = format!("EXPLAIN QUERY PLAN SELECT COUNT(*) FROM usage u{wh}");
        let conn = store.lock();
        let mut stmt = conn.prepare(&q).unwrap();
        let plan: Vec<String> = stmt
            .query_map(params_from_iter(params), |r| r.get::<_, String>(3))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert!(
            !plan.iter().any(|step| step.starts_with("SCAN u")),
            "{filter:?} scans the whole table: {plan:?}"
        );
    }
    // The check can see a scan: status alone has no index (it is only ever combined).
    let (wh, params) = sql::where_clause(&Filter {
        status: Some(StatusClass::Success),
        ..f()
    });
    let conn = store.lock();
    let mut stmt = conn
        .prepare(&format!(
            "EXPLAIN QUERY PLAN SELECT COUNT(*) FROM usage u{wh}"
        ))
        .unwrap();
    let plan: Vec<String> = stmt
        .query_map(params_from_iter(params), |r| r.get::<_, String>(3))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(
        plan.iter().any(|step| step.starts_with("SCAN u")),
        "{plan:?}"
    );
}
