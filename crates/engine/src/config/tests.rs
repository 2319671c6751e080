//! Configuration tests: whole files, every error with its path and line, env sources.

use super::*;

mod outbound;
mod pricing;

fn load(yaml: &str, env: &[(&str, &str)]) -> Result<Config, ConfigErrors> {
    Config::load(
        Some(("test.yaml", yaml)),
        &Env::from_pairs(env.iter().copied()),
    )
}

fn errors_of(yaml: &str, env: &[(&str, &str)]) -> Vec<String> {
    load(yaml, env)
        .unwrap_err()
        .errors
        .iter()
        .map(ToString::to_string)
        .collect()
}

#[test]
fn embedded_default_needs_nothing() {
    let c = Config::load(None, &Env::default()).unwrap();
    assert_eq!(c.server.listen.to_string(), "127.0.0.1:8080");
    assert_eq!(c.server.admin_listen.to_string(), "127.0.0.1:8081");
    assert_eq!(c.server.body_limit, 16 << 20);
    assert_eq!(c.data_dir, PathBuf::from("./data"));
    assert!(c.providers.is_empty());
    assert!(c.unset_presets.iter().any(|p| p.id == "openai"));
}

#[test]
fn full_file_parses() {
    let c = load(
        r#"
server:
  listen: 0.0.0.0:9000
  body_limit: 1MiB
  timeouts: { connect: 2s, idle: 30s }
data_dir: /tmp/llmux
default_model: coder
providers:
  local:
    type: openai-compatible
    base_url: http://127.0.0.1:8000/v1/
    models: [Qwen3-Coder]
    headers: { X-Team: infra }
    timeouts: { first_byte: 5s }
  groq:
    api_key: ${GROQ_KEY}
models:
  coder:
    target: local/Qwen3-Coder
    defaults: { temperature: 0.2, chat_template_kwargs: { enable_thinking: true } }
    clamp: { max_tokens: 1000 }
  fast: groq/llama-3.1-8b-instant
"#,
        &[("GROQ_KEY", "gsk-test-key-123456")],
    )
    .unwrap();
    assert_eq!(c.server.listen.to_string(), "0.0.0.0:9000");
    assert_eq!(c.server.body_limit, 1 << 20);
    assert_eq!(c.server.timeouts.connect, Duration::from_secs(2));
    assert_eq!(c.server.timeouts.first_byte, Duration::from_secs(300));
    let local = c.provider("local").unwrap();
    assert_eq!(local.base_url, "http://127.0.0.1:8000/v1");
    assert_eq!(local.timeouts.first_byte, Duration::from_secs(5));
    assert_eq!(
        local.timeouts.connect,
        Duration::from_secs(2),
        "inherits server timeouts"
    );
    assert_eq!(
        local.headers,
        vec![("X-Team".to_owned(), "infra".to_owned())]
    );
    let groq = c.provider("groq").unwrap();
    assert_eq!(groq.base_url, "https://api.groq.com/openai/v1");
    assert_eq!(
        groq.api_key.as_ref().unwrap().expose(),
        "gsk-test-key-123456"
    );
    assert_eq!(groq.source, Source::File);
    assert_eq!(c.models.len(), 2);
    let coder = c.models.iter().find(|m| m.name == "coder").unwrap();
    assert_eq!(coder.defaults.as_ref().unwrap()["temperature"], 0.2);
}

#[test]
fn every_error_is_reported_with_path_and_line() {
    let errs = errors_of(
        "server:\n  listne: 1\n  body_limit: lots\nproviders:\n  a:\n    type: openai-compat\n  b:\n    type: openai-compatible\n    base_url: ftp://x\nmodelz: {}\n",
        &[],
    );
    let joined = errs.join("\n");
    assert!(
        joined.contains("line 2: server.listne: unknown key `listne` (did you mean `listen`?)"),
        "{joined}"
    );
    assert!(joined.contains("line 6: providers.a.type: unknown provider type `openai-compat` (did you mean `openai-compatible`?)"), "{joined}");
    assert!(
        joined.contains("line 9: providers.b.base_url: `ftp://x` is not an http(s) URL"),
        "{joined}"
    );
    assert!(
        joined.contains("line 10: modelz: unknown key `modelz` (did you mean `models`?)"),
        "{joined}"
    );
    assert_eq!(errs.len(), 4, "{joined}");
}

#[test]
fn a_rejected_provider_does_not_cascade_into_model_errors() {
    let errs = errors_of(
        "providers:\n  local: {type: opnai, base_url: 'http://h'}\nmodels:\n  m: local/x\n",
        &[],
    );
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(errs[0].contains("unknown provider type"));
}

