//! Durability of the usage store and the request journal, with real llmux and llmux-mock
//! processes and real SQLite: every request is a row after SIGTERM; `kill -9` under load
//! loses at most the last second and leaves a database that opens clean and serves on; the
//! journal has one valid line per request and keeps `max_files` files when it rotates.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

#[path = "graceful/support.rs"]
#[allow(dead_code)]
mod support;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use support::{client, config, llmux_serve, mock, start, Llmux};

/// Starts llmux on `data_dir` with the mock provider behind model `a`, and `extra` config
/// (top-level YAML). Per-request log lines are off: 10,000 of them would only slow the test.
async fn serve(dir: &Path, data_dir: &Path, mock_port: u16, extra: &str) -> Llmux {
    let file = dir.join("llmux.yaml");
    std::fs::write(&file, config(mock_port, "mock", &["a"], extra)).unwrap();
    let mut cmd = llmux_serve();
    cmd.arg("--config")
        .arg(&file)
        .args(["--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0"])
        .args(["--log", "info,llmux::request=warn"])
        .arg("--data-dir")
        .arg(data_dir);
    start(cmd).await
}

/// One chat completion with a fresh `x-request-id` of the client's (which llmux keeps):
/// its status and that id.
async fn request(
    c: &reqwest::Client,
    base: &str,
    stream: bool,
    body_extra: &serde_json::Value,
) -> Result<(u16, String), String> {
    let id = format!("dur-{}", next_id());
    let mut body = serde_json::json!({
        "model": "a",
        "stream": stream,
        "messages": [{"role": "user", "content": "hi"}],
    });
    if let (Some(b), Some(extra)) = (body.as_object_mut(), body_extra.as_object()) {
        b.extend(extra.clone());
    }
    let response = c
        .post(format!("{base}/v1/chat/completions"))
        .header("x-request-id", &id)
        .json(&body)
        .send()
        .await
        .map_err(|e| format!("no answer: {e}"))?;
    let status = response.status().as_u16();
    response.bytes().await.map_err(|e| format!("cut: {e}"))?;
    Ok((status, id))
}

/// A process-wide unique number for request ids.
fn next_id() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// Sends `n` requests, `concurrency` at a time, every third streamed; all must succeed.
/// Returns the request ids.
async fn load(base: &str, n: usize, concurrency: usize, extra: serde_json::Value) -> Vec<String> {
    let c = client();
    let extra = Arc::new(extra);
    let mut ids = Vec::with_capacity(n);
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..n {
        let (c, base, extra) = (c.clone(), base.to_owned(), extra.clone());
        tasks.spawn(async move { request(&c, &base, i % 3 == 0, &extra).await });
        if tasks.len() >= concurrency {
            let (status, id) = tasks.join_next().await.unwrap().unwrap().unwrap();
            assert_eq!(status, 200);
            ids.push(id);
        }
    }
    while let Some(done) = tasks.join_next().await {
        let (status, id) = done.unwrap().unwrap();
        assert_eq!(status, 200);
        ids.push(id);
    }
    ids
}

/// Opens the usage database as any SQLite client would: its row count and
/// `PRAGMA integrity_check`.
fn inspect_db(data_dir: &Path) -> (u64, String) {
    let db = rusqlite::Connection::open(data_dir.join("llmux.db")).unwrap();
    let check: String = db
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    let rows: u64 = db
        .query_row("SELECT COUNT(*) FROM usage", [], |r| r.get(0))
        .unwrap();
    (rows, check)
}

