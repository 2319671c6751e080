//! Forwards (a data-plane listener's path routing rules and rate limits) through the admin
//! API against the real binary: made, routed, refused, moved and closed without a restart;
//! then stored API objects that a file edit no longer accepts: start-up goes on without them
//! (reported in /api/v1/state), a fix through the API brings them back, and the file watch
//! reloads an edited file without a signal.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

#[path = "graceful/support.rs"]
#[allow(dead_code)]
mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use support::{chat, client, config, llmux_serve, mock, start, Llmux};

const POOL: &str = "groups:\n  pool: { members: [one/m1] }\n";

async fn serve(dir: &Path, watch: bool) -> Llmux {
    let mut cmd = llmux_serve();
    cmd.arg("--config")
        .arg(dir.join("llmux.yaml"))
        .args(["--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0"])
        .arg("--data-dir")
        .arg(dir.join("data"));
    if watch {
        cmd.arg("--watch-config");
    }
    start(cmd).await
}

async fn call(base: &str, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut r = client().request(method, format!("{base}{path}"));
    if let Some(b) = body {
        r = r.json(&b);
    }
    let resp = r.send().await.unwrap();
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// The text the data plane at `base` answers for `model`, or the status when not 200.
async fn answer(base: &str, model: &str) -> Result<String, String> {
    let (status, body) = chat(&client(), base, model, false, true)
        .await
        .map_err(|e| e.to_string())?;
    if status != 200 {
        return Err(format!("{status}: {body}"));
    }
    let v: Value = serde_json::from_str(&body).unwrap();
    Ok(v["choices"][0]["message"]["content"]
        .as_str()
        .unwrap()
        .to_owned())
}

async fn refused(addr: &str) -> bool {
    tokio::net::TcpStream::connect(addr).await.is_err()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwards_listen_move_and_close_at_once() {
    let alpha = mock(&["--no-record", "--text", "alpha"]).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("llmux.yaml"),
        config(alpha.port, "one", &["a"], POOL),
    )
    .unwrap();
    let run = serve(dir.path(), false).await;
    let admin = run.admin.clone();

    // A forward whose every request goes to the pool, whatever model it names.
    let body = json!({"name": "edge", "listen": "127.0.0.1:0",
                      "routing": [{"path": "/v1/chat/completions", "target_group": "pool"}],
                      "total_rate_limit": {"per_second": 1000}});
    let (s, v) = call(&admin, "POST", "/api/v1/forwards", Some(body)).await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(
        (
            v["source"].as_str(),
            v["routing"][0]["target_group"].as_str()
        ),
        (Some("api"), Some("pool"))
    );
    let addr = v["listen"].as_str().unwrap().to_owned();
    assert!(!addr.ends_with(":0"), "the bound port is shown: {addr}");
    let edge = format!("http://{addr}");
    assert_eq!(answer(&edge, "any-name").await.unwrap(), "alpha");
    assert!(
        answer(&run.data, "any-name").await.is_err(),
        "the main listener has no such rule"
    );
    let (_, state) = call(&admin, "GET", "/api/v1/state", None).await;
    assert_eq!(state["forwards"][0]["name"], "edge", "{state}");

    // Refused like the file: an unknown group, a busy address; nothing changes.
    let bad = json!({"name": "bad", "listen": "127.0.0.1:0",
                     "routing": [{"path": "/v1/*", "target_group": "poll"}]});
    let (s, v) = call(&admin, "POST", "/api/v1/forwards", Some(bad)).await;
    assert_eq!(s, 400, "{v}");
    assert_eq!(
        v["errors"][0]["path"],
        "forwards.bad.routing[0].target_group"
    );
    let holder = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let busy = holder.local_addr().unwrap().to_string();
    let (s, v) = call(
        &admin,
        "POST",
        "/api/v1/forwards",
        Some(json!({"name": "busy", "listen": busy})),
    )
    .await;
    assert_eq!(s, 400, "{v}");
    assert_eq!(v["errors"][0]["path"], "forwards.busy.listen");
    assert!(
        v["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("cannot listen"),
        "{v}"
    );
    let (s, _) = call(&admin, "GET", "/api/v1/forwards/busy", None).await;
    assert_eq!(s, 404);
    // llmux's own listeners are taken too (SO_REUSEPORT would otherwise share them).
    let main = run.data.trim_start_matches("http://").to_owned();
    let (s, v) = call(
        &admin,
        "POST",
        "/api/v1/forwards",
        Some(json!({"name": "main-again", "listen": main})),
    )
    .await;
    assert_eq!(s, 400, "{v}");
    assert!(
        v["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("llmux's main listener"),
        "{v}"
    );

    // Moved: the new address serves, the old one closes.
    let spare = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let moved = spare.local_addr().unwrap().to_string();
    drop(spare);
    let (s, v) = call(
        &admin,
        "PATCH",
        "/api/v1/forwards/edge",
        Some(json!({"listen": moved})),
    )
    .await;
    assert_eq!(
        (s, v["listen"].as_str()),
        (200, Some(moved.as_str())),
        "{v}"
    );
    assert_eq!(
        answer(&format!("http://{moved}"), "x").await.unwrap(),
        "alpha"
    );
    assert!(refused(&addr).await, "the old address is closed");

    // Deleted: the listener closes.
    let (s, _) = call(&admin, "DELETE", "/api/v1/forwards/edge", None).await;
    assert_eq!(s, 204);
    assert!(refused(&moved).await, "a deleted forward stops listening");
    let (_, state) = call(&admin, "GET", "/api/v1/state", None).await;
    assert_eq!(state["forwards"], json!([]));
    drop(holder);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn objects_the_file_no_longer_accepts_are_left_out_not_fatal() {
    let alpha = mock(&["--no-record", "--text", "alpha"]).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("llmux.yaml");
    std::fs::write(&file, config(alpha.port, "one", &["a"], POOL)).unwrap();
    let mut run = serve(dir.path(), false).await;
    for (path, body) in [
        ("/api/v1/models", json!({"name": "b", "target": "one/m1"})),
        ("/api/v1/models", json!({"name": "c", "group": "pool"})),
        (
            "/api/v1/forwards",
            json!({"name": "edge", "listen": "127.0.0.1:0", "default_group": "pool"}),
        ),
    ] {
        let (s, v) = call(&run.admin, "POST", path, Some(body)).await;
        assert_eq!(s, 201, "{v}");
    }
    run.proc.signal("TERM");
    run.proc.wait_exit(Duration::from_secs(20)).await;

    // The provider is renamed and the group is gone from the file: `b`, `c` and the forward
    // no longer fit. llmux starts anyway, says so, and keeps them stored.
    std::fs::write(&file, config(alpha.port, "other", &["a"], "")).unwrap();
    let run = serve(dir.path(), true).await;
    run.wait_log("no longer fits the configuration", 3).await;
    assert_eq!(answer(&run.data, "a").await.unwrap(), "alpha");
    let (_, state) = call(&run.admin, "GET", "/api/v1/state", None).await;
    let skipped: Vec<&str> = state["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        skipped,
        vec!["forwards.edge", "models.b", "models.c"],
        "{state}"
    );
    let why = state["skipped"][1]["errors"][0].as_str().unwrap();
    assert!(why.starts_with("models.b") && why.contains("one"), "{why}");

    // Other changes still work while they are out; a PUT that fixes one brings it back.
    let (s, v) = call(
        &run.admin,
        "POST",
        "/api/v1/models",
        Some(json!({"name": "d", "target": "other/m1"})),
    )
    .await;
    assert_eq!(s, 201, "{v}");
    let (s, v) = call(
        &run.admin,
        "PUT",
        "/api/v1/models/b",
        Some(json!({"target": "other/m1"})),
    )
    .await;
    assert_eq!((s, v["source"].as_str()), (200, Some("api")), "{v}");
    assert_eq!(answer(&run.data, "b").await.unwrap(), "alpha");

    // The file gets its group back: the watch reloads it, and `c` and the forward return.
    std::fs::write(
        &file,
        config(alpha.port, "other", &["a"], &POOL.replace("one", "other")),
    )
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    let state = loop {
        let (_, state) = call(&run.admin, "GET", "/api/v1/state", None).await;
        if state["skipped"] == json!([]) {
            break state;
        }
        assert!(
            Instant::now() < deadline,
            "not reloaded: {state}\n{}",
            run.log()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let edge = state["forwards"][0]["listen"].as_str().unwrap();
    assert_eq!(
        answer(&format!("http://{edge}"), "x").await.unwrap(),
        "alpha"
    );
    assert_eq!(answer(&run.data, "c").await.unwrap(), "alpha");

    // A broken file edit is refused by the watch like a SIGHUP: the running config stays.
    std::fs::write(&file, "providers: [not, a, mapping]\n").unwrap();
    run.wait_log("config reload failed", 1).await;
    assert_eq!(answer(&run.data, "c").await.unwrap(), "alpha");
}
