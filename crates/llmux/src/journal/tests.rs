//! Journal tests: the line's fields and time format, redaction (tables and properties), the
//! size rotation, and the writer thread's flush and shutdown.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::time::Duration;

use bytes::Bytes;
use llmux_engine::tags::SECRET_PREFIXES;
use llmux_store::UsageRow;
use proptest::prelude::*;
use serde_json::{json, Value};

use super::line::{render, rfc3339_ms, Entry};
use super::redact::{capture, is_secret_name, redact_text, REDACTED};
use super::rotate::{numbered, RotatingFile};
use super::{Journal, JournalSettings};

fn entry(id: &str, body: Option<&str>) -> Entry {
    Entry {
        row: UsageRow {
            time_ms: 1_700_000_000_123,
            request_id: id.into(),
            provider: "openai".into(),
            requested_model: "fast".into(),
            resolved_model: "gpt-4.1".into(),
            status: 200,
            attempts: 2,
            prompt_tokens: 7,
            stream: true,
            ..UsageRow::default()
        },
        operation: "chat_completions",
        request_body: body.map(|b| Bytes::from(b.to_owned())),
    }
}

#[test]
fn a_line_holds_every_usage_field_and_the_routing_facts() {
    let line: Value = serde_json::from_str(&render(&entry("req-1", None), 100)).unwrap();
    assert_eq!(line["time"], "2023-11-14T22:13:20.123Z");
    assert_eq!(line["time_ms"], 1_700_000_000_123_i64);
    assert_eq!(line["request_id"], "req-1");
    assert_eq!(line["served_by"], "openai/gpt-4.1");
    assert_eq!(line["operation"], "chat_completions");
    assert_eq!(
        (line["attempts"].clone(), line["stream"].clone()),
        (json!(2), json!(true))
    );
    let row = serde_json::to_value(UsageRow::default()).unwrap();
    for key in row.as_object().unwrap().keys() {
        assert!(line.get(key).is_some(), "{key} missing from {line}");
    }
    assert!(line.get("request_body").is_none(), "{line}");
}

