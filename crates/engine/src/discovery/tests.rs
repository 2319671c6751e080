//! Table tests of discovery: peers, targets, names, collisions, signatures, the merge.

use std::net::SocketAddr;

use super::*;
use crate::config::{parse_peer, Config, DiscoveryConfig, Env, Peer, Source};

mod scan;

fn config(yaml: &str, env: &[(&str, &str)]) -> Config {
    Config::load(
        Some(("t.yaml", yaml)),
        &Env::from_pairs(env.iter().copied()),
    )
    .unwrap()
}

fn hit(flavor: Flavor, host: &str, port: u16, local: bool) -> Hit {
    Hit {
        flavor,
        host: host.to_owned(),
        port,
        local,
        models: vec!["m".to_owned()],
    }
}

/// A peer as parsed: host and port, or an error.
type Parsed<'a> = Result<(&'a str, Option<u16>), ()>;

#[test]
fn peers_parse_as_host_or_host_port() {
    let table: [(&str, Parsed<'_>); 10] = [
        ("100.98.112.23", Ok(("100.98.112.23", None))),
        ("100.108.97.78:8000", Ok(("100.108.97.78", Some(8000)))),
        ("nas.lan", Ok(("nas.lan", None))),
        (" NAS.lan:1234 ", Ok(("nas.lan", Some(1234)))),
        ("[fd7a::1]:11434", Ok(("fd7a::1", Some(11434)))),
        ("fd7a::1", Ok(("fd7a::1", None))),
        ("host:0", Err(())),
        ("host:http", Err(())),
        (":8000", Err(())),
        ("bad/host", Err(())),
    ];
    for (input, want) in table {
        let got = parse_peer(input).map(|p| (p.host, p.port)).map_err(|_| ());
        let want = want.map(|(h, p)| (h.to_owned(), p));
        assert_eq!(got, want, "{input}");
    }
}

#[test]
fn discovery_section_and_environment() {
    let c = config("", &[]);
    assert_eq!(c.discovery, DiscoveryConfig::default());
    assert!(c.discovery.local_scan);
    assert_eq!(c.discovery.timeout.as_millis(), 500);
    assert_eq!(c.discovery.refresh.as_secs(), 60);
    let yaml = "discovery:\n  local_scan: false\n  peers: [\"a.lan\", \"10.0.0.2:8000\"]\n  timeout: 2s\n  refresh: 0\n  ports: {ollama: 21434}\n";
    let c = config(yaml, &[]);
    assert!(!c.discovery.local_scan);
    assert_eq!(c.discovery.peers.len(), 2);
    assert_eq!(c.discovery.timeout.as_secs(), 2);
    assert!(c.discovery.refresh.is_zero());
    assert_eq!(c.discovery.ports[0], (Flavor::Ollama, 21434));
    // The environment wins: local scan back on, the peer list replaced.
    let c = config(
        yaml,
        &[
            ("LLMUX_LOCAL_DISCOVERY", "1"),
            ("LLMUX_DISCOVERY_PEERS", "b.lan, c.lan:4000"),
        ],
    );
    assert!(c.discovery.local_scan);
    let peers = vec![
        Peer {
            host: "b.lan".into(),
            port: None,
        },
        Peer {
            host: "c.lan".into(),
            port: Some(4000),
        },
    ];
    assert_eq!(c.discovery.peers, peers);
    assert!(
        !config("", &[("LLMUX_LOCAL_DISCOVERY", "0")])
            .discovery
            .local_scan
    );
    assert!(
        !config("", &[("LLM_PROXY_LOCAL_DISCOVERY", "0")])
            .discovery
            .local_scan
    );
    // Bad values are reported at their paths.
    let bad = "discovery:\n  peers: [\"x:99999\"]\n  timeout: 0\n  ports: {vllm: 0}\n";
    let errors = Config::load(Some(("t.yaml", bad)), &Env::default()).unwrap_err();
    let paths: Vec<&str> = errors.errors.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "discovery.peers[0]",
            "discovery.timeout",
            "discovery.ports.vllm"
        ]
    );
    let errors =
        Config::load(None, &Env::from_pairs([("LLMUX_LOCAL_DISCOVERY", "maybe")])).unwrap_err();
    assert_eq!(errors.errors[0].path, "LLMUX_LOCAL_DISCOVERY");
}

