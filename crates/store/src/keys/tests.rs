//! Key store tests: create and look up, list, revoke, limit updates, atomic spend, values
//! that cannot be stored, and the v1 → v2 migration of an existing usage database.

use std::sync::Arc;

use super::*;
use crate::query::{Filter, UsageStore};
use crate::sqlite::open_at_version;
use crate::SCHEMA_VERSION;

fn store() -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("usage.db")).unwrap();
    (dir, store)
}

fn key(id: &str, hash: &str, created_at_ms: i64) -> KeyRow {
    KeyRow {
        id: id.into(),
        name: format!("name-{id}"),
        hash: hash.into(),
        prefix: "llmux-AbCd…".into(),
        models: vec!["gpt-*".into(), "claude-3-5-sonnet".into()],
        rpm: Some(60),
        tpm: Some(u64::MAX),
        budget_usd: Some(5.0),
        spent_usd: 0.25,
        expires_at_ms: Some(1_900_000_000_000),
        revoked: false,
        tags: vec!["team-a".into(), "proj x".into()],
        created_at_ms,
    }
}

#[test]
fn create_then_get_by_hash_and_id() {
    let (_dir, s) = store();
    let k = key("key_1", "h1", 10);
    s.create(&k).unwrap();
    let mut want = k.clone();
    want.tpm = Some(i64::MAX as u64); // stored clamped to SQLite's integer range
    assert_eq!(s.get_by_hash("h1").unwrap(), Some(want.clone()));
    assert_eq!(s.get("key_1").unwrap(), Some(want));
    assert_eq!(s.get_by_hash("h2").unwrap(), None);
    assert_eq!(s.get("key_2").unwrap(), None);

    let bare = KeyRow {
        models: vec![],
        tags: vec![],
        rpm: None,
        tpm: None,
        budget_usd: None,
        expires_at_ms: None,
        ..key("key_2", "h2", 11)
    };
    s.create(&bare).unwrap();
    assert_eq!(
        s.get("key_2").unwrap(),
        Some(bare),
        "empty lists and no limits"
    );
}

#[test]
fn duplicate_id_or_hash_is_refused() {
    let (_dir, s) = store();
    s.create(&key("key_1", "h1", 1)).unwrap();
    assert!(matches!(
        s.create(&key("key_1", "h2", 1)),
        Err(StoreError::Backend(_))
    ));
    assert!(matches!(
        s.create(&key("key_2", "h1", 1)),
        Err(StoreError::Backend(_))
    ));
    assert_eq!(s.list().unwrap().len(), 1);
}

#[test]
fn list_is_oldest_first() {
    let (_dir, s) = store();
    for (id, h, t) in [("c", "h3", 30), ("a", "h1", 10), ("b", "h2", 10)] {
        s.create(&key(id, h, t)).unwrap();
    }
    let ids: Vec<String> = s.list().unwrap().into_iter().map(|k| k.id).collect();
    assert_eq!(ids, ["a", "b", "c"]);
}

#[test]
fn revoke_and_update_limits() {
    let (_dir, s) = store();
    s.create(&key("key_1", "h1", 1)).unwrap();
    assert!(s.revoke("key_1").unwrap());
    assert!(!s.revoke("nope").unwrap());
    assert!(s.get("key_1").unwrap().unwrap().revoked);

    let limits = KeyLimits {
        models: vec!["*".into()],
        rpm: None,
        tpm: Some(1000),
        budget_usd: Some(0.5),
        expires_at_ms: None,
    };
    assert!(s.update_limits("key_1", &limits).unwrap());
    assert!(!s.update_limits("nope", &limits).unwrap());
    let got = s.get("key_1").unwrap().unwrap();
    assert_eq!(
        (
            got.models,
            got.rpm,
            got.tpm,
            got.budget_usd,
            got.expires_at_ms
        ),
        (vec!["*".to_owned()], None, Some(1000), Some(0.5), None)
    );
    assert_eq!((got.spent_usd, got.revoked), (0.25, true), "untouched");
}

#[test]
fn add_spend_is_atomic_under_concurrency() {
    let (_dir, s) = store();
    let s = Arc::new(s);
    s.create(&KeyRow {
        spent_usd: 0.0,
        ..key("key_1", "h1", 1)
    })
    .unwrap();
    assert_eq!(s.add_spend("nope", 1.0).unwrap(), None);
    // 8 threads × 50 increments of 1/64 dollar (exact in binary): 6.25 if none is lost.
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let s = Arc::clone(&s);
            std::thread::spawn(move || {
                for _ in 0..50 {
                    s.add_spend("key_1", 1.0 / 64.0).unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(s.get("key_1").unwrap().unwrap().spent_usd, 6.25);
    assert_eq!(s.add_spend("key_1", -0.25).unwrap(), Some(6.0), "refund");
}

#[test]
fn unstorable_values_are_refused() {
    let (_dir, s) = store();
    let bad_model = KeyRow {
        models: vec!["a\u{1f}b".into()],
        ..key("k", "h", 1)
    };
    let bad_budget = KeyRow {
        budget_usd: Some(f64::NAN),
        ..key("k", "h", 1)
    };
    for k in [bad_model, bad_budget] {
        assert!(
            matches!(s.create(&k), Err(StoreError::InvalidValue(_))),
            "{k:?}"
        );
    }
    assert!(s.list().unwrap().is_empty());
    s.create(&key("k", "h", 1)).unwrap();
    assert!(matches!(
        s.add_spend("k", f64::INFINITY),
        Err(StoreError::InvalidValue(_))
    ));
}

#[test]
fn v1_database_migrates_to_the_latest_keeping_usage() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("usage.db");
    {
        // A database as llmux with schema v1 left it, with one usage row.
        let conn = open_at_version(&path, 1);
        let version: i64 = conn
            .query_row("SELECT MAX(version) FROM schema_migrations", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(version, 1);
        conn.execute(
            "INSERT INTO usage (ts_ms, request_id, tags, client_api, provider, requested_model, \
             resolved_model, status, attempts, prompt_tokens, completion_tokens, cached_tokens, \
             cache_write_tokens, reasoning_tokens, duration_ms, stream) \
             VALUES (5, 'r1', '', 'openai', 'openai', 'm', 'm', 200, 1, 3, 4, 0, 0, 0, 12.5, 0)",
            [],
        )
        .unwrap();
        let has_keys: i64 = conn
            .query_row(
                "SELECT COUNT(*) FROM sqlite_master WHERE name = 'keys'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(has_keys, 0, "a v1 database has no keys table");
    }
    let s = SqliteStore::open(&path).unwrap();
    assert_eq!(s.schema_version().unwrap(), SCHEMA_VERSION);
    let usage = s.summary(&Filter::default()).unwrap();
    assert_eq!((usage.requests, usage.prompt_tokens), (1, 3), "usage kept");
    s.create(&key("key_1", "h1", 1)).unwrap();
    drop(s);
    let again = SqliteStore::open(&path).unwrap();
    assert_eq!(again.list().unwrap().len(), 1, "keys survive a reopen");
}
