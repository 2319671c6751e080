//! SQLite store tests: migrations, every query over a hand-computed fixture with combined
//! filters, NULL costs, paging, purge, and that filters use indexes.

use super::*;
use crate::row::StatusClass;

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
fn summary_with_combined_filters() {
    let (_dir, store) = store_with_fixture();
    let s = |tag: Option<&str>| tag.map(str::to_owned);
    let cases: Vec<(&str, Filter, Totals)> = vec![
        ("all", f(), (6, 2, 340, 225, 0.06, 2)),
        (
            "from day 11",
            Filter {
                from_ms: Some(T0 + D),
                ..f()
            },
            (3, 1, 230, 170, 0.05, 1),
        ),
        (
            "before day 11",
            Filter {
                to_ms: Some(T0 + D),
                ..f()
            },
            (3, 1, 110, 55, 0.01, 1),
        ),
        (
            "tag team-a",
            Filter {
                tag: s(Some("team-a")),
                ..f()
            },
            (3, 0, 140, 125, 0.01, 1),
        ),
        (
            "tag proj-x from day 11",
            Filter {
                tag: s(Some("proj-x")),
                from_ms: Some(T0 + D),
                ..f()
            },
            (2, 1, 30, 70, 0.0, 1),
        ),
        (
            "provider openai",
            Filter {
                provider: s(Some("openai")),
                ..f()
            },
            (3, 1, 110, 55, 0.01, 2),
        ),
        (
            "openai gpt-4o",
            Filter {
                provider: s(Some("openai")),
                model: s(Some("gpt-4o")),
                ..f()
            },
            (2, 1, 100, 50, 0.01, 1),
        ),
        (
            "key k1",
            Filter {
                key_id: s(Some("k1")),
                ..f()
            },
            (3, 0, 140, 125, 0.01, 1),
        ),
        (
            "4xx",
            Filter {
                status: Some(StatusClass::ClientError),
                ..f()
            },
            (1, 1, 0, 0, 0.0, 0),
        ),
        (
            "2xx proj-x",
            Filter {
                status: Some(StatusClass::Success),
                tag: s(Some("proj-x")),
                ..f()
            },
            (2, 0, 130, 120, 0.01, 0),
        ),
        (
            "everything at once",
            Filter {
                from_ms: Some(T0),
                to_ms: Some(T0 + 2 * D),
                tag: s(Some("proj-x")),
                provider: s(Some("openai")),
                model: s(Some("gpt-4o")),
                key_id: s(Some("k2")),
                status: Some(StatusClass::ServerError),
            },
            (1, 1, 0, 0, 0.0, 1),
        ),
        (
            "no such provider",
            Filter {
                provider: s(Some("mistral")),
                ..f()
            },
            (0, 0, 0, 0, 0.0, 0),
        ),
        (
            "team-b of k1",
            Filter {
                tag: s(Some("team-b")),
                key_id: s(Some("k1")),
                ..f()
            },
            (0, 0, 0, 0, 0.0, 0),
        ),
    ];
    for (what, filter, want) in cases {
        assert_totals(&store.summary(&filter).unwrap(), want, what);
    }
    let all = store.summary(&f()).unwrap();
    assert_eq!(
        (
            all.cached_tokens,
            all.cache_write_tokens,
            all.reasoning_tokens
        ),
        (20, 30, 40)
    );
    assert_eq!(all.avg_duration_ms, Some(5450.0 / 6.0));
    assert_eq!(all.avg_ttft_ms, Some(150.0));
    let none = store
        .summary(&Filter {
            provider: s(Some("mistral")),
            ..f()
        })
        .unwrap();
    assert_eq!((none.avg_duration_ms, none.avg_ttft_ms), (None, None));
}

#[test]
fn unknown_cost_stays_null() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("usage.db")).unwrap();
    let mut rows = fixture();
    for r in &mut rows {
        r.cost_usd = None;
    }
    store.insert_batch(&rows).unwrap();
    let s = store.summary(&f()).unwrap();
    assert_eq!((s.cost_usd, s.unpriced_requests), (0.0, 6));
    let page = store.recent(&f(), 0, 10).unwrap();
    assert!(
        page.rows.iter().all(|r| r.cost_usd.is_none()),
        "NULL read back as NULL, not 0"
    );
    // A known zero (local model) is a price, not an unknown one.
    let (_d, mixed) = store_with_fixture();
    let ollama = mixed
        .summary(&Filter {
            provider: Some("ollama".into()),
            ..f()
        })
        .unwrap();
    assert_eq!((ollama.cost_usd, ollama.unpriced_requests), (0.0, 0));
}