#[test]
fn targets_cover_local_hosts_and_peers() {
    let mut d = DiscoveryConfig {
        peers: vec![
            parse_peer("nas.lan").unwrap(),
            parse_peer("10.0.0.9:8000").unwrap(),
        ],
        ..DiscoveryConfig::default()
    };
    let got: Vec<(String, u16, bool, Option<Flavor>)> = plan(&d, &["127.0.0.1"])
        .into_iter()
        .map(|t| (t.host, t.port, t.local, t.expect))
        .collect();
    let want = [
        ("127.0.0.1", 11434, true, Some(Flavor::Ollama)),
        ("127.0.0.1", 1234, true, Some(Flavor::LmStudio)),
        ("127.0.0.1", 8000, true, Some(Flavor::Vllm)),
        ("127.0.0.1", 4000, true, Some(Flavor::LiteLlm)),
        ("nas.lan", 11434, false, Some(Flavor::Ollama)),
        ("nas.lan", 1234, false, Some(Flavor::LmStudio)),
        ("nas.lan", 8000, false, Some(Flavor::Vllm)),
        ("nas.lan", 4000, false, Some(Flavor::LiteLlm)),
        ("10.0.0.9", 8000, false, Some(Flavor::Vllm)),
    ];
    let want: Vec<_> = want
        .iter()
        .map(|(h, p, l, e)| ((*h).to_owned(), *p, *l, *e))
        .collect();
    assert_eq!(got, want);
    // Local scan off: peers only; a custom port expects nothing in particular.
    d.local_scan = false;
    d.peers = vec![
        parse_peer("nas.lan:9999").unwrap(),
        parse_peer("nas.lan:9999").unwrap(),
    ];
    let got = plan(&d, &["127.0.0.1"]);
    assert_eq!(got.len(), 1);
    assert_eq!((got[0].port, got[0].expect), (9999, None));
    d.peers.clear();
    assert!(plan(&d, &["127.0.0.1"]).is_empty());
    assert!(!d.scans());
}

#[test]
fn host_names_become_dashes() {
    for (host, want) in [
        ("100.98.112.23", "100-98-112-23"),
        ("nas.lan", "nas-lan"),
        ("GPU_Box.local", "gpu-box-local"),
        ("fd7a::1", "fd7a-1"),
        ("host.docker.internal", "host-docker-internal"),
    ] {
        assert_eq!(host_dashes(host), want, "{host}");
    }
}

#[test]
fn own_listeners_are_never_probed() {
    let own: Vec<SocketAddr> = vec![
        "127.0.0.1:8080".parse().unwrap(),
        "0.0.0.0:4000".parse().unwrap(),
    ];
    for (addr, want) in [
        ("127.0.0.1:8080", true),
        ("127.0.0.1:8081", false),
        ("127.0.0.1:4000", true),
        ("10.1.2.3:4000", false),
        ("10.1.2.3:8080", false),
        ("[::1]:4000", true),
    ] {
        assert_eq!(is_own(addr.parse().unwrap(), &own), want, "{addr}");
    }
}

#[test]
fn names_follow_seed_000() {
    let table: Vec<(Vec<Hit>, Vec<&str>, Vec<&str>)> = vec![
        // Local hits get the bare name, remote ones <flavor>-<host-with-dashes>.
        (
            vec![
                hit(Flavor::Ollama, "127.0.0.1", 11434, true),
                hit(Flavor::LmStudio, "100.98.112.23", 1234, false),
            ],
            vec![],
            vec!["ollama", "lmstudio-100-98-112-23"],
        ),
        // An explicit `ollama` keeps its name; the discovered one is `ollama-auto`.
        (
            vec![hit(Flavor::Ollama, "127.0.0.1", 11434, true)],
            vec!["ollama"],
            vec!["ollama-auto"],
        ),
        // Both taken: the port; then a number.
        (
            vec![
                hit(Flavor::Vllm, "127.0.0.1", 8000, true),
                hit(Flavor::Vllm, "127.0.0.1", 8000, true),
            ],
            vec!["vllm", "vllm-auto"],
            vec!["vllm-8000", "vllm-8000-2"],
        ),
        // Two local Ollamas (loopback and the Docker host): the second is `-auto`.
        (
            vec![
                hit(Flavor::Ollama, "127.0.0.1", 11434, true),
                hit(Flavor::Ollama, "host.docker.internal", 11434, true),
            ],
            vec![],
            vec!["ollama", "ollama-auto"],
        ),
        // Two vLLMs on one peer, different ports.
        (
            vec![
                hit(Flavor::Vllm, "nas.lan", 8000, false),
                hit(Flavor::Vllm, "nas.lan", 8001, false),
            ],
            vec![],
            vec!["vllm-nas-lan", "vllm-nas-lan-auto"],
        ),
        (
            vec![hit(Flavor::OpenAiCompatible, "127.0.0.1", 9000, true)],
            vec![],
            vec!["openai-compatible"],
        ),
    ];
    for (hits, taken, want) in table {
        assert_eq!(
            name_hits(&hits, taken.iter().copied()),
            want,
            "{hits:?} / {taken:?}"
        );
    }
}

