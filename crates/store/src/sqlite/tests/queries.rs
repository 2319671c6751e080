//! Every query (summary, series, breakdown, recent) over the fixture, with combined filters,
//! and NULL costs.

use super::*;

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
