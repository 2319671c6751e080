//! An admin API change under a steady load of 2,000 loopback requests (16 at a time) on the
//! real binary: zero failed requests, and every request sent after the change's response is
//! served by the new configuration. The change overrides a file model
//! (`admin.allow_file_overrides: true`); deleting the override brings the file's back.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

#[path = "graceful/support.rs"]
#[allow(dead_code)]
mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use support::{chat, client, llmux_serve, mock, start};

const REQUESTS: usize = 2_000;
const CONCURRENCY: usize = 16;

fn content(body: &str) -> String {
    let v: Value = serde_json::from_str(body).unwrap();
    v["choices"][0]["message"]["content"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_under_load_fails_nothing_and_applies_to_the_next_requests() {
    let alpha = mock(&["--no-record", "--text", "alpha"]).await;
    let beta = mock(&["--no-record", "--text", "beta"]).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("llmux.yaml");
    std::fs::write(
        &file,
        format!(
            "admin:\n  allow_file_overrides: true\nproviders:\n  one: {{ type: openai-compatible, base_url: 'http://127.0.0.1:{}/v1', models: [m1] }}\n  two: {{ type: openai-compatible, base_url: 'http://127.0.0.1:{}/v1', models: [m1] }}\nmodels:\n  a: one/m1\n",
            alpha.port, beta.port
        ),
    )
    .unwrap();
    let mut cmd = llmux_serve();
    cmd.arg("--config")
        .arg(&file)
        .args(["--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0"])
        .args(["--log", "info,llmux::request=warn"])
        .arg("--data-dir")
        .arg(dir.path().join("data"));
    let run = start(cmd).await;

    let done = Arc::new(AtomicUsize::new(0));
    let load = {
        let (base, done) = (run.data.clone(), done.clone());
        tokio::spawn(async move {
            let c = client();
            let mut tasks = tokio::task::JoinSet::new();
            let mut results = Vec::with_capacity(REQUESTS);
            for _ in 0..REQUESTS {
                let (c, base, done) = (c.clone(), base.clone(), done.clone());
                tasks.spawn(async move {
                    let sent = Instant::now();
                    let r = chat(&c, &base, "a", false, false).await;
                    done.fetch_add(1, Ordering::Relaxed);
                    (sent, r)
                });
                if tasks.len() >= CONCURRENCY {
                    results.push(tasks.join_next().await.unwrap().unwrap());
                }
            }
            while let Some(r) = tasks.join_next().await {
                results.push(r.unwrap());
            }
            results
        })
    };
    while done.load(Ordering::Relaxed) < REQUESTS / 3 {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let admin = client();
    let resp = admin
        .put(format!("{}/api/v1/models/a", run.admin))
        .json(&json!({"target": "two/m1"}))
        .send()
        .await
        .unwrap();
    let changed = Instant::now();
    let status = resp.status().as_u16();
    let view: Value = resp.json().await.unwrap();
    assert_eq!(status, 200, "{view}");
    assert_eq!(
        (view["source"].as_str(), view["overrides_file"].as_bool()),
        (Some("api"), Some(true))
    );
    let results = load.await.unwrap();

    assert_eq!(results.len(), REQUESTS);
    let (mut before, mut after) = (0, 0);
    for (sent, r) in &results {
        let (status, body) = r.as_ref().unwrap_or_else(|e| panic!("failed request: {e}"));
        assert_eq!(*status, 200, "{body}");
        if *sent > changed {
            assert_eq!(
                content(body),
                "beta",
                "a request after the change used the old config"
            );
            after += 1;
        } else {
            before += 1;
        }
    }
    assert!(
        before >= REQUESTS / 3 && after > 0,
        "before {before}, after {after}"
    );

    // Deleting the override uncovers the file's model again.
    let s = admin
        .delete(format!("{}/api/v1/models/a", run.admin))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(s.as_u16(), 204);
    let (_, body) = chat(&client(), &run.data, "a", false, false).await.unwrap();
    assert_eq!(content(&body), "alpha");
}
