use super::*;
use crate::config::Env;

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