#[test]
fn a_captured_body_is_redacted_and_cut() {
    let body = r#"{"model":"m","api_key":"abc","messages":[{"content":"my key sk-live123"}]}"#;
    let line: Value = serde_json::from_str(&render(&entry("r", Some(body)), 1000)).unwrap();
    assert_eq!(line["request_body"]["api_key"], REDACTED);
    assert_eq!(
        line["request_body"]["messages"][0]["content"],
        "my key [redacted]"
    );
    assert_eq!(line["request_body_truncated"], false);
    let line: Value = serde_json::from_str(&render(&entry("r", Some(body)), 20)).unwrap();
    assert_eq!(line["request_body"], r#"{"api_key":"[redacte"#);
    assert_eq!(line["request_body_truncated"], true);
}

#[test]
fn rfc3339_matches_a_day_by_day_count() {
    let month_days = |y: i64, m: usize| match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    let (mut y, mut m, mut d) = (1970_i64, 1_usize, 1_i64);
    for day in 0..80_000_i64 {
        let want = format!("{y:04}-{m:02}-{d:02}T00:00:00.000Z");
        assert_eq!(rfc3339_ms(day * 86_400_000), want);
        d += 1;
        if d > month_days(y, m) {
            (d, m) = (1, m + 1);
            if m > 12 {
                (m, y) = (1, y + 1);
            }
        }
    }
    assert_eq!(rfc3339_ms(86_399_999), "1970-01-01T23:59:59.999Z");
    assert_eq!(rfc3339_ms(-1), "1969-12-31T23:59:59.999Z");
}

#[test]
fn secret_names() {
    for name in [
        "api_key",
        "apiKey",
        "x-api-key",
        "Authorization",
        "password",
        "client_secret",
        "access_token",
        "token",
        "secret",
    ] {
        assert!(is_secret_name(name), "{name}");
    }
    for name in [
        "max_tokens",
        "model",
        "messages",
        "tokens",
        "stream",
        "content",
    ] {
        assert!(!is_secret_name(name), "{name}");
    }
}

#[test]
fn secret_words_in_text() {
    // (text, redacted or None when untouched)
    let cases = [
        ("hello world", None),
        ("task-based sk", None),
        ("sk-abc", Some("[redacted]")),
        ("Bearer sk-ant-xyz, ok", Some("Bearer [redacted], ok")),
        ("k=AIzaSy_1 and hf_x.", Some("k=[redacted] and [redacted].")),
        ("llmux-AAAA", Some("[redacted]")),
        ("é gsk_1é", Some("é [redacted]é")),
    ];
    for (text, want) in cases {
        assert_eq!(redact_text(text).as_deref(), want, "{text}");
    }
}

#[test]
fn capture_cuts_on_a_character_boundary() {
    let c = capture("ééééé".as_bytes(), 5);
    assert_eq!((c.body, c.truncated), (json!("éé"), true));
    let c = capture(b"not json sk-123", 100);
    assert_eq!((c.body, c.truncated), (json!("not json [redacted]"), false));
    let c = capture(br#"{"a":1}"#, 7);
    assert_eq!((c.body, c.truncated), (json!({"a": 1}), false));
}

/// Whether any string in `v` (a value, not a key) starts like a key.
fn leaks(v: &Value) -> bool {
    match v {
        Value::String(s) => llmux_engine::tags::looks_like_secret(s) || s.starts_with("llmux-"),
        Value::Array(items) => items.iter().any(leaks),
        Value::Object(map) => map.values().any(leaks),
        _ => false,
    }
}

/// Whether a captured body keeps to `max` bytes: a string's own text, or any other value's
/// JSON text.
fn fits(body: &Value, max: usize) -> bool {
    match body {
        Value::String(s) => s.len() <= max,
        other => other.to_string().len() <= max,
    }
}

fn text() -> impl Strategy<Value = String> {
    let prefix = prop::sample::select(
        SECRET_PREFIXES
            .iter()
            .copied()
            .chain(["llmux-", "", " ", "x"])
            .collect::<Vec<_>>(),
    );
    (prefix, "[a-zA-Z0-9_ .é-]{0,12}", any::<bool>()).prop_map(|(p, rest, front)| {
        if front {
            format!("{p}{rest}")
        } else {
            format!("{rest}{p}{rest}")
        }
    })
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        text().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        let key = prop_oneof![
            text(),
            prop::sample::select(vec!["api_key", "token", "model"]).prop_map(str::to_owned)
        ];
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(key, inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn redaction_leaves_no_key_and_keeps_json(value in json_value(), max in 1usize..400) {
        let bytes = serde_json::to_vec(&value).unwrap();
        let whole = capture(&bytes, usize::MAX);
        prop_assert!(!whole.truncated);
        prop_assert!(!leaks(&whole.body), "{}", whole.body);
        let cut = capture(&bytes, max);
        prop_assert!(!leaks(&cut.body), "{}", cut.body);
        prop_assert!(fits(&cut.body, max), "{} over {max}", cut.body);
        prop_assert!(!cut.truncated || cut.body.is_string());
        let mut e = entry("p", None);
        e.request_body = Some(Bytes::from(bytes));
        let line: Value = serde_json::from_str(&render(&e, max)).unwrap();
        prop_assert!(!leaks(&line["request_body"]));
    }

    #[test]
    fn any_bytes_make_a_valid_line(body in prop::collection::vec(any::<u8>(), 0..200), max in 1usize..300) {
        let mut e = entry("p", None);
        e.request_body = Some(Bytes::from(body));
        let line: Value = serde_json::from_str(&render(&e, max)).unwrap();
        prop_assert!(fits(&line["request_body"], max), "{line}");
        prop_assert!(!leaks(&line["request_body"]));
    }
}

fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .map(|t| t.lines().map(str::to_owned).collect())
        .unwrap_or_default()
}

#[test]
fn rotation_keeps_max_files_and_every_recent_line_in_order() {
    for max_files in [1, 3] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/journal.jsonl");
        let mut f = RotatingFile::open(&path, 100, max_files).unwrap();
        for i in 0..100 {
            f.write_line(format!("line {i:03} ........").as_bytes())
                .unwrap(); // 20 bytes
        }
        f.flush().unwrap();
        let names: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), max_files as usize, "{names:?}");
        // Oldest first: the files hold the last lines written, 5 to a file, in order.
        let mut all = Vec::new();
        for n in (0..max_files).rev() {
            let p = numbered(&path, n);
            assert!(
                std::fs::metadata(&p).unwrap().len() <= 100,
                "{}",
                p.display()
            );
            all.extend(lines(&p));
        }
        let want: Vec<String> = (100 - 5 * max_files as usize..100)
            .map(|i| format!("line {i:03} ........"))
            .collect();
        assert_eq!(all, want, "max_files {max_files}");
    }
    assert_eq!(
        numbered(Path::new("/d/j.jsonl"), 2),
        Path::new("/d/j.2.jsonl")
    );
    assert_eq!(numbered(Path::new("/d/j"), 1), Path::new("/d/j.1"));
}

