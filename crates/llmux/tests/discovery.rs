//! Endpoint discovery end to end: a real llmux finds fake Ollama, LM Studio, vLLM and LiteLLM
//! servers on loopback ports (pointed at through `discovery.ports`), names them as seed 000
//! does, picks up a newly pulled model on the next refresh, keeps its finds across SIGHUP,
//! answers the admin scan API, stays off when switched off, and starts on time despite a
//! silent server and an unresolvable peer.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

#[path = "graceful/support.rs"]
#[allow(dead_code)]
mod support;

use std::time::{Duration, Instant};

use llmux_testkit::model_server::{FakeModelServer, ServerKind};
use serde_json::Value;
use support::{client, llmux_serve, start, Llmux};

async fn fake(kind: ServerKind, models: &[&str]) -> FakeModelServer {
    FakeModelServer::start(kind, models).await.unwrap()
}

/// `llmux serve` on ephemeral ports with `yaml` as its file and `env` added.
async fn serve(dir: &tempfile::TempDir, yaml: &str, env: &[(&str, &str)]) -> Llmux {
    let file = dir.path().join("llmux.yaml");
    std::fs::write(&file, yaml).unwrap();
    let mut cmd = llmux_serve();
    cmd.arg("--config")
        .arg(&file)
        .args(["--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0"])
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .env("RUST_LOG", "info");
    for (k, v) in env {
        cmd.env(k, v);
    }
    start(cmd).await
}

fn ports(ollama: u16, lmstudio: u16, vllm: u16, litellm: u16) -> String {
    format!(
        "  ports: {{ollama: {ollama}, lmstudio: {lmstudio}, vllm: {vllm}, litellm: {litellm}}}\n"
    )
}

async fn get_json(url: &str) -> Value {
    client()
        .get(url)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// The ids `/v1/models` lists.
async fn model_ids(run: &Llmux) -> Vec<String> {
    let v = get_json(&format!("{}/v1/models", run.data)).await;
    v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_owned())
        .collect()
}

/// Polls `/v1/models` until it lists `id` (at most 10 s).
async fn wait_for_model(run: &Llmux, id: &str) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let ids = model_ids(run).await;
        if ids.iter().any(|m| m == id) {
            return ids;
        }
        assert!(
            Instant::now() < deadline,
            "no {id} in {ids:?}\n{}",
            run.log()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_servers_are_named_refreshed_and_kept_across_sighup() {
    let ollama = fake(ServerKind::Ollama, &["llama3.2"]).await;
    let lmstudio = fake(ServerKind::LmStudio, &["qwen-2.5-coder"]).await;
    let vllm = fake(ServerKind::Vllm, &["mixtral"]).await;
    let litellm = fake(ServerKind::LiteLlm, &["gpt-4o"]).await;
    let dir = tempfile::tempdir().unwrap();
    // A configured `ollama` at a stale address: the discovered one becomes `ollama-auto`.
    let yaml = format!(
        "providers:\n  ollama: {{type: ollama, base_url: 'http://127.0.0.1:9', models: [old]}}\ndiscovery:\n  refresh: 1s\n{}",
        ports(ollama.port(), lmstudio.port(), vllm.port(), litellm.port())
    );
    let run = serve(&dir, &yaml, &[]).await;
    let log = run.log();
    assert!(
        log.contains("ollama-auto") && log.contains("[discovered]"),
        "{log}"
    );
    let ids = model_ids(&run).await;
    for id in [
        "ollama/old",
        "ollama-auto/llama3.2",
        "lmstudio/qwen-2.5-coder",
        "vllm/mixtral",
        "litellm/gpt-4o",
    ] {
        assert!(ids.iter().any(|m| m == id), "{id} missing from {ids:?}");
    }

    // A model pulled into Ollama shows on the next refresh, in both model lists.
    ollama.set_models(&["llama3.2", "qwen3"]);
    wait_for_model(&run, "ollama-auto/qwen3").await;
    let tags = get_json(&format!("{}/api/tags", run.data)).await;
    assert!(tags.to_string().contains("ollama-auto/qwen3"), "{tags}");

    // SIGHUP re-reads the file and keeps the last scan.
    run.proc.signal("HUP");
    run.wait_log("config reloaded", 1).await;
    let ids = model_ids(&run).await;
    assert!(ids.iter().any(|m| m == "ollama-auto/qwen3"), "{ids:?}");
    assert!(ids.iter().any(|m| m == "vllm/mixtral"), "{ids:?}");

    // The admin API: a scan now, then the last scan.
    let c = client();
    let scan: Value = c
        .post(format!("{}/api/v1/discovery/scan", run.admin))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let found: Vec<(&str, &str)> = scan["found"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["name"].as_str().unwrap(), f["kind"].as_str().unwrap()))
        .collect();
    assert_eq!(
        found,
        [
            ("ollama-auto", "ollama"),
            ("lmstudio", "lmstudio"),
            ("vllm", "vllm"),
            ("litellm", "litellm")
        ]
    );
    assert_eq!(
        scan["found"][2]["base_url"],
        format!("http://127.0.0.1:{}/v1", vllm.port())
    );
    assert_eq!(
        scan["found"][0]["models"],
        serde_json::json!(["llama3.2", "qwen3"])
    );
    assert!(scan["took_ms"].is_u64() && scan["skipped"].is_array());
    let last = get_json(&format!("{}/api/v1/discovery", run.admin)).await;
    assert_eq!(last["found"], scan["found"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn switched_off_it_probes_nothing() {
    let ollama = fake(ServerKind::Ollama, &["llama3.2"]).await;
    let dir = tempfile::tempdir().unwrap();
    let yaml = format!(
        "discovery:\n  refresh: 1s\n{}",
        ports(ollama.port(), 1, 1, 1)
    );
    let run = serve(&dir, &yaml, &[("LLMUX_LOCAL_DISCOVERY", "0")]).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(
        ollama.requests().is_empty(),
        "probed: {:?}",
        ollama.requests()
    );
    assert!(model_ids(&run).await.is_empty());
    assert!(!run.log().contains("[discovered]"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_server_and_an_unresolvable_peer_delay_start_up_by_the_timeout_at_most() {
    let silent = fake(ServerKind::Silent, &[]).await;
    let vllm = fake(ServerKind::Vllm, &["mixtral"]).await;
    let dir = tempfile::tempdir().unwrap();
    let yaml = format!(
        "discovery:\n  local_scan: false\n  timeout: 1s\n  refresh: 1s\n  peers: ['no-such-host.invalid', '127.0.0.1:{}', 'localhost:{}']\n",
        silent.port(),
        vllm.port()
    );
    let started = Instant::now();
    let run = serve(&dir, &yaml, &[]).await;
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(900),
        "the silent server was waited for: {took:?}"
    );
    assert!(
        took < Duration::from_millis(3500),
        "start-up waited past the timeout: {took:?}"
    );
    // A peer on a custom port is named after its host and told apart by its signature.
    wait_for_model(&run, "vllm-localhost/mixtral").await;
    // Two more scans: still one warning for the unresolvable peer.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let log = run.log();
    assert_eq!(log.matches("cannot resolve the peer").count(), 1, "{log}");
    let last = get_json(&format!("{}/api/v1/discovery", run.admin)).await;
    let skipped = last["skipped"].to_string();
    assert!(
        skipped.contains("no-such-host.invalid") && skipped.contains("unresolvable"),
        "{skipped}"
    );
    assert!(
        skipped.contains("no answer within the timeout"),
        "{skipped}"
    );
}
