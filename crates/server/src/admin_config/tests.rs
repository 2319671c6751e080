//! Configuration API unit tests: the checks a change passes before validation (409, 412,
//! 404, 400 on settings), merge patches, write-only secrets, dependency users, masking, and
//! the OpenAPI document listing every route.

use axum::http::StatusCode;
use llmux_engine::config::{Config, Env};
use llmux_store::{RegistryKind, RegistryRow, RegistryWrite};
use serde_json::{json, Value};

use super::*;

const FILE: &str = "
providers:
  one: { type: openai-compatible, base_url: 'http://127.0.0.1:9/v1', models: [m1] }
models:
  a: one/m1
";

fn row(kind: RegistryKind, name: &str, body: Value, version: i64) -> RegistryRow {
    RegistryRow {
        kind,
        name: name.into(),
        body: body.to_string(),
        version,
        updated_ms: 0,
    }
}

/// The registry and the configuration it composes with `FILE` (plus `extra` on top).
fn setup(extra: &str) -> (Vec<RegistryRow>, Config) {
    let rows = vec![
        row(
            RegistryKind::Provider,
            "two",
            json!({"type": "openai", "base_url": "http://127.0.0.1:8/v1", "models": ["m2"], "api_key": "sk-0123456789abcd"}),
            1,
        ),
        row(
            RegistryKind::Group,
            "pool",
            json!({"members": ["one/m1", "two/m2"]}),
            2,
        ),
        row(RegistryKind::Model, "b", json!({"group": "pool"}), 3),
    ];
    let file = format!("{extra}{FILE}");
    let config = Config::load_composed(
        Some(("f.yaml", &file)),
        &Env::default(),
        &api_objects(&rows).unwrap(),
    )
    .unwrap();
    (rows, config)
}

fn change(kind: RegistryKind, name: &str, op: Op, if_match: Option<&str>) -> Change {
    Change {
        kind,
        name: name.into(),
        op,
        if_match: if_match.map(str::to_owned),
    }
}

fn status(r: Result<Vec<RegistryWrite>, ApiError>) -> Result<usize, (StatusCode, String)> {
    r.map(|w| w.len()).map_err(|e| {
        let m = e
            .errors
            .iter()
            .map(|p| p.message.clone())
            .collect::<Vec<_>>();
        (e.status, m.join("; "))
    })
}