#[test]
fn signatures_tell_servers_apart() {
    let list = |owner: &str| {
        format!(
            r#"{{"object":"list","data":[{{"id":"a","owned_by":"{owner}"}},{{"id":"b","owned_by":"{owner}"}}]}}"#
        )
    };
    let table = [
        (list("vllm"), Some(Flavor::LmStudio), Some(Flavor::Vllm)),
        (
            list("organization_owner"),
            Some(Flavor::Vllm),
            Some(Flavor::LmStudio),
        ),
        (list("openai"), None, Some(Flavor::LiteLlm)),
        (list("litellm"), None, Some(Flavor::LiteLlm)),
        (list("someone"), Some(Flavor::Vllm), Some(Flavor::Vllm)),
        (list("someone"), None, Some(Flavor::OpenAiCompatible)),
        (
            list("library"),
            Some(Flavor::Ollama),
            Some(Flavor::OpenAiCompatible),
        ),
        (
            r#"{"data":[{"id":"x","max_model_len":4096}]}"#.to_owned(),
            None,
            Some(Flavor::Vllm),
        ),
        (r#"{"models":[]}"#.to_owned(), None, None),
        ("<html>".to_owned(), None, None),
    ];
    for (body, expect, want) in table {
        let got = classify_models(body.as_bytes(), expect);
        assert_eq!(got.as_ref().map(|(f, _)| *f), want, "{body}");
        if let Some((_, models)) = got.filter(|_| body.contains("\"a\"")) {
            assert_eq!(models, ["a", "b"]);
        }
    }
    assert_eq!(
        classify_tags(br#"{"models":[{"name":"llama3.2:latest"},{"model":"qwen3"}]}"#),
        Some(vec!["llama3.2:latest".to_owned(), "qwen3".to_owned()])
    );
    assert_eq!(classify_tags(br#"{"data":[]}"#), None);
    assert_eq!(classify_tags(b"not json"), None);
}

#[test]
fn merge_adds_discovered_and_fills_dynamic_lists() {
    let yaml = "providers:\n  ollama: {type: ollama, base_url: \"http://localhost:11434\"}\n  fixed: {type: openai-compatible, base_url: \"http://h:1/v1\", models: [a]}\n  groq: {api_key: k}\n";
    let base = config(yaml, &[]);
    let mut listed = std::collections::BTreeMap::new();
    listed.insert("ollama".to_owned(), vec!["llama3.2".to_owned()]);
    listed.insert("fixed".to_owned(), vec!["zzz".to_owned()]);
    listed.insert("groq".to_owned(), vec!["zzz".to_owned()]);
    let scan = Scan {
        hits: vec![
            hit(Flavor::Ollama, "127.0.0.1", 11434, true),
            hit(Flavor::Vllm, "10.0.0.2", 8000, false),
        ],
        listed,
        ..Scan::default()
    };
    let mut merged = base.clone();
    apply(&mut merged, &scan);
    let p = |id: &str| merged.provider(id).unwrap();
    // Dynamic list filled; an explicit list and a preset's list untouched.
    assert_eq!(p("ollama").models, ["llama3.2"]);
    assert_eq!(p("ollama").source, Source::File);
    assert_eq!(p("ollama").base_url, "http://localhost:11434");
    assert_eq!(p("fixed").models, ["a"]);
    assert_ne!(p("groq").models, ["zzz"]);
    // Discovered providers never replace configured ones.
    let auto = p("ollama-auto");
    assert_eq!(
        (auto.source.tag(), auto.base_url.as_str()),
        ("discovered", "http://127.0.0.1:11434")
    );
    assert_eq!(auto.kind, llmux_providers::ProviderKind::Ollama);
    let vllm = p("vllm-10-0-0-2");
    assert_eq!(vllm.base_url, "http://10.0.0.2:8000/v1");
    assert_eq!(vllm.kind, llmux_providers::ProviderKind::OpenAiCompatible);
    assert_eq!(merged.providers.len(), base.providers.len() + 2);
    // The report names them the same way.
    let r = report(&base, &scan);
    let names: Vec<&str> = r.found.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["ollama-auto", "vllm-10-0-0-2"]);
    assert_eq!(r.refreshed.len(), 3);
    // A merged configuration still builds a snapshot.
    assert!(crate::Snapshot::build(merged).is_ok());
}
