//! Tests of the start-up summary: sources named, secrets masked, listeners and limits shown.
#![allow(clippy::unwrap_used, clippy::panic)]

use super::*;
use crate::config::Env;

fn load(yaml: &str, env: &Env) -> Config {
    Config::load(Some(("t.yaml", yaml)), env).unwrap()
}

#[test]
fn names_sources_and_masks_keys() {
    let env = Env::from_pairs([
        ("OPENAI_API_KEY", "sk-proj-0123456789abcdef"),
        ("LLMUX_ENDPOINT_LOCAL_URL", "http://127.0.0.1:8000/v1"),
    ]);
    let config = Config::load(None, &env).unwrap();
    let text = render(&config);
    assert!(text.contains("http://127.0.0.1:8080"), "{text}");
    assert!(
        text.contains("openai") && text.contains("preset, key from OPENAI_API_KEY"),
        "{text}"
    );
    assert!(text.contains("sk-...cdef"), "{text}");
    assert!(!text.contains("0123456789"), "secret leaked: {text}");
    assert!(
        text.contains("local") && text.contains("env LLMUX_ENDPOINT_*"),
        "{text}"
    );
    assert!(
        text.contains("not set") && text.contains("ANTHROPIC_API_KEY"),
        "{text}"
    );
}

#[test]
fn empty_config_says_what_is_missing() {
    let text = render(&Config::load(None, &Env::default()).unwrap());
    assert!(text.contains("providers   none"), "{text}");
    assert!(
        !text.contains("limits:") && !text.contains("forward"),
        "{text}"
    );
}

#[test]
fn basic_auth_shows_the_user_and_masks_the_password() {
    let env = Env::from_pairs([("INTERNAL_PW", "hunter2-correct-horse-battery")]);
    let config = load(
        "providers:
  internal:
    type: openai-compatible
    base_url: http://llm.internal/v1
    auth: { type: basic, username: svc-llmux, password_env: INTERNAL_PW }
  inline:
    type: openai-compatible
    base_url: http://other.internal/v1
    auth: { type: basic, username: bob, password: shortpw }
",
        &env,
    );
    let text = render(&config);
    assert!(
        text.contains("basic auth as svc-llmux, password hun...tery from env INTERNAL_PW"),
        "{text}"
    );
    // Too short to show any of it.
    assert!(
        text.contains("basic auth as bob, password **** from config file"),
        "{text}"
    );
    assert!(
        !text.contains("correct-horse") && !text.contains("shortpw"),
        "secret leaked: {text}"
    );
    assert!(!text.contains("key hun"), "a password is not a key: {text}");
}

#[test]
fn listeners_show_their_limits_routing_and_default_group() {
    let config = load(
        "server:
  listen: 127.0.0.1:8080
  rate_limit: { per_second: 10, burst: 40 }
  total_rate_limit: { per_second: 2.5 }
  forwards:
    - name: tenant-a
      listen: 0.0.0.0:3001
      default_group: pool
      routing:
        - { path: /v1/embeddings, target_group: embed }
        - { path: '/api/*', target_group: pool }
      rate_limit: { per_second: 5 }
    - { name: tenant-b, port: 3002, total_rate_limit: { per_second: 1, enabled: false } }
providers:
  a: { type: openai-compatible, base_url: 'http://a/v1', models: [m, e] }
groups:
  pool: { members: [a/m] }
  embed: { members: [a/e] }
",
        &Env::default(),
    );
    let text = render(&config);
    let lines: Vec<&str> = text.lines().collect();
    let at = |needle: &str| {
        lines
            .iter()
            .position(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("no line with `{needle}` in:\n{text}"))
    };
    let main = at("data plane  http://127.0.0.1:8080");
    assert_eq!(
        lines[main + 1].trim(),
        "limits: 10/s per client IP (burst 40), 2.5/s in total (burst 5)"
    );
    let a = at("forward     tenant-a  http://0.0.0.0:3001  default group pool");
    assert_eq!(
        lines[a + 1].trim(),
        "paths: /v1/embeddings -> embed, /api/* -> pool"
    );
    assert_eq!(lines[a + 2].trim(), "limits: 5/s per client IP (burst 10)");
    let b = at("forward     tenant-b  http://127.0.0.1:3002  the model name picks");
    // A switched-off limit is no limit: nothing under tenant-b before the admin line.
    assert!(lines[b + 1].contains("admin"), "{text}");
    assert!(
        text.contains("group       pool (round_robin): a/m"),
        "{text}"
    );
}

#[test]
fn provider_lines_show_member_limits_and_a_switched_off_breaker() {
    let config = load(
        "providers:
  a: { type: openai-compatible, base_url: 'http://a/v1', rate_limit: { rpm: 500, tpm: 90000 } }
  b: { type: openai-compatible, base_url: 'http://b/v1', breaker: { enabled: false } }
  c: { type: openai-compatible, base_url: 'http://c/v1', rate_limit: { rpm: 0 } }
",
        &Env::default(),
    );
    let text = render(&config);
    let line = |id: &str| {
        text.lines()
            .find(|l| l.trim_start().starts_with(&format!("- {id} ")))
            .unwrap_or_default()
            .to_owned()
    };
    assert!(
        line("a").ends_with("no key, any model as id/<model>, 500 rpm, 90000 tpm"),
        "{text}"
    );
    assert!(
        line("b").ends_with("no key, any model as id/<model>, breaker off"),
        "{text}"
    );
    // `rpm: 0` means no limit, and the default breaker is not worth a word.
    assert!(
        line("c").ends_with("no key, any model as id/<model>"),
        "{text}"
    );
}
