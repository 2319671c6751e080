//! `llmux usage` end to end: a database built with the store API in a temp dir, the real
//! binary run for each view with filters, exact table lines and JSON values checked.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::path::Path;
use std::process::{Command, Output};

use llmux_store::{SqliteStore, UsageRow, UsageStore};

/// Milliseconds of 2026-11-20 00:00:00 UTC.
const NOV_20: i64 = 1_795_132_800_000;
const HOUR: i64 = 3_600_000;

#[allow(clippy::too_many_arguments)]
fn row(
    time_ms: i64,
    id: &str,
    key: Option<(&str, &str)>,
    tags: &[&str],
    provider: &str,
    model: &str,
    status: u16,
    tokens: (u64, u64),
    cost_usd: Option<f64>,
    duration_ms: f64,
    ttft_ms: Option<f64>,
) -> UsageRow {
    UsageRow {
        time_ms,
        request_id: id.into(),
        key_id: key.map(|k| k.0.into()),
        key_name: key.map(|k| k.1.into()),
        tags: tags.iter().map(|t| (*t).to_owned()).collect(),
        client_api: "openai".into(),
        provider: provider.into(),
        requested_model: model.into(),
        resolved_model: model.into(),
        status,
        attempts: 1,
        prompt_tokens: tokens.0,
        completion_tokens: tokens.1,
        ttft_ms,
        duration_ms,
        cost_usd,
        ..UsageRow::default()
    }
}

/// Four requests over two days: two priced openai ones with key k1 (alice), a 500 from
/// anthropic with no key and no price, a free local one with key k2 (bob) the next day.
fn database(dir: &Path) {
    let store = SqliteStore::open(dir.join("llmux.db")).unwrap();
    let alice = Some(("k1", "alice"));
    store
        .insert_batch(&[
            row(
                NOV_20 + 10 * HOUR + 15 * 60_000,
                "req-1",
                alice,
                &["team-a"],
                "openai",
                "gpt-4o",
                200,
                (1_000, 500),
                Some(0.0125),
                1_200.0,
                Some(200.0),
            ),
            row(
                NOV_20 + 10 * HOUR + 45 * 60_000,
                "req-2",
                alice,
                &["team-a", "batch"],
                "openai",
                "gpt-4o",
                200,
                (2_000, 1_500),
                Some(0.03),
                800.0,
                Some(100.0),
            ),
            row(
                NOV_20 + 11 * HOUR + 30 * 60_000,
                "req-3",
                None,
                &[],
                "anthropic",
                "claude-x",
                500,
                (300, 0),
                None,
                50.0,
                None,
            ),
            row(
                NOV_20 + 33 * HOUR,
                "req-4",
                Some(("k2", "bob")),
                &["team-b"],
                "ollama",
                "llama3",
                200,
                (1_234_567, 89),
                Some(0.0),
                3_000.0,
                Some(400.0),
            ),
        ])
        .unwrap();
}

/// Runs `llmux usage ARGS` over `dir`, both days in the window.
fn usage(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_llmux"))
        .arg("usage")
        .args(args)
        .arg("--data-dir")
        .arg(dir)
        .args(["--from", "2026-11-20", "--to", "2026-11-22"])
        .env_remove("LLMUX_CONFIG")
        .env_remove("LLMUX_DATA_DIR")
        .output()
        .unwrap()
}

fn lines(out: &Output) -> Vec<String> {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone())
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