#[test]
fn checks_before_validation() {
    let (rows, config) = setup("");
    use RegistryKind::{Group, Model, Provider, Setting};
    let body = json!({"type": "openai"});
    let table: Vec<(Change, Result<usize, StatusCode>)> = vec![
        (
            change(Provider, "one", Op::Create(body.clone()), None),
            Err(StatusCode::CONFLICT),
        ),
        (
            change(Provider, "two", Op::Create(body.clone()), None),
            Err(StatusCode::CONFLICT),
        ),
        (
            change(Provider, "new", Op::Create(body.clone()), None),
            Ok(1),
        ),
        (
            change(Provider, "one", Op::Replace(body.clone()), None),
            Err(StatusCode::CONFLICT),
        ),
        (
            change(Provider, "one", Op::Delete, None),
            Err(StatusCode::CONFLICT),
        ),
        (
            change(Model, "a", Op::Patch(json!({})), None),
            Err(StatusCode::CONFLICT),
        ),
        (
            change(Provider, "two", Op::Delete, None),
            Err(StatusCode::CONFLICT),
        ),
        (
            change(Group, "pool", Op::Delete, None),
            Err(StatusCode::CONFLICT),
        ),
        (change(Model, "b", Op::Delete, None), Ok(1)),
        (
            change(Model, "zz", Op::Delete, None),
            Err(StatusCode::NOT_FOUND),
        ),
        (
            change(Model, "zz", Op::Patch(json!({})), None),
            Err(StatusCode::NOT_FOUND),
        ),
        (
            change(Model, "b", Op::Replace(json!("one/m1")), Some("\"3\"")),
            Ok(1),
        ),
        (
            change(Model, "b", Op::Replace(json!("one/m1")), Some("W/\"3\"")),
            Ok(1),
        ),
        (
            change(Model, "b", Op::Replace(json!("one/m1")), Some("*")),
            Ok(1),
        ),
        (
            change(Model, "b", Op::Replace(json!("one/m1")), Some("\"2\"")),
            Err(StatusCode::PRECONDITION_FAILED),
        ),
        (
            change(Model, "new", Op::Replace(json!("one/m1")), Some("*")),
            Err(StatusCode::PRECONDITION_FAILED),
        ),
        (
            change(Model, "new", Op::Replace(json!("one/m1")), None),
            Ok(1),
        ),
        (
            change(
                Setting,
                "",
                Op::Settings(
                    json!({"usage.enabled": false, "default_model": null})
                        .as_object()
                        .unwrap()
                        .clone(),
                ),
                None,
            ),
            Ok(2),
        ),
        (
            change(
                Setting,
                "",
                Op::Settings(json!({"usage.enabld": false}).as_object().unwrap().clone()),
                None,
            ),
            Err(StatusCode::BAD_REQUEST),
        ),
        (Change::reload(), Ok(0)),
    ];
    for (c, want) in table {
        let got = status(prepare(&c, &rows, &config));
        assert_eq!(got.clone().map_err(|e| e.0), want, "{c:?}: {got:?}");
    }
    let (_, msg) = status(prepare(
        &change(Provider, "two", Op::Delete, None),
        &rows,
        &config,
    ))
    .unwrap_err();
    assert!(msg.contains("groups.pool"), "{msg}");
    let (_, msg) = status(prepare(
        &change(Group, "pool", Op::Delete, None),
        &rows,
        &config,
    ))
    .unwrap_err();
    assert!(msg.contains("models.b"), "{msg}");
    let (_, msg) = status(prepare(
        &change(Provider, "one", Op::Replace(body), None),
        &rows,
        &config,
    ))
    .unwrap_err();
    assert!(msg.contains("admin.allow_file_overrides"), "{msg}");
}

#[test]
fn overrides_on_let_a_file_object_be_replaced() {
    let (rows, config) = setup("admin: { allow_file_overrides: true }\n");
    let c = change(
        RegistryKind::Model,
        "a",
        Op::Replace(json!("two/m2")),
        Some("\"0\""),
    );
    assert_eq!(status(prepare(&c, &rows, &config)), Ok(1));
}

#[test]
fn patches_merge_and_secrets_stay_write_only() {
    let (rows, config) = setup("");
    let stored_key = |writes: Vec<RegistryWrite>| match &writes[0] {
        RegistryWrite::Put { body, .. } => serde_json::from_str::<Value>(body).unwrap(),
        other => panic!("{other:?}"),
    };
    // A merge patch: members replaced, null removes, the key kept.
    let patch = json!({"models": ["m3"], "api_key": null, "headers": {"x-a": "1"}});
    let c = change(RegistryKind::Provider, "two", Op::Patch(patch), None);
    let body = stored_key(prepare(&c, &rows, &config).unwrap());
    assert_eq!(body["models"], json!(["m3"]));
    assert_eq!(body["headers"]["x-a"], "1");
    assert_eq!(body["api_key"], Value::Null, "a patch can remove the key");
    // A PUT without a credential, or with the masked form shown, keeps it.
    for sent in [
        json!({"type": "openai"}),
        json!({"type": "openai", "api_key": "sk-...abcd"}),
    ] {
        let c = change(RegistryKind::Provider, "two", Op::Replace(sent), None);
        let body = stored_key(prepare(&c, &rows, &config).unwrap());
        assert_eq!(body["api_key"], "sk-0123456789abcd");
    }
    let c = change(
        RegistryKind::Provider,
        "two",
        Op::Replace(json!({"api_key": "sk-new-key-00000"})),
        None,
    );
    assert_eq!(
        stored_key(prepare(&c, &rows, &config).unwrap())["api_key"],
        "sk-new-key-00000"
    );
    let masked = mask_body(
        &json!({"api_key": "sk-0123456789abcd", "auth": {"type": "basic", "password": "hunter2-long-pass"}}),
    );
    assert_eq!(
        masked,
        json!({"api_key": "sk-...abcd", "auth": {"type": "basic", "password": "hun...pass"}})
    );
    let masked =
        mask_body(&json!({"headers": {"X-Api-Key": "abcdefghijklmnop", "x-team": "blue"}}));
    assert_eq!(
        masked,
        json!({"headers": {"X-Api-Key": "abc...mnop", "x-team": "blue"}})
    );
}

