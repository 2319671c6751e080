//! The admin configuration API against the real binary and two llmux-mock upstreams (one
//! answers `alpha`, the other `beta`): CRUD round trips for providers, models, groups and
//! settings; file-style 400s; 409 on existing names, file objects and users; 412 on a stale
//! If-Match; the provider key never in any response; a change visible to the next request;
//! API objects still there after a restart.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

#[path = "graceful/support.rs"]
#[allow(dead_code)]
mod support;

use std::path::Path;
use std::time::Duration;

use serde_json::{json, Value};
use support::{chat, client, config, llmux_serve, mock, start, Llmux};

const SECRET: &str = "sk-test-SECRETVALUE-9876";

async fn serve(dir: &Path, mock_port: u16) -> Llmux {
    let file = dir.join("llmux.yaml");
    std::fs::write(&file, config(mock_port, "one", &["a"], "")).unwrap();
    let mut cmd = llmux_serve();
    cmd.arg("--config")
        .arg(&file)
        .args(["--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0"])
        .arg("--data-dir")
        .arg(dir.join("data"));
    start(cmd).await
}

/// Every admin answer, kept to check that no body ever holds the secret.
struct Admin {
    base: String,
    c: reqwest::Client,
    bodies: Vec<String>,
}

impl Admin {
    async fn call(
        &mut self,
        method: &str,
        path: &str,
        body: Option<Value>,
        if_match: Option<&str>,
    ) -> (u16, Option<String>, Value) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut r = self.c.request(method, format!("{}{path}", self.base));
        if let Some(b) = body {
            r = r.json(&b);
        }
        if let Some(m) = if_match {
            r = r.header("if-match", m);
        }
        let resp = r.send().await.unwrap();
        let status = resp.status().as_u16();
        let etag = resp
            .headers()
            .get("etag")
            .map(|v| v.to_str().unwrap().to_owned());
        let text = resp.text().await.unwrap();
        self.bodies.push(text.clone());
        let v = serde_json::from_str(&text).unwrap_or(Value::Null);
        (status, etag, v)
    }
}

