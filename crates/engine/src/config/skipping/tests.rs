//! Start-up and reload with stored API objects the file no longer accepts: kept when they
//! validate, left out with their errors when not, the file's own errors still fatal.

use std::collections::BTreeSet;

use serde_json::json;

use super::super::*;

const FILE: &str = "
providers:
  local:
    type: openai-compatible
    base_url: http://127.0.0.1:9/v1
    models: [m1]
groups:
  pool: { members: [local/m1] }
";

fn load(file: &'static str) -> impl Fn(&ApiObjects) -> Result<Config, ConfigErrors> {
    move |api| Config::load_composed(Some(("f.yaml", file)), &Env::default(), api)
}

/// Objects made when the file had a provider `old` and a group `pool`.
fn stored() -> ApiObjects {
    let mut api = ApiObjects::default();
    api.models.insert("a".into(), json!({"target": "local/m1"}));
    // `b` falls back to `c`, which sorts after it: the second pass takes it.
    api.models.insert(
        "b".into(),
        json!({"target": "local/m1", "fallbacks": ["c"]}),
    );
    api.models.insert("c".into(), json!({"group": "pool"}));
    api.models.insert("gone".into(), json!("old/m9"));
    api.forwards.insert(
        "edge".into(),
        json!({"listen": "127.0.0.1:0", "default_group": "pool"}),
    );
    api.settings.insert("default_model".into(), json!("gone"));
    api
}

#[test]
fn objects_that_still_fit_are_kept_and_the_others_reported() {
    let c = compose_skipping(&stored(), &BTreeSet::new(), load(FILE)).unwrap();
    let names: Vec<&str> = c.models.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, vec!["a", "b", "c"]);
    assert_eq!(c.server.forwards.len(), 1);
    let skipped: Vec<&str> = c.composition.skipped.keys().map(String::as_str).collect();
    assert_eq!(skipped, vec!["default_model", "models.gone"]);
    let why = &c.composition.skipped["models.gone"];
    assert!(
        why.iter()
            .any(|m| m.starts_with("models.gone") && m.contains("old")),
        "{why:?}"
    );
    assert!(!c.composition.is_api("models.gone"));
}

#[test]
fn everything_valid_is_one_load_and_nothing_skipped() {
    let mut api = stored();
    api.models.remove("gone");
    api.settings.clear();
    let c = compose_skipping(&api, &BTreeSet::new(), load(FILE)).unwrap();
    assert!(c.composition.skipped.is_empty());
    assert_eq!(c.models.len(), 3);
}

#[test]
fn required_objects_must_validate() {
    let required: BTreeSet<String> = ["models.gone".to_owned()].into();
    let e = compose_skipping(&stored(), &required, load(FILE)).unwrap_err();
    assert!(
        e.errors.iter().any(|x| x.path.starts_with("models.gone")),
        "{e}"
    );
}

#[test]
fn a_broken_file_is_still_an_error() {
    let e = compose_skipping(
        &stored(),
        &BTreeSet::new(),
        load("providers:\n  local: { type: nope }\n"),
    )
    .unwrap_err();
    assert!(
        e.errors
            .iter()
            .any(|x| x.path.starts_with("providers.local")),
        "{e}"
    );
}