#[test]
fn validation_table() {
    type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a str);
    let cases: &[Case] = &[
        ("server: {listen: nowhere}", &[], "server.listen: `nowhere` is not an address"),
        ("server: {timeouts: {idle: 5 weeks}}", &[], "server.timeouts.idle: unknown duration unit"),
        ("providers: {x: {type: openai-compatible}}", &[], "providers.x: `base_url` is required"),
        ("providers: {X: {type: openai-compatible, base_url: 'http://h'}}", &[], "provider id `X` must be lowercase"),
        ("providers: {x: {base_url: 'http://h'}}", &[], "set `type:`"),
        ("providers: {x: {preset: grok, base_url: 'http://h'}}", &[], "unknown preset `grok` (did you mean `groq`?)"),
        ("providers: {x: {type: openai-compatible, base_url: 'http://h', auth: basic}}", &[], "providers.x.auth: `basic` needs a username"),
        ("providers: {x: {type: openai-compatible, base_url: 'http://h', api_key: a, api_key_env: B}}", &[], "set only one of"),
        ("providers: {x: {type: openai-compatible, base_url: 'http://h', api_key_env: NOPE}}", &[], "`NOPE` is not set"),
        ("providers: {x: {type: openai-compatible, base_url: '${MISSING}'}}", &[], "`MISSING` is not set"),
        ("providers: {x: {type: openai-compatible, base_url: 'http://h', models: 3}}", &[], "providers.x.models: invalid type"),
        ("models: {m: local/x}", &[], "models.m.target: `local/x` does not name a configured provider's model"),
        ("providers: {local: {type: openai-compatible, base_url: 'http://h'}}\nmodels: {m: lcl/x}", &[], "one of: local (did you mean provider `local`?)"),
        ("models: {m: [1]}", &[], "models.m: expected `provider/model` or a mapping"),
        ("models: {m: {target: a/b, clamp: 3}}", &[], "models.m.clamp: invalid type"),
        ("providers: {a: {type: openai-compatible, base_url: 'http://h'}}\nmodels: {m: {target: a/b, defaults: {model: z}}}", &[], "a profile cannot set `model`"),
        ("providers: {a: {type: openai-compatible, base_url: 'http://h', models: [x]}, b: {type: openai-compatible, base_url: 'http://h', models: [x]}}\nmodels: {m: x}", &[], "listed by several providers (a, b)"),
        ("default_model: nothing", &[], "default_model: `nothing` does not name"),
        ("- a\n- b", &[], "the configuration must be a mapping"),
        ("a: [1, 2", &[], "YAML syntax error"),
        ("", &[("LLMUX_ENDPOINT_X_MODELS", "m")], "LLMUX_ENDPOINT_X_URL is required"),
        ("", &[("AZURE_OPENAI_API_KEY", "k")], "AZURE_OPENAI_ENDPOINT is not"),
    ];
    for (yaml, env, want) in cases {
        let errs = errors_of(yaml, env).join("\n");
        assert!(
            errs.contains(want),
            "config {yaml:?}\n want: {want}\n got: {errs}"
        );
    }
}

#[test]
fn env_endpoints_override_file_and_presets_fill_keys() {
    let c = load(
        "providers:\n  mock: {type: openai-compatible, base_url: 'http://file'}\n  openai: {base_url: 'https://proxy.example/v1'}\n",
        &[
            ("LLMUX_ENDPOINT_MOCK_URL", "http://127.0.0.1:9/v1"),
            ("LLMUX_ENDPOINT_MOCK_MODELS", "mock-model"),
            ("LLMUX_ENDPOINT_MOCK_KEY", "sk-upstream"),
            ("OPENAI_API_KEY", "sk-openai-key-0000"),
            ("GROQ_API_KEY", "gsk-groq-key-0000"),
        ],
    )
    .unwrap();
    let mock = c.provider("mock").unwrap();
    assert_eq!(mock.base_url, "http://127.0.0.1:9/v1");
    assert_eq!(mock.source.tag(), "env");
    assert_eq!(mock.api_key.as_ref().unwrap().expose(), "sk-upstream");
    let openai = c.provider("openai").unwrap();
    assert_eq!(
        openai.base_url, "https://proxy.example/v1",
        "file settings kept"
    );
    assert_eq!(
        openai.api_key.as_ref().unwrap().expose(),
        "sk-openai-key-0000"
    );
    assert_eq!(openai.key_origin.as_deref(), Some("env OPENAI_API_KEY"));
    let groq = c.provider("groq").unwrap();
    assert_eq!(groq.source, Source::Preset("GROQ_API_KEY".into()));
    assert!(!c.unset_presets.iter().any(|p| p.id == "groq"));
}

