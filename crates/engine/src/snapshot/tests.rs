use super::*;
use crate::config::Env;
use llmux_providers::Operation;

fn snapshot(yaml: &str) -> Snapshot {
    let config = Config::load(Some(("t.yaml", yaml)), &Env::default()).unwrap();
    Snapshot::build(config).unwrap()
}

const CONFIG: &str = r#"
providers:
  openrouter: { type: openai-compatible, base_url: "http://or/v1", models: [] }
  local: { type: openai-compatible, base_url: "http://local/v1", models: [Qwen3-Coder, shared] }
  other: { type: openai-compatible, base_url: "http://other/v1", models: [shared, meta-llama/Llama-3] }
models:
  coder: { target: local/Qwen3-Coder, defaults: { temperature: 0.2 } }
  claude: openrouter/anthropic/claude-x
"#;

#[test]
fn resolution_table() {
    let s = snapshot(CONFIG);
    // (requested, provider, upstream model, has profile)
    let cases = [
        ("coder", "local", "Qwen3-Coder", true),
        ("claude", "openrouter", "anthropic/claude-x", false),
        ("local/Qwen3-Coder", "local", "Qwen3-Coder", false),
        (
            "openrouter/anthropic/claude-sonnet",
            "openrouter",
            "anthropic/claude-sonnet",
            false,
        ),
        ("Qwen3-Coder", "local", "Qwen3-Coder", false),
        ("meta-llama/Llama-3", "other", "meta-llama/Llama-3", false),
        (
            "local/anything-unlisted",
            "local",
            "anything-unlisted",
            false,
        ),
    ];
    for (name, provider, model, profile) in cases {
        let r = s.resolve(name).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(r.provider.id, provider, "{name}");
        assert_eq!(r.model, model, "{name}");
        assert_eq!(r.profile.is_some(), profile, "{name}");
    }
}

#[test]
fn unknown_and_ambiguous_models() {
    let s = snapshot(CONFIG);
    let e = s.resolve("gpt-9").unwrap_err();
    assert_eq!(e.status(), 404);
    assert!(e.to_string().contains("`gpt-9`"));
    let e = s.resolve("shared").unwrap_err();
    assert_eq!(e.status(), 400);
    assert!(e.to_string().contains("local, other"), "{e}");
    assert_eq!(s.resolve("local/").unwrap_err().status(), 404);
}

#[test]
fn default_model_catches_the_rest() {
    let s = snapshot(&format!("{CONFIG}default_model: coder\n"));
    let r = s.resolve("whatever").unwrap();
    assert_eq!(r.provider.id, "local");
    assert_eq!(r.model, "Qwen3-Coder");
    assert!(r.profile.is_some());
}

#[test]
fn lists_virtual_then_provider_models() {
    let s = snapshot(CONFIG);
    let ids: Vec<String> = s.model_ids().map(|(id, _)| id).collect();
    assert_eq!(
        ids,
        vec![
            "claude",
            "coder",
            "local/Qwen3-Coder",
            "local/shared",
            "other/shared",
            "other/meta-llama/Llama-3"
        ]
    );
}

#[test]
fn urls_and_headers() {
    let config = Config::load(
        Some((
            "t.yaml",
            r#"
providers:
  az: { type: azure, base_url: "https://r.openai.azure.com", api_key: k-azure, deployments: { gpt-4o: prod-4o } }
  c: { type: openai-compatible, base_url: "http://h/v1", api_key: sk-c, headers: { X-Team: a } }
  n: { type: openai-compatible, base_url: "http://h/v1", api_key: sk-n, auth: none }
"#,
        )),
        &Env::default(),
    )
    .unwrap();
    let s = Snapshot::build(config).unwrap();
    let az = s.provider("az").unwrap();
    assert_eq!(
        az.url(Operation::ChatCompletions, "gpt-4o"),
        "https://r.openai.azure.com/openai/deployments/prod-4o/chat/completions?api-version=2024-10-21"
    );
    assert_eq!(az.headers["api-key"], "k-azure");
    let c = s.provider("c").unwrap();
    assert_eq!(c.url(Operation::Embeddings, "x"), "http://h/v1/embeddings");
    assert_eq!(c.headers["authorization"], "Bearer sk-c");
    assert_eq!(c.headers["x-team"], "a");
    assert!(s
        .provider("n")
        .unwrap()
        .headers
        .get("authorization")
        .is_none());
}

