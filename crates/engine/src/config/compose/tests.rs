//! Composition tests: API objects validated like the file's (same paths, no file line),
//! sources reported, file and env objects kept unless overrides are on, settings applied.

use serde_json::json;

use super::super::*;

const FILE: &str = "
providers:
  local:
    type: openai-compatible
    base_url: http://127.0.0.1:9/v1
    models: [m1]
models:
  fast: local/m1
";

fn env() -> Env {
    Env::from_pairs([("LLMUX_ENDPOINT_EDGE_URL", "http://127.0.0.1:7/v1")])
}

fn api(providers: &[(&str, serde_json::Value)]) -> ApiObjects {
    ApiObjects {
        providers: providers
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect(),
        ..ApiObjects::default()
    }
}

#[test]
fn api_objects_join_with_their_source() {
    let mut objects = api(&[(
        "remote",
        json!({"type": "openai", "base_url": "http://127.0.0.1:8/v1", "models": ["m2"], "api_key": "sk-abcdefghijkl"}),
    )]);
    objects.models.insert(
        "smart".into(),
        json!({"target": "remote/m2", "context_length": 8192, "capabilities": ["tools"]}),
    );
    objects
        .groups
        .insert("pool".into(), json!({"members": ["local/m1", "remote/m2"]}));
    objects
        .settings
        .insert("usage.enabled".into(), json!(false));
    objects
        .settings
        .insert("default_model".into(), json!("smart"));
    let c = Config::load_composed(Some(("f.yaml", FILE)), &env(), &objects).unwrap();
    let tags: Vec<(&str, &str)> = c
        .providers
        .iter()
        .map(|p| (p.id.as_str(), p.source.tag()))
        .collect();
    assert_eq!(
        tags,
        vec![("local", "config"), ("remote", "api"), ("edge", "env")]
    );
    let smart = c.models.iter().find(|m| m.name == "smart").unwrap();
    assert_eq!(smart.source, Source::Api);
    assert_eq!(smart.context_length, Some(8192));
    assert_eq!(smart.capabilities, vec!["tools".to_owned()]);
    assert_eq!(
        c.models.iter().find(|m| m.name == "fast").unwrap().source,
        Source::File
    );
    assert_eq!(c.group("pool").unwrap().source, Source::Api);
    assert!(!c.usage.enabled);
    assert_eq!(c.default_model.as_deref(), Some("smart"));
    assert!(c.composition.is_api("usage.enabled"));
}

#[test]
fn api_errors_read_like_the_files_without_a_line() {
    let objects = api(&[("bad", json!({"type": "openai", "base_url": "ftp://x"}))]);
    let e = Config::load_composed(Some(("f.yaml", FILE)), &env(), &objects).unwrap_err();
    assert_eq!(e.errors.len(), 1, "{e}");
    assert_eq!(e.errors[0].path, "providers.bad.base_url");
    assert_eq!(e.errors[0].line, None);
    assert!(e.errors[0].message.contains("is not an http(s) URL"));
    // The same mistake written in the file: the same path and message.
    let file = "providers:\n  bad:\n    type: openai\n    base_url: ftp://x\n";
    let f = Config::load(Some(("f.yaml", file)), &Env::default()).unwrap_err();
    assert_eq!(
        (f.errors[0].path.as_str(), f.errors[0].message.as_str()),
        (e.errors[0].path.as_str(), e.errors[0].message.as_str())
    );
    let unknown = api(&[(
        "x",
        json!({"type": "openai", "base_url": "http://h", "bse": 1}),
    )]);
    let e = Config::load_composed(None, &Env::default(), &unknown).unwrap_err();
    assert_eq!(e.errors[0].path, "providers.x.bse");
    assert!(e.errors[0].message.contains("unknown key `bse`"), "{e}");
}

#[test]
fn file_and_env_objects_win_unless_overrides_are_on() {
    let body = json!({"type": "openai", "base_url": "http://127.0.0.1:8/v1", "models": ["m1"]});
    let objects = api(&[("local", body.clone()), ("edge", body)]);
    let c = Config::load_composed(Some(("f.yaml", FILE)), &env(), &objects).unwrap();
    assert_eq!(
        c.provider("local").unwrap().base_url,
        "http://127.0.0.1:9/v1"
    );
    assert_eq!(c.provider("edge").unwrap().source.tag(), "env");
    assert_eq!(c.composition.shadowed.len(), 2);
    let file = format!("admin:\n  allow_file_overrides: true\n{FILE}");
    let c = Config::load_composed(Some(("f.yaml", &file)), &env(), &objects).unwrap();
    for id in ["local", "edge"] {
        let p = c.provider(id).unwrap();
        assert_eq!(
            (p.source.tag(), p.base_url.as_str()),
            ("api", "http://127.0.0.1:8/v1")
        );
        assert!(c.composition.overrides.contains(&format!("providers.{id}")));
    }
}

