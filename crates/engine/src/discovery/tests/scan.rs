//! Scans against fake model servers on loopback ports: signatures, names, the deadline, an
//! unresolvable peer, llmux's own address, and the model lists of configured providers.

use std::time::{Duration, Instant};

use llmux_testkit::model_server::{FakeModelServer, ServerKind};

use super::*;

async fn server(kind: ServerKind, models: &[&str]) -> FakeModelServer {
    FakeModelServer::start(kind, models).await.unwrap()
}

/// A configuration whose well-known ports are the fakes' ports.
fn with_ports(yaml: &str, ports: [u16; 4]) -> Config {
    let mut c = config(yaml, &[]);
    c.discovery.ports = Flavor::WELL_KNOWN.iter().copied().zip(ports).collect();
    c.discovery.timeout = Duration::from_millis(400);
    c
}

fn scanner() -> Scanner {
    Scanner::new(Vec::new())
        .unwrap()
        .with_local_hosts(vec!["127.0.0.1".to_owned()])
}

#[tokio::test]
async fn local_servers_are_found_and_told_apart() {
    let ollama = server(ServerKind::Ollama, &["llama3.2"]).await;
    let lmstudio = server(ServerKind::LmStudio, &["qwen-2.5"]).await;
    let vllm = server(ServerKind::Vllm, &["mixtral"]).await;
    let litellm = server(ServerKind::LiteLlm, &["gpt-4o"]).await;
    let c = with_ports(
        "",
        [ollama.port(), lmstudio.port(), vllm.port(), litellm.port()],
    );
    let scan = scanner().scan(&c).await;
    let got: Vec<(Flavor, &str, Vec<String>)> = scan
        .hits
        .iter()
        .map(|h| (h.flavor, h.host.as_str(), h.models.clone()))
        .collect();
    let want = [
        (Flavor::Ollama, "llama3.2"),
        (Flavor::LmStudio, "qwen-2.5"),
        (Flavor::Vllm, "mixtral"),
        (Flavor::LiteLlm, "gpt-4o"),
    ];
    let want: Vec<(Flavor, &str, Vec<String>)> = want
        .iter()
        .map(|(f, m)| (*f, "127.0.0.1", vec![(*m).to_owned()]))
        .collect();
    assert_eq!(got, want);
    let r = report(&c, &scan);
    let names: Vec<&str> = r.found.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["ollama", "lmstudio", "vllm", "litellm"]);
    assert_eq!(
        r.found[0].base_url,
        format!("http://127.0.0.1:{}", ollama.port())
    );
    assert_eq!(
        r.found[2].base_url,
        format!("http://127.0.0.1:{}/v1", vllm.port())
    );
}

#[tokio::test]
async fn a_custom_port_peer_is_tried_against_every_signature() {
    let ollama = server(ServerKind::Ollama, &["phi-4"]).await;
    let generic = server(ServerKind::Generic, &["x"]).await;
    let mut c = with_ports("", [1, 1, 1, 1]);
    c.discovery.local_scan = false;
    c.discovery.peers = vec![
        parse_peer(&format!("localhost:{}", ollama.port())).unwrap(),
        parse_peer(&format!("127.0.0.1:{}", generic.port())).unwrap(),
    ];
    let scan = scanner().scan(&c).await;
    let r = report(&c, &scan);
    let found: Vec<(&str, Flavor)> = r.found.iter().map(|f| (f.name.as_str(), f.kind)).collect();
    assert_eq!(
        found,
        [
            ("ollama-localhost", Flavor::Ollama),
            ("openai-compatible-127-0-0-1", Flavor::OpenAiCompatible)
        ]
    );
    assert_eq!(
        r.found[0].base_url,
        format!("http://localhost:{}", ollama.port())
    );
}