#[test]
fn series_by_hour_and_day() {
    let (_dir, store) = store_with_fixture();
    let counts = |filter: &Filter, b: Bucket| -> Vec<(i64, u64)> {
        store
            .series(filter, b)
            .unwrap()
            .iter()
            .map(|p| (p.start_ms, p.summary.requests))
            .collect()
    };
    assert_eq!(
        counts(&f(), Bucket::Hour),
        vec![(T0, 2), (T0 + H, 1), (T0 + D + 2 * H, 3)]
    );
    assert_eq!(counts(&f(), Bucket::Day), vec![(T0, 3), (T0 + D, 3)]);
    let openai = Filter {
        provider: Some("openai".into()),
        ..f()
    };
    assert_eq!(counts(&openai, Bucket::Day), vec![(T0, 2), (T0 + D, 1)]);
    let proj_x_day11 = Filter {
        tag: Some("proj-x".into()),
        from_ms: Some(T0 + D),
        ..f()
    };
    assert_eq!(
        counts(&proj_x_day11, Bucket::Hour),
        vec![(T0 + D + 2 * H, 2)]
    );
    let day10 = &store.series(&f(), Bucket::Day).unwrap()[0].summary;
    assert_totals(day10, (3, 1, 110, 55, 0.01, 1), "day 10 totals");
}

#[test]
fn breakdowns_by_every_dimension() {
    let (_dir, store) = store_with_fixture();
    type Group = (Option<String>, Option<String>, u64);
    let groups = |filter: &Filter, by: By| -> Vec<Group> {
        store
            .breakdown(filter, by)
            .unwrap()
            .into_iter()
            .map(|g| (g.value, g.label, g.summary.requests))
            .collect()
    };
    let g =
        |v: Option<&str>, l: Option<&str>, n: u64| (v.map(str::to_owned), l.map(str::to_owned), n);
    let cases: Vec<(&str, Filter, By, Vec<Group>)> = vec![
        (
            "tag",
            f(),
            By::Tag,
            vec![
                g(Some("proj-x"), None, 3),
                g(Some("team-a"), None, 3),
                g(Some("team-b"), None, 1),
            ],
        ),
        (
            "key",
            f(),
            By::Key,
            vec![
                g(Some("k1"), Some("alice"), 3),
                g(Some("k2"), Some("bob"), 2),
                g(None, None, 1),
            ],
        ),
        (
            "provider",
            f(),
            By::Provider,
            vec![
                g(Some("openai"), None, 3),
                g(Some("anthropic"), None, 2),
                g(Some("ollama"), None, 1),
            ],
        ),
        (
            "model",
            f(),
            By::Model,
            vec![
                g(Some("claude"), None, 2),
                g(Some("gpt-4o"), None, 2),
                g(Some("gpt-4o-mini"), None, 1),
                g(Some("llama3"), None, 1),
            ],
        ),
        (
            "client",
            f(),
            By::Client,
            vec![
                g(Some("10.0.0.1"), Some("a.lan"), 3),
                g(Some("10.0.0.2"), Some("b.lan"), 2),
                g(Some("10.0.0.3"), None, 1),
            ],
        ),
        (
            "tag of openai",
            Filter {
                provider: Some("openai".into()),
                ..f()
            },
            By::Tag,
            vec![g(Some("proj-x"), None, 2), g(Some("team-a"), None, 2)],
        ),
        (
            "provider of team-a",
            Filter {
                tag: Some("team-a".into()),
                ..f()
            },
            By::Provider,
            vec![g(Some("openai"), None, 2), g(Some("ollama"), None, 1)],
        ),
        (
            "tag of team-a on day 11",
            Filter {
                tag: Some("team-a".into()),
                from_ms: Some(T0 + D),
                ..f()
            },
            By::Tag,
            vec![g(Some("proj-x"), None, 1), g(Some("team-a"), None, 1)],
        ),
    ];
    for (what, filter, by, want) in cases {
        assert_eq!(groups(&filter, by), want, "{what}");
    }
    let openai = store.breakdown(&f(), By::Provider).unwrap().remove(0);
    assert_totals(
        &openai.summary,
        (3, 1, 110, 55, 0.01, 2),
        "openai group totals",
    );
}

#[test]
fn recent_pages_newest_first() {
    let (_dir, store) = store_with_fixture();
    let rows = fixture();
    let ids = |p: &Page| {
        p.rows
            .iter()
            .map(|r| r.request_id.clone())
            .collect::<Vec<_>>()
    };
    let p0 = store.recent(&f(), 0, 4).unwrap();
    assert_eq!(
        (p0.total, ids(&p0)),
        (6, vec!["r6".into(), "r5".into(), "r4".into(), "r3".into()])
    );
    let p1 = store.recent(&f(), 1, 4).unwrap();
    assert_eq!(ids(&p1), vec!["r2".to_owned(), "r1".to_owned()]);
    assert!(store.recent(&f(), 2, 4).unwrap().rows.is_empty());
    // Every field comes back as stored, tags in their order.
    assert_eq!(p0.rows[0], rows[5]);
    assert_eq!(p1.rows[1], rows[0]);
    let tagged = store
        .recent(
            &Filter {
                tag: Some("proj-x".into()),
                ..f()
            },
            0,
            2,
        )
        .unwrap();
    assert_eq!(
        (tagged.total, ids(&tagged)),
        (3, vec!["r6".into(), "r5".into()])
    );
    // per_page 0 is clamped to 1.
    assert_eq!(store.recent(&f(), 0, 0).unwrap().rows.len(), 1);
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