#[test]
fn chat_urls_per_kind() {
    let s = snapshot(
        r#"
providers:
  gem: { type: gemini, base_url: "https://generativelanguage.googleapis.com/v1beta" }
  ant: { type: anthropic, base_url: "https://api.anthropic.com/v1" }
  oai: { type: openai-compatible, base_url: "http://h/v1" }
"#,
    );
    let url = |p: &str, stream| s.provider(p).unwrap().chat_url("m-1", stream);
    assert_eq!(
        url("gem", false),
        "https://generativelanguage.googleapis.com/v1beta/models/m-1:generateContent"
    );
    assert_eq!(
        url("gem", true),
        "https://generativelanguage.googleapis.com/v1beta/models/m-1:streamGenerateContent?alt=sse"
    );
    assert_eq!(url("ant", true), "https://api.anthropic.com/v1/messages");
    assert_eq!(url("oai", true), "http://h/v1/chat/completions");
    assert_eq!(
        s.provider("gem").unwrap().headers.get("x-goog-api-key"),
        None,
        "no key configured"
    );
}

#[test]
fn header_operations_apply_last_in_order() {
    let s = snapshot(
        r#"
providers:
  p:
    type: openai-compatible
    base_url: "http://h/v1"
    api_key: sk-p
    headers: { X-Team: a }
    header_ops:
      - { op: insert, name: x-team, value: not-used }
      - { op: insert, name: x-new, value: n1 }
      - { op: replace, name: x-client, value: c2 }
      - { op: remove, name: x-drop }
      - { op: replace, name: x-token, value: tok-secret }
    http: { user_agent: acme/1 }
  q: { type: openai-compatible, base_url: "http://h/v1" }
"#,
    );
    let p = s.provider("p").unwrap();
    // What the client and the provider's own headers put there first.
    let mut h = p.headers.clone();
    for (name, value) in [("x-client", "c1"), ("x-drop", "d"), ("user-agent", "sdk/9")] {
        h.insert(name, value.parse().unwrap());
    }
    p.finish_headers(&mut h);
    let got = |name: &str| h.get(name).map(|v| v.to_str().unwrap().to_owned());
    assert_eq!(
        got("x-team").as_deref(),
        Some("a"),
        "insert keeps a present header"
    );
    assert_eq!(
        got("x-new").as_deref(),
        Some("n1"),
        "insert adds an absent one"
    );
    assert_eq!(got("x-client").as_deref(), Some("c2"), "replace overwrites");
    assert_eq!(got("x-drop"), None, "remove deletes");
    assert_eq!(got("user-agent").as_deref(), Some("acme/1"), "UA replaced");
    assert_eq!(got("authorization").as_deref(), Some("Bearer sk-p"));
    assert!(
        h["x-token"].is_sensitive(),
        "op values are kept out of debug output"
    );
    assert!(!format!("{p:?}").contains("tok-secret"));
    // Without a configured User-Agent: the client's, else llmux's own on every transport.
    let other = s.provider("q").unwrap();
    let mut h = http::HeaderMap::new();
    other.finish_headers(&mut h);
    assert_eq!(h["user-agent"], crate::upstream::USER_AGENT);
    h.insert("user-agent", "sdk/9".parse().unwrap());
    other.finish_headers(&mut h);
    assert_eq!(h["user-agent"], "sdk/9");
}

#[test]
fn a_group_with_http_settings_gets_its_own_provider_copies() {
    let s = snapshot(
        r#"
providers:
  p: { type: openai-compatible, base_url: "http://h/v1", models: [a, b], http: { user_agent: prov/1 } }
  q: { type: openai-compatible, base_url: "http://q/v1", models: [c] }
groups:
  own:
    members: [p/a, p/b, q/c]
    http: { user_agent: group/2, proxy: "http://u:pw@proxy:3128" }
  shared:
    members: [p/a]
"#,
    );
    let p = s.provider("p").unwrap();
    let own = s.groups.iter().find(|g| g.name == "own").unwrap();
    let shared = s.groups.iter().find(|g| g.name == "shared").unwrap();
    assert!(
        Arc::ptr_eq(&shared.members[0].provider, p),
        "no http: the provider itself"
    );
    let (pa, pb, qc) = (&own.members[0], &own.members[1], &own.members[2]);
    assert!(!Arc::ptr_eq(&pa.provider, p), "a copy");
    assert!(
        Arc::ptr_eq(&pa.provider, &pb.provider),
        "one copy per provider in a group"
    );
    assert_eq!(pa.provider.id, "p");
    assert_eq!(pa.provider.user_agent.as_ref().unwrap(), "group/2");
    assert_eq!(
        p.user_agent.as_ref().unwrap(),
        "prov/1",
        "the provider keeps its own"
    );
    assert_eq!(qc.provider.user_agent.as_ref().unwrap(), "group/2");
    // A proxy needs the general client, even for plain HTTP.
    assert!(matches!(
        pa.provider.transport,
        crate::upstream::Transport::Client(_)
    ));
    assert!(matches!(
        qc.provider.transport,
        crate::upstream::Transport::Client(_)
    ));
    // Live state is shared by `provider/model`, copy or not.
    assert_eq!(pa.state.id, "p/a");
    assert!(Arc::ptr_eq(&pa.state, &shared.members[0].state));
}