async fn terminate(run: &mut Llmux) {
    run.proc.signal("TERM");
    let status = run.proc.wait_exit(Duration::from_secs(20)).await;
    assert!(status.success(), "{status:?}\n{}", run.log());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_requests_then_sigterm_are_all_stored() {
    let started = Instant::now();
    let mock = mock(&["--no-record", "--text", "hello"]).await;
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let mut run = serve(dir.path(), &data_dir, mock.port, "").await;

    let ids = load(&run.data, 10_000, 32, serde_json::json!({})).await;
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), 10_000);
    terminate(&mut run).await;

    let (rows, check) = inspect_db(&data_dir);
    assert_eq!(check, "ok");
    assert_eq!(rows, 10_000, "{}", run.log());
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_under_load_loses_at_most_a_second() {
    let mock = mock(&["--no-record", "--text", "hello"]).await;
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let mut run = serve(dir.path(), &data_dir, mock.port, "").await;

    // Steady load from 16 clients until the kill.
    let completed = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let c = client();
    let mut clients = Vec::new();
    for i in 0..16 {
        let (c, base) = (c.clone(), run.data.clone());
        let (completed, stop) = (completed.clone(), stop.clone());
        clients.push(tokio::spawn(async move {
            let mut n = 0usize;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                let streamed = (i + n).is_multiple_of(3);
                if let Ok((200, _)) = request(&c, &base, streamed, &serde_json::json!({})).await {
                    completed.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    // Warm up, then measure the rate over the last second before the kill.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let (before, t0) = (completed.load(Ordering::Relaxed), Instant::now());
    tokio::time::sleep(Duration::from_secs(1)).await;
    let done = completed.load(Ordering::Relaxed);
    let per_second = (done - before) as f64 / t0.elapsed().as_secs_f64();
    run.proc.0.kill().unwrap(); // SIGKILL, to the llmux this test started
    run.proc.0.wait().unwrap();
    stop.store(true, Ordering::Relaxed);
    for task in clients {
        task.await.unwrap();
    }

    let (rows, check) = inspect_db(&data_dir);
    assert_eq!(check, "ok");
    let floor = done as f64 - per_second;
    eprintln!(
        "completed {done} ({per_second:.0}/s at the end); stored {rows}: lost {:.2}s",
        (done as f64 - rows as f64) / per_second
    );
    assert!(done > 100, "too little load to measure: {done}");
    assert!(
        rows as f64 >= floor,
        "stored {rows} of {done} completed ({per_second:.0}/s)"
    );

    // The same data directory serves again, the rows still there.
    let mut run = serve(dir.path(), &data_dir, mock.port, "").await;
    let (status, _) = request(&client(), &run.data, false, &serde_json::json!({}))
        .await
        .unwrap();
    assert_eq!(status, 200);
    terminate(&mut run).await;
    let (after, check) = inspect_db(&data_dir);
    assert_eq!(check, "ok");
    assert_eq!(after, rows + 1);
}

/// The journal files of `path`, live first, and all their lines oldest first.
fn journal_lines(path: &Path, max_files: u32) -> (Vec<PathBuf>, Vec<serde_json::Value>) {
    let files: Vec<PathBuf> = (0..max_files)
        .map(|n| {
            let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
            match n {
                0 => path.to_owned(),
                n => path.with_file_name(format!("{stem}.{n}.jsonl")),
            }
        })
        .filter(|p| p.exists())
        .collect();
    let mut lines = Vec::new();
    for f in files.iter().rev() {
        for line in std::fs::read_to_string(f).unwrap().lines() {
            lines.push(serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")));
        }
    }
    (files, lines)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_journal_has_one_line_per_request_with_bodies_redacted() {
    let mock = mock(&["--no-record", "--text", "hello"]).await;
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let extra = "journal: { enabled: true, capture_bodies: true, max_body_bytes: 4096 }\n";
    let mut run = serve(dir.path(), &data_dir, mock.port, extra).await;
    let secret = serde_json::json!({"api_key": "abc", "user": "sk-proj-0123456789"});
    let ids = load(&run.data, 300, 16, secret).await;
    terminate(&mut run).await;
    assert!(run.log().contains("journal closed"), "{}", run.log());

    let (files, lines) = journal_lines(&data_dir.join("journal.jsonl"), 5);
    assert_eq!(files.len(), 1);
    assert_eq!(lines.len(), 300);
    let journaled: HashSet<&str> = lines
        .iter()
        .map(|l| l["request_id"].as_str().unwrap())
        .collect();
    assert_eq!(journaled, ids.iter().map(String::as_str).collect());
    for l in &lines {
        assert_eq!(l["served_by"], "mock/m1", "{l}");
        assert_eq!(l["status"], 200, "{l}");
        assert!(l["time"].as_str().unwrap().ends_with('Z'), "{l}");
        assert_eq!(l["request_body"]["api_key"], "[redacted]", "{l}");
        assert_eq!(l["request_body"]["user"], "[redacted]", "{l}");
        assert_eq!(l["request_body"]["messages"][0]["content"], "hi", "{l}");
    }
    let text = std::fs::read_to_string(data_dir.join("journal.jsonl")).unwrap();
    assert!(!text.contains("sk-proj"), "a key reached the journal");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tiny_journal_rotates_and_keeps_max_files() {
    let mock = mock(&["--no-record", "--text", "hello"]).await;
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let journal = dir.path().join("logs/requests.jsonl");
    // 4 KiB files (some eight lines each), three kept; no bodies.
    let extra = format!(
        "journal: {{ enabled: true, path: '{}', max_size_mb: 0.00390625, max_files: 3 }}\n",
        journal.display()
    );
    let mut run = serve(dir.path(), &data_dir, mock.port, &extra).await;
    let ids = load(&run.data, 200, 8, serde_json::json!({})).await;
    terminate(&mut run).await;

    let (files, lines) = journal_lines(&journal, 10);
    assert_eq!(files.len(), 3, "{files:?}");
    for f in &files {
        let size = std::fs::metadata(f).unwrap().len();
        assert!(size <= 4096, "{} is {size} bytes", f.display());
    }
    assert!(!dir.path().join("logs/requests.3.jsonl").exists());
    // The kept lines are the last ones journaled, each a request the client saw.
    assert!(lines.len() > 8 && lines.len() < 200, "{}", lines.len());
    let seen: HashSet<&str> = ids.iter().map(String::as_str).collect();
    for l in &lines {
        assert!(seen.contains(l["request_id"].as_str().unwrap()), "{l}");
        assert!(l.get("request_body").is_none(), "{l}");
    }
}