#[test]
fn every_preset_key_variable_switches_its_preset_on() {
    for preset in llmux_providers::PRESETS {
        let mut env = vec![(preset.key_env[0], "secret-key-value-1234")];
        if preset.id == "azure" {
            env.push(("AZURE_OPENAI_ENDPOINT", "https://r.openai.azure.com/"));
        }
        let c = Config::load(None, &Env::from_pairs(env)).unwrap();
        let p = c
            .provider(preset.id)
            .unwrap_or_else(|| panic!("{}", preset.id));
        assert_eq!(p.kind, preset.kind);
        if preset.id == "azure" {
            assert_eq!(p.base_url, "https://r.openai.azure.com");
            assert_eq!(p.api_version.as_deref(), Some("2024-10-21"));
        }
    }
}

#[test]
fn gemini_accepts_google_api_key_too() {
    let c = Config::load(
        None,
        &Env::from_pairs([("GOOGLE_API_KEY", "AIza-test-key-1234")]),
    )
    .unwrap();
    assert!(c.provider("gemini").is_some());
}

#[test]
fn secrets_never_print() {
    let s = Secret::new("sk-proj-abcdefghijklmnop");
    assert_eq!(format!("{s:?}"), "Secret(****)");
    assert_eq!(s.masked(), "sk-...mnop");
    assert_eq!(Secret::new("short").masked(), "****");
}

#[test]
fn schema_lists_every_section() {
    let schema: serde_json::Value = serde_json::from_str(&schema_json()).unwrap();
    let props = &schema["properties"];
    for key in ["server", "data_dir", "default_model", "providers", "models"] {
        assert!(props.get(key).is_some(), "{key}");
    }
}

#[test]
fn usage_section() {
    // (yaml, expected enabled, expected retention)
    let cases = [
        ("", true, Some(30)),
        ("usage: { enabled: false }", false, Some(30)),
        ("usage: { retention_days: 7 }", true, Some(7)),
        ("usage: { retention_days: 0 }", true, None),
    ];
    for (yaml, enabled, retention) in cases {
        let c = load(yaml, &[]).unwrap();
        assert_eq!(c.usage.enabled, enabled, "{yaml}");
        assert_eq!(c.usage.retention_days, retention, "{yaml}");
    }
    let errors = errors_of("usage: { retention: 7 }", &[]);
    assert!(errors[0].contains("usage"), "{errors:?}");
    let errors = errors_of("usage: { enabled: maybe }", &[]);
    assert!(errors[0].contains("usage"), "{errors:?}");
}

#[test]
fn journal_section() {
    let c = load("", &[]).unwrap();
    assert_eq!(c.journal, crate::config::JournalConfig::default());
    assert!(!c.journal.enabled && !c.journal.captures_bodies());
    assert_eq!(c.journal.max_size_bytes, 100 << 20);
    assert_eq!((c.journal.max_files, c.journal.max_body_bytes), (5, 65_536));
    assert_eq!(
        c.journal.path_in(std::path::Path::new("/d")),
        std::path::Path::new("/d/journal.jsonl")
    );

    let c = load(
        "journal: { enabled: true, path: /var/log/j.jsonl, max_size_mb: 0.5, max_files: 2, \
         capture_bodies: true, max_body_bytes: 100 }",
        &[],
    )
    .unwrap();
    assert!(c.journal.enabled && c.journal.captures_bodies());
    assert_eq!(c.journal.max_size_bytes, 512 << 10);
    assert_eq!((c.journal.max_files, c.journal.max_body_bytes), (2, 100));
    assert_eq!(
        c.journal.path_in(std::path::Path::new("/d")),
        std::path::Path::new("/var/log/j.jsonl")
    );
    // Capture without the journal captures nothing.
    let c = load("journal: { capture_bodies: true }", &[]).unwrap();
    assert!(!c.journal.captures_bodies());

    // (yaml, the path the error names, a word the message holds)
    let bad = [
        (
            "journal: { max_size_mb: 0 }",
            "journal.max_size_mb",
            "above 0",
        ),
        (
            "journal: { max_size_mb: -1 }",
            "journal.max_size_mb",
            "above 0",
        ),
        (
            "journal: { max_files: 0 }",
            "journal.max_files",
            "at least 1",
        ),
        (
            "journal: { max_body_bytes: 0 }",
            "journal.max_body_bytes",
            "capture_bodies",
        ),
        ("journal: { path: '' }", "journal.path", "empty"),
        ("journal: { enable: true }", "journal.enable", "enabled"),
        (
            "journal: { max_files: many }",
            "journal.max_files",
            "journal",
        ),
    ];
    for (yaml, path, word) in bad {
        let errors = errors_of(yaml, &[]);
        assert_eq!(errors.len(), 1, "{yaml}: {errors:?}");
        assert!(errors[0].contains(path), "{yaml}: {errors:?}");
        assert!(errors[0].contains(word), "{yaml}: {errors:?}");
    }
}