#[test]
fn simulate_applies_writes_in_order() {
    let (rows, _) = setup("");
    let writes = vec![
        RegistryWrite::Delete {
            kind: RegistryKind::Model,
            name: "b".into(),
        },
        RegistryWrite::Put {
            kind: RegistryKind::Setting,
            name: "default_model".into(),
            body: "\"a\"".into(),
        },
    ];
    let next = simulate(&rows, &writes);
    let names: Vec<&str> = next.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, vec!["two", "pool", "default_model"]);
}

#[test]
fn openapi_documents_every_route_and_method() {
    let doc: Value = serde_json::from_str(crate::usage_api::OPENAPI).unwrap();
    for (path, methods) in ROUTES {
        for m in *methods {
            assert!(
                doc["paths"][path][m].is_object(),
                "{m} {path} missing from the OpenAPI document"
            );
        }
    }
}

#[test]
fn forwards_are_objects_like_the_others() {
    use RegistryKind::{Forward, Group};
    let (mut rows, _) = setup("");
    rows.push(row(
        Forward,
        "edge",
        json!({"listen": "127.0.0.1:0", "routing": [{"path": "/v1/*", "target_group": "pool"}]}),
        4,
    ));
    let extra = "server:\n  forwards:\n    - { name: file-fw, listen: '127.0.0.1:0' }\n";
    let file = format!("{extra}{FILE}");
    let config = Config::load_composed(
        Some(("f.yaml", &file)),
        &Env::default(),
        &api_objects(&rows).unwrap(),
    )
    .unwrap();
    let table: Vec<(Change, Result<usize, StatusCode>)> = vec![
        (
            change(Forward, "file-fw", Op::Delete, None),
            Err(StatusCode::CONFLICT),
        ),
        (
            change(Forward, "file-fw", Op::Create(json!({})), None),
            Err(StatusCode::CONFLICT),
        ),
        (
            change(
                Forward,
                "edge",
                Op::Patch(json!({"default_group": "pool"})),
                Some("\"4\""),
            ),
            Ok(1),
        ),
        (
            change(Forward, "edge", Op::Delete, Some("\"3\"")),
            Err(StatusCode::PRECONDITION_FAILED),
        ),
        (change(Forward, "edge", Op::Delete, None), Ok(1)),
        (
            change(Group, "pool", Op::Delete, None),
            Err(StatusCode::CONFLICT),
        ),
    ];
    for (c, want) in table {
        let got = status(prepare(&c, &rows, &config));
        assert_eq!(got.clone().map_err(|e| e.0), want, "{c:?}: {got:?}");
    }
    let (_, msg) = status(prepare(
        &change(Group, "pool", Op::Delete, None),
        &rows,
        &config,
    ))
    .unwrap_err();
    assert!(msg.contains("forwards.edge"), "{msg}");
    assert_eq!(
        written_paths(
            &prepare(&change(Forward, "edge", Op::Delete, None), &rows, &config).unwrap()
        ),
        vec!["forwards.edge"]
    );
}