#[tokio::test]
async fn a_silent_server_and_an_unresolvable_peer_cost_at_most_the_timeout() {
    let silent = server(ServerKind::Silent, &[]).await;
    let ollama = server(ServerKind::Ollama, &["m"]).await;
    let mut c = with_ports("", [ollama.port(), silent.port(), 1, 1]);
    c.discovery.peers = vec![parse_peer("no-such-host.invalid").unwrap()];
    let started = Instant::now();
    let scan = scanner().scan(&c).await;
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(350),
        "waited for the silent server: {took:?}"
    );
    assert!(
        took < Duration::from_millis(1200),
        "bounded by the timeout: {took:?}"
    );
    assert_eq!(scan.hits.len(), 1, "the Ollama answered in time");
    let reason = |target: &str| {
        scan.skipped
            .iter()
            .find(|s| s.target == target)
            .map(|s| s.reason.as_str())
    };
    assert_eq!(
        reason(&format!("127.0.0.1:{}", silent.port())),
        Some("no answer within the timeout")
    );
    assert_eq!(reason("no-such-host.invalid"), Some("unresolvable"));
    assert_eq!(reason("127.0.0.1:1"), Some("connection refused"));
    assert!(
        silent.requests().contains(&"/api/tags".to_owned()),
        "the silent server was probed"
    );
}

#[tokio::test]
async fn llmux_itself_is_skipped_and_disabled_mode_probes_nothing() {
    let ollama = server(ServerKind::Ollama, &["m"]).await;
    let c = with_ports("", [ollama.port(), 1, 1, 1]);
    let own = Scanner::new(vec![ollama.addr()])
        .unwrap()
        .with_local_hosts(vec!["127.0.0.1".into()]);
    let scan = own.scan(&c).await;
    assert!(scan.hits.is_empty());
    assert!(scan.skipped.iter().any(|s| s.reason == "llmux itself"));
    assert!(ollama.requests().is_empty(), "never probed");
    // A forward made while llmux runs is one of its own listeners too.
    let mut with_forward = c.clone();
    with_forward
        .server
        .forwards
        .push(crate::config::ForwardConfig {
            name: "late".into(),
            listen: ollama.addr(),
            default_group: None,
            routing: Vec::new(),
            rate_limit: None,
            total_rate_limit: None,
            source: crate::config::Source::Api,
        });
    let scan = scanner().scan(&with_forward).await;
    assert!(scan.hits.is_empty(), "{:?}", scan.hits);
    assert!(scan.skipped.iter().any(|s| s.reason == "llmux itself"));
    assert!(ollama.requests().is_empty(), "never probed");
    let mut off = c.clone();
    off.discovery.local_scan = false;
    let scan = scanner().scan(&off).await;
    assert!(scan.hits.is_empty() && scan.skipped.is_empty());
    assert!(ollama.requests().is_empty());
}

#[tokio::test]
async fn configured_providers_without_models_list_them_live() {
    let ollama = server(ServerKind::Ollama, &["llama3.2"]).await;
    let vllm = server(ServerKind::Vllm, &["mixtral"]).await;
    let yaml = format!(
        "providers:\n  home: {{type: ollama, base_url: \"http://127.0.0.1:{}\"}}\n  gpu: {{type: openai-compatible, base_url: \"http://127.0.0.1:{}/v1\"}}\n  pinned: {{type: openai-compatible, base_url: \"http://127.0.0.1:{}/v1\", models: [only]}}\n",
        ollama.port(),
        vllm.port(),
        vllm.port()
    );
    let mut c = with_ports(&yaml, [1, 1, 1, 1]);
    c.discovery.local_scan = false;
    let scan = scanner().scan(&c).await;
    assert_eq!(scan.listed.get("home"), Some(&vec!["llama3.2".to_owned()]));
    assert_eq!(scan.listed.get("gpu"), Some(&vec!["mixtral".to_owned()]));
    assert_eq!(scan.listed.get("pinned"), None);
    ollama.set_models(&["llama3.2", "qwen3"]);
    let scan = scanner().scan(&c).await;
    let mut merged = c.clone();
    apply(&mut merged, &scan);
    assert_eq!(
        merged.provider("home").unwrap().models,
        ["llama3.2", "qwen3"]
    );
    assert_eq!(merged.provider("pinned").unwrap().models, ["only"]);
}
