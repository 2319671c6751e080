//! Usage storage end to end, with real llmux and llmux-mock processes: every request served
//! before SIGTERM is a row in `<data_dir>/llmux.db` (and visible through the admin usage API
//! while serving), and `usage.enabled: false` opens no database.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

#[path = "graceful/support.rs"]
#[allow(dead_code)]
mod support;

use std::collections::HashSet;
use std::time::Duration;

use llmux_store::{Filter, SqliteStore, UsageStore};
use support::{chat, client, config, llmux_serve, mock, start};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_request_is_stored_by_shutdown() {
    let mock = mock(&["--no-record", "--text", "hello"]).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("llmux.yaml");
    std::fs::write(&file, config(mock.port, "mock", &["a"], "")).unwrap();
    let data_dir = dir.path().join("data");
    let mut cmd = llmux_serve();
    cmd.arg("--config")
        .arg(&file)
        .args(["--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0"])
        .arg("--data-dir")
        .arg(&data_dir);
    let mut run = start(cmd).await;

    // 200 requests, every fourth streamed, 20 at a time.
    let c = client();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..200usize {
        let (c, base) = (c.clone(), run.data.clone());
        tasks.spawn(async move { chat(&c, &base, "a", i % 4 == 0, false).await });
        if tasks.len() >= 20 {
            let (status, body) = tasks.join_next().await.unwrap().unwrap().unwrap();
            assert_eq!(status, 200, "{body}");
        }
    }
    while let Some(done) = tasks.join_next().await {
        let (status, body) = done.unwrap().unwrap();
        assert_eq!(status, 200, "{body}");
    }

    // The admin API reads the same file beside the writer: within a few flush intervals it
    // sees every request.
    let summary_url = format!(
        "{}/api/v1/usage/summary?provider=mock&status=2xx",
        run.admin
    );
    let mut summary = serde_json::Value::Null;
    for _ in 0..50 {
        summary = c
            .get(&summary_url)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if summary["summary"]["requests"] == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(summary["summary"]["requests"], 200, "{summary}");
    assert_eq!(summary["summary"]["prompt_tokens"], 1800, "{summary}");

    run.proc.signal("TERM");
    let status = run.proc.wait_exit(Duration::from_secs(20)).await;
    assert!(status.success(), "{status:?}\n{}", run.log());
    assert!(run.log().contains("usage store closed"), "{}", run.log());

    let store = SqliteStore::open(data_dir.join("llmux.db")).unwrap();
    let page = store.recent(&Filter::default(), 0, 1000).unwrap();
    assert_eq!(page.total, 200);
    assert_eq!(page.rows.len(), 200);
    let ids: HashSet<&str> = page.rows.iter().map(|r| r.request_id.as_str()).collect();
    assert_eq!(ids.len(), 200, "request ids are unique");
    for row in &page.rows {
        assert_eq!(row.status, 200, "{row:?}");
        assert_eq!(row.error_kind, None, "{row:?}");
        assert_eq!(row.provider, "mock");
        assert_eq!(row.requested_model, "a");
        assert_eq!(row.resolved_model, "m1");
        assert_eq!(row.client_api, "openai-chat");
        assert_eq!(row.attempts, 1);
        // The mock reports 9 prompt and 5 completion tokens, streamed or not.
        assert_eq!(
            (row.prompt_tokens, row.completion_tokens),
            (9, 5),
            "{row:?}"
        );
        assert!(row.ttft_ms.is_some(), "{row:?}");
        assert!(row.duration_ms > 0.0);
        // The mock listens on a loopback address: a local provider, which costs nothing.
        // (An unknown price on a paid provider is None: see the engine's record tests.)
        assert_eq!(row.cost_usd, Some(0.0), "{row:?}");
        assert_eq!(
            row.member.as_deref(),
            Some(format!("{}/{}", row.provider, row.resolved_model).as_str()),
            "the serving member"
        );
        // Auth `none`, no tag source: no key, no tags; the client's loopback address.
        assert!(row.key_id.is_none() && row.tags.is_empty(), "{row:?}");
        assert_eq!(row.client_ip.as_deref(), Some("127.0.0.1"), "{row:?}");
    }
    assert_eq!(page.rows.iter().filter(|r| r.stream).count(), 50);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disabled_usage_stores_no_rows() {
    let mock = mock(&["--no-record", "--text", "hello"]).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("llmux.yaml");
    let extra = "usage:\n  enabled: false\n";
    std::fs::write(&file, config(mock.port, "mock", &["a"], extra)).unwrap();
    let data_dir = dir.path().join("data");
    let mut cmd = llmux_serve();
    cmd.arg("--config")
        .arg(&file)
        .args(["--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0"])
        .arg("--data-dir")
        .arg(&data_dir);
    let mut run = start(cmd).await;
    let (status, body) = chat(&client(), &run.data, "a", false, false).await.unwrap();
    assert_eq!(status, 200, "{body}");
    run.proc.signal("TERM");
    assert!(run.proc.wait_exit(Duration::from_secs(20)).await.success());
    // The database holds the admin API's configuration registry, but no usage.
    let db = data_dir.join("llmux.db");
    let store = llmux_store::SqliteStore::open(&db).unwrap();
    let summary = store.summary(&llmux_store::Filter::default()).unwrap();
    assert_eq!(summary.requests, 0, "usage off: nothing stored");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unopenable_database_stops_start_up_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    // A directory where the database file should be.
    std::fs::create_dir_all(data_dir.join("llmux.db")).unwrap();
    let out = llmux_serve()
        .args(["--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0"])
        .arg("--data-dir")
        .arg(&data_dir)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&data_dir.join("llmux.db").display().to_string()),
        "{stderr}"
    );
}