#[test]
fn within_matches_the_object_and_its_fields_only() {
    assert!(super::within("providers.a", "providers.a"));
    assert!(super::within("providers.a.base_url", "providers.a"));
    assert!(super::within("groups.g.members[0]", "groups.g.members"));
    assert!(!super::within("providers.ab", "providers.a"));
}

const WITH_FORWARD: &str = "
providers:
  local:
    type: openai-compatible
    base_url: http://127.0.0.1:9/v1
    models: [m1]
groups:
  pool: { members: [local/m1] }
server:
  forwards:
    - { name: edge, listen: '127.0.0.1:0', default_group: pool }
";

#[test]
fn api_forwards_join_the_list_by_name_and_their_errors_read_by_name() {
    let mut objects = ApiObjects::default();
    objects.forwards.insert(
        "batch".into(),
        json!({"listen": "127.0.0.1:0", "routing": [{"path": "/v1/*", "target_group": "pool"}],
               "rate_limit": {"per_second": 5}}),
    );
    let c = Config::load_composed(Some(("f.yaml", WITH_FORWARD)), &env(), &objects).unwrap();
    let got: Vec<(&str, &str)> = c
        .server
        .forwards
        .iter()
        .map(|f| (f.name.as_str(), f.source.tag()))
        .collect();
    assert_eq!(got, vec![("edge", "config"), ("batch", "api")]);
    let batch = &c.server.forwards[1];
    assert_eq!(batch.routing, vec![("/v1/*".to_owned(), "pool".to_owned())]);
    assert_eq!(batch.rate_limit.map(|b| b.burst), Some(10));

    // A file forward of the same name wins unless overrides are on.
    objects
        .forwards
        .insert("edge".into(), json!({"listen": "127.0.0.1:0"}));
    let c = Config::load_composed(Some(("f.yaml", WITH_FORWARD)), &env(), &objects).unwrap();
    assert!(c.composition.shadowed.contains("forwards.edge"));
    assert_eq!(c.server.forwards[0].default_group.as_deref(), Some("pool"));
    let open = format!("admin: {{ allow_file_overrides: true }}\n{WITH_FORWARD}");
    let c = Config::load_composed(Some(("f.yaml", &open)), &env(), &objects).unwrap();
    assert!(c.composition.overrides.contains("forwards.edge"));
    assert_eq!(c.server.forwards[0].default_group, None);
    assert_eq!(c.server.forwards[0].source.tag(), "api");

    // Errors name the API forward, not its index, and carry no file line.
    let mut bad = ApiObjects::default();
    bad.forwards.insert(
        "batch".into(),
        json!({"listen": "127.0.0.1:0", "routing": [{"path": "/v1/*", "target_group": "poll"}]}),
    );
    let e = Config::load_composed(Some(("f.yaml", WITH_FORWARD)), &env(), &bad).unwrap_err();
    assert_eq!(e.errors.len(), 1, "{e}");
    assert_eq!(e.errors[0].path, "forwards.batch.routing[0].target_group");
    assert_eq!(e.errors[0].line, None);
    assert!(e.errors[0].message.contains("did you mean `pool`"), "{e}");
}

#[test]
fn main_listener_limits_are_settings() {
    let mut objects = ApiObjects::default();
    objects.settings.insert(
        "server.rate_limit".into(),
        json!({"per_second": 2, "burst": 3}),
    );
    let c = Config::load_composed(Some(("f.yaml", FILE)), &env(), &objects).unwrap();
    assert_eq!(c.server.rate_limit.map(|b| b.burst), Some(3));
    objects
        .settings
        .insert("server.rate_limit".into(), json!({"per_second": 0}));
    let e = Config::load_composed(Some(("f.yaml", FILE)), &env(), &objects).unwrap_err();
    assert_eq!(e.errors[0].path, "server.rate_limit.per_second");
}

#[test]
fn paths_and_only_pick_objects_in_dependency_order() {
    let mut objects = api(&[("p", json!({}))]);
    objects.models.insert("m".into(), json!("p/x"));
    objects.groups.insert("g".into(), json!({}));
    objects.forwards.insert("f".into(), json!({}));
    objects.settings.insert("default_model".into(), json!("m"));
    assert_eq!(
        objects.paths(),
        vec![
            "providers.p",
            "groups.g",
            "models.m",
            "forwards.f",
            "default_model"
        ]
    );
    let keep: std::collections::BTreeSet<String> =
        ["models.m".to_owned(), "default_model".to_owned()].into();
    let only = objects.only(&keep);
    assert_eq!(only.paths(), vec!["models.m", "default_model"]);
}