fn json(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn summary_is_the_default_and_totals_every_row() {
    let dir = tempfile::tempdir().unwrap();
    database(dir.path());
    // (1200 + 800 + 50 + 3000) / 4 = 1262.5 → 1,263 ms; TTFT (200 + 100 + 400) / 3 → 233 ms.
    assert_eq!(
        lines(&usage(dir.path(), &[])),
        [
            "requests            4",
            "errors              1",
            "prompt tokens       1,237,867",
            "completion tokens   2,089",
            "cached tokens       0",
            "cache-write tokens  0",
            "reasoning tokens    0",
            "cost (USD)          0.0425 (+ 1 unpriced)",
            "avg duration        1,263 ms",
            "avg TTFT            233 ms",
        ]
    );
    let v = json(&usage(dir.path(), &["summary", "--json"]));
    assert_eq!(v["requests"], 4);
    assert_eq!(v["errors"], 1);
    assert_eq!(v["prompt_tokens"], 1_237_867);
    assert_eq!(v["unpriced_requests"], 1);
    assert!((v["cost_usd"].as_f64().unwrap() - 0.0425).abs() < 1e-9);
    assert_eq!(v["avg_duration_ms"], 1262.5);
}

#[test]
fn filters_narrow_the_summary() {
    let dir = tempfile::tempdir().unwrap();
    database(dir.path());
    let v = json(&usage(dir.path(), &["--provider", "openai", "--json"]));
    assert_eq!(
        (v["requests"].as_u64(), v["prompt_tokens"].as_u64()),
        (Some(2), Some(3_000))
    );
    let v = json(&usage(dir.path(), &["--key", "k2", "--json"]));
    assert_eq!(
        (v["requests"].as_u64(), v["completion_tokens"].as_u64()),
        (Some(1), Some(89))
    );
    let v = json(&usage(
        dir.path(),
        &["--tag", "batch", "--model", "gpt-4o", "--json"],
    ));
    assert_eq!(v["requests"], 1);
    // Only the unpriced 500: its cost is unknown, shown as "—", not 0.
    let out = lines(&usage(dir.path(), &["--status", "5xx"]));
    assert_eq!(out[0], "requests            1");
    assert_eq!(out[7], "cost (USD)          —");
}

#[test]
fn series_by_day_and_by_hour() {
    let dir = tempfile::tempdir().unwrap();
    database(dir.path());
    assert_eq!(
        lines(&usage(dir.path(), &["series", "--bucket", "day"])),
        [
            "start (UTC)          requests  errors     prompt  completion  cost USD  avg duration",
            "2026-11-20 00:00:00         3       1      3,300       2,000    0.0425        683 ms",
            "2026-11-21 00:00:00         1       0  1,234,567          89    0.0000      3,000 ms",
        ]
    );
    let v = json(&usage(
        dir.path(),
        &["series", "--provider", "openai", "--json"],
    ));
    assert_eq!(v.as_array().unwrap().len(), 1);
    assert_eq!(v[0]["start_ms"], NOV_20 + 10 * HOUR);
    assert_eq!(v[0]["summary"]["requests"], 2);
}

#[test]
fn breakdowns_by_key_and_tag() {
    let dir = tempfile::tempdir().unwrap();
    database(dir.path());
    assert_eq!(
        lines(&usage(dir.path(), &["breakdown", "--by", "key"])),
        [
            "key         requests  errors     prompt  completion  cost USD  avg duration",
            "k1 (alice)         2       0      3,000       2,000    0.0425      1,000 ms",
            "(none)             1       1        300           0         —         50 ms",
            "k2 (bob)           1       0  1,234,567          89    0.0000      3,000 ms",
        ]
    );
    let v = json(&usage(dir.path(), &["breakdown", "--by", "tag", "--json"]));
    let groups: Vec<(String, u64)> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["value"].as_str().unwrap().to_owned(),
                g["summary"]["requests"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        groups,
        [
            ("team-a".to_owned(), 2),
            ("batch".to_owned(), 1),
            ("team-b".to_owned(), 1)
        ]
    );
}

#[test]
fn requests_page_newest_first() {
    let dir = tempfile::tempdir().unwrap();
    database(dir.path());
    assert_eq!(
        lines(&usage(dir.path(), &["requests", "--per-page", "2", "--page", "2"])),
        [
            "time (UTC)           request id  key    tags          provider  model   status  prompt  completion  cost USD  duration",
            "2026-11-20 10:45:00  req-2       alice  team-a,batch  openai    gpt-4o     200   2,000       1,500    0.0300    800 ms",
            "2026-11-20 10:15:00  req-1       alice  team-a        openai    gpt-4o     200   1,000         500    0.0125  1,200 ms",
            "page 2 of 2, 4 requests",
        ]
    );
    let v = json(&usage(
        dir.path(),
        &["requests", "--status", "5xx", "--json"],
    ));
    assert_eq!(v["total"], 1);
    assert_eq!(v["rows"][0]["request_id"], "req-3");
    assert_eq!(v["rows"][0]["cost_usd"], serde_json::Value::Null);
    assert_eq!(v["rows"][0]["status"], 500);
}

#[test]
fn data_dir_comes_from_the_config() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    database(&data);
    let config = dir.path().join("llmux.yaml");
    std::fs::write(&config, format!("data_dir: {}\n", data.display())).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_llmux"))
        .args(["usage", "--json", "--since", "100000d", "--config"])
        .arg(&config)
        .env_remove("LLMUX_DATA_DIR")
        .output()
        .unwrap();
    assert_eq!(json(&out)["requests"], 4);
}

#[test]
fn missing_database_says_where_it_looked() {
    let dir = tempfile::tempdir().unwrap();
    let out = usage(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    let path = dir.path().join("llmux.db");
    assert!(
        err.contains(&format!("no usage database at {}", path.display())),
        "{err}"
    );
    assert!(err.contains("usage tracking"), "{err}");
    assert!(!path.exists(), "the command must not create the database");
}