#[test]
fn a_reopened_journal_appends_and_counts_its_size() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.jsonl");
    let mut f = RotatingFile::open(&path, 50, 2).unwrap();
    f.write_line(&[b'a'; 29]).unwrap();
    f.flush().unwrap();
    drop(f);
    let mut f = RotatingFile::open(&path, 50, 2).unwrap();
    f.write_line(&[b'b'; 29]).unwrap(); // 30 + 30 > 50: rotates first
    f.flush().unwrap();
    assert_eq!(lines(&numbered(&path, 1)), vec!["a".repeat(29)]);
    assert_eq!(lines(&path), vec!["b".repeat(29)]);
}

#[test]
fn the_thread_writes_every_line_by_shutdown_and_drops_after() {
    let dir = tempfile::tempdir().unwrap();
    let settings = JournalSettings {
        path: dir.path().join("journal.jsonl"),
        max_bytes: u64::MAX,
        max_files: 2,
        max_body_bytes: 64,
        capacity: 1000,
        tick: Duration::from_millis(5),
    };
    let journal = Journal::spawn(settings.clone()).unwrap();
    for i in 0..500 {
        assert!(journal.offer(entry(&format!("r{i}"), None)));
    }
    journal.shutdown();
    let got = lines(&settings.path);
    assert_eq!(got.len(), 500);
    for (i, l) in got.iter().enumerate() {
        let v: Value = serde_json::from_str(l).unwrap();
        assert_eq!(v["request_id"], format!("r{i}"));
    }
    assert_eq!(
        (journal.written(), journal.dropped(), journal.failed()),
        (500, 0, 0)
    );
    assert!(!journal.offer(entry("late", None)));
    assert_eq!(journal.dropped(), 1);
    journal.shutdown();
}

#[test]
fn a_full_channel_drops_and_counts() {
    let dir = tempfile::tempdir().unwrap();
    let journal = Journal::spawn(JournalSettings {
        path: dir.path().join("journal.jsonl"),
        max_bytes: u64::MAX,
        max_files: 1,
        max_body_bytes: 64,
        capacity: 4,
        // The thread sleeps through the offers.
        tick: Duration::from_secs(2),
    })
    .unwrap();
    std::thread::sleep(Duration::from_millis(50));
    let accepted = (0..10)
        .filter(|i| journal.offer(entry(&format!("r{i}"), None)))
        .count();
    assert_eq!(accepted, 4);
    assert_eq!(journal.dropped(), 6);
    journal.shutdown();
    assert_eq!(journal.written(), 4);
}

#[test]
fn an_unopenable_path_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("file");
    std::fs::write(&blocker, "x").unwrap();
    let err = Journal::spawn(JournalSettings {
        path: blocker.join("journal.jsonl"),
        max_bytes: 10,
        max_files: 1,
        max_body_bytes: 1,
        capacity: 1,
        tick: Duration::from_millis(5),
    })
    .err()
    .unwrap();
    assert!(format!("{err:#}").contains("request journal"), "{err:#}");
}