/// The text the data plane answers for `model` (the mock's `alpha` or `beta`).
async fn served_by(base: &str, model: &str) -> String {
    let (status, body) = chat(&client(), base, model, false, false).await.unwrap();
    assert_eq!(status, 200, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    v["choices"][0]["message"]["content"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crud_conflicts_secrets_and_restart() {
    let alpha = mock(&["--no-record", "--text", "alpha"]).await;
    let beta = mock(&["--no-record", "--text", "beta"]).await;
    let dir = tempfile::tempdir().unwrap();
    let mut run = serve(dir.path(), alpha.port).await;
    let mut api = Admin {
        base: run.admin.clone(),
        c: client(),
        bodies: Vec::new(),
    };
    let beta_url = format!("http://127.0.0.1:{}/v1", beta.port);

    // Providers: create, read back masked, 409 on a taken name, file-style 400.
    let two = json!({"id": "two", "type": "openai-compatible", "base_url": beta_url,
                     "models": ["m1"], "api_key": SECRET});
    let (s, etag, v) = api
        .call("POST", "/api/v1/providers", Some(two.clone()), None)
        .await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(
        (v["source"].as_str(), v["api_key"].as_str()),
        (Some("api"), Some("sk-...9876"))
    );
    let etag = etag.unwrap();
    let (s, _, v) = api.call("POST", "/api/v1/providers", Some(two), None).await;
    assert_eq!(s, 409, "{v}");
    let (s, _, v) = api
        .call(
            "POST",
            "/api/v1/providers",
            Some(json!({"id": "one", "type": "openai"})),
            None,
        )
        .await;
    assert_eq!(s, 409, "a file provider's name is taken: {v}");
    let bad = json!({"id": "bad", "type": "openai", "base_url": "ftp://x"});
    let (s, _, v) = api.call("POST", "/api/v1/providers", Some(bad), None).await;
    assert_eq!(s, 400);
    assert_eq!(v["errors"][0]["path"], "providers.bad.base_url");
    assert_eq!(
        v["errors"][0]["message"],
        "`ftp://x` is not an http(s) URL; write e.g. `http://127.0.0.1:8000/v1`"
    );
    let (s, got, v) = api.call("GET", "/api/v1/providers/two", None, None).await;
    assert_eq!((s, got.as_deref()), (200, Some(etag.as_str())), "{v}");

    // Models with seed 004's overrides; visible to the next data-plane request.
    let b = json!({"name": "b", "target": "two/m1", "description": "fast one",
                   "context_length": 8192, "capabilities": ["tools"],
                   "price": {"input": 1.0, "output": 2.0}});
    let (s, _, v) = api.call("POST", "/api/v1/models", Some(b), None).await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(
        (v["context_length"].as_u64(), v["capabilities"][0].as_str()),
        (Some(8192), Some("tools"))
    );
    assert_eq!(served_by(&run.data, "b").await, "beta");
    let (s, etag_b, v) = api
        .call(
            "PATCH",
            "/api/v1/models/b",
            Some(json!({"description": "patched"})),
            None,
        )
        .await;
    assert_eq!(
        (s, v["description"].as_str()),
        (200, Some("patched")),
        "{v}"
    );
    let (s, _, v) = api
        .call(
            "PUT",
            "/api/v1/models/b",
            Some(json!({"target": "one/m1"})),
            Some("\"1\""),
        )
        .await;
    assert_eq!(s, 412, "a stale If-Match: {v}");
    let (s, _, _) = api
        .call(
            "PUT",
            "/api/v1/models/b",
            Some(json!({"target": "one/m1"})),
            etag_b.as_deref(),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(
        served_by(&run.data, "b").await,
        "alpha",
        "a PUT replaces the whole model"
    );
    api.call(
        "PUT",
        "/api/v1/models/b",
        Some(json!({"target": "two/m1"})),
        None,
    )
    .await;

    // Groups: create, replace the members at once.
    let pool = json!({"name": "pool", "members": ["one/m1", "two/m1"]});
    assert_eq!(
        api.call("POST", "/api/v1/groups", Some(pool), None).await.0,
        201
    );
    let (s, _, v) = api
        .call(
            "PUT",
            "/api/v1/groups/pool",
            Some(json!({"members": ["two/m1"]})),
            None,
        )
        .await;
    assert_eq!((s, v["members"].as_array().unwrap().len()), (200, 1), "{v}");
    assert_eq!(served_by(&run.data, "pool").await, "beta");

    // Settings.
    let (s, _, v) = api
        .call(
            "PUT",
            "/api/v1/settings",
            Some(json!({"default_model": "b", "usage": {"reverse_dns": true}})),
            None,
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        (
            v["default_model"].as_str(),
            v["sources"]["default_model"].as_str()
        ),
        (Some("b"), Some("api"))
    );
    let (s, _, v) = api
        .call(
            "PUT",
            "/api/v1/settings",
            Some(json!({"usage": {"enabld": true}})),
            None,
        )
        .await;
    assert_eq!(s, 400, "{v}");

    // Dependencies and file objects.
    let (s, _, v) = api
        .call("DELETE", "/api/v1/providers/two", None, None)
        .await;
    assert_eq!(s, 409);
    let msg = v["errors"][0]["message"].as_str().unwrap();
    assert!(
        msg.contains("groups.pool") && msg.contains("models.b"),
        "{msg}"
    );
    let (s, _, v) = api
        .call("DELETE", "/api/v1/providers/one", None, None)
        .await;
    assert!(
        s == 409
            && v["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("read-only"),
        "{v}"
    );
    let (s, _, _) = api
        .call(
            "PUT",
            "/api/v1/models/a",
            Some(json!({"target": "two/m1"})),
            None,
        )
        .await;
    assert_eq!(
        s, 409,
        "file models are read-only without admin.allow_file_overrides"
    );

    // A provider PUT that leaves the key out keeps it (write-only secret).
    let (s, _, v) = api
        .call(
            "PUT",
            "/api/v1/providers/two",
            Some(json!({"type": "openai-compatible", "base_url": beta_url, "models": ["m1"]})),
            None,
        )
        .await;
    assert_eq!((s, v["api_key"].as_str()), (200, Some("sk-...9876")), "{v}");
    let (_, _, state) = api.call("GET", "/api/v1/state", None, None).await;
    let version = state["version"].as_i64().unwrap();
    assert!(version >= 8, "{state}");

    // Restart on the same data directory: the API objects are back.
    run.proc.signal("TERM");
    run.proc.wait_exit(Duration::from_secs(20)).await;
    let run = serve(dir.path(), alpha.port).await;
    api.base = run.admin.clone();
    let (_, _, state) = api.call("GET", "/api/v1/state", None, None).await;
    assert_eq!(state["version"].as_i64(), Some(version));
    let sources: Vec<(String, String)> = state["providers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["id"].as_str().unwrap().to_owned(),
                p["source"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert!(
        sources.contains(&("two".into(), "api".into())),
        "{sources:?}"
    );
    assert_eq!(served_by(&run.data, "b").await, "beta");
    assert_eq!(state["settings"]["default_model"], "b");

    // Clean-up in dependency order; then the provider can go.
    assert_eq!(
        api.call(
            "PUT",
            "/api/v1/settings",
            Some(json!({"default_model": null})),
            None
        )
        .await
        .0,
        200
    );
    assert_eq!(
        api.call("DELETE", "/api/v1/models/b", None, None).await.0,
        204
    );
    assert_eq!(
        api.call("DELETE", "/api/v1/groups/pool", None, None)
            .await
            .0,
        204
    );
    assert_eq!(
        api.call("DELETE", "/api/v1/providers/two", None, None)
            .await
            .0,
        204
    );
    assert_eq!(
        api.call("GET", "/api/v1/providers/two", None, None).await.0,
        404
    );

    for body in &api.bodies {
        assert!(
            !body.contains("SECRETVALUE"),
            "a response shows the key: {body}"
        );
    }
}
