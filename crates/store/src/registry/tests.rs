//! Registry store tests: put/get/list/delete round trip, versions that only grow, a change
//! of several writes committing together, and objects surviving a reopen.

use super::*;

fn store() -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("llmux.db")).unwrap();
    (dir, store)
}

#[test]
fn put_get_list_delete_round_trip() {
    let (_dir, s) = store();
    assert_eq!(s.version().unwrap(), 0);
    let v1 = s
        .put(RegistryKind::Provider, "local", r#"{"type":"ollama"}"#)
        .unwrap();
    assert_eq!(v1, 1);
    let row = s.get(RegistryKind::Provider, "local").unwrap().unwrap();
    assert_eq!(
        (row.body.as_str(), row.version),
        (r#"{"type":"ollama"}"#, 1)
    );
    assert!(
        s.get(RegistryKind::Model, "local").unwrap().is_none(),
        "kinds are apart"
    );
    let v2 = s
        .put(RegistryKind::Provider, "local", r#"{"type":"openai"}"#)
        .unwrap();
    assert_eq!(v2, 2, "a replace gets a new version");
    s.put(RegistryKind::Model, "fast", r#""local/m""#).unwrap();
    let names: Vec<(RegistryKind, String)> = s
        .list()
        .unwrap()
        .into_iter()
        .map(|r| (r.kind, r.name))
        .collect();
    assert_eq!(
        names,
        vec![
            (RegistryKind::Model, "fast".to_owned()),
            (RegistryKind::Provider, "local".to_owned())
        ]
    );
    let v4 = s.delete(RegistryKind::Provider, "local").unwrap();
    assert_eq!(v4, 4, "a delete also advances the version");
    assert!(s.get(RegistryKind::Provider, "local").unwrap().is_none());
    assert_eq!(s.version().unwrap(), 4);
}

#[test]
fn one_change_writes_together_and_survives_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("llmux.db");
    let s = SqliteStore::open(&path).unwrap();
    let v = s
        .write(&[
            RegistryWrite::Put {
                kind: RegistryKind::Setting,
                name: "default_model".into(),
                body: r#""fast""#.into(),
            },
            RegistryWrite::Put {
                kind: RegistryKind::Setting,
                name: "usage.enabled".into(),
                body: "false".into(),
            },
        ])
        .unwrap();
    let rows = s.list().unwrap();
    assert_eq!(rows.len(), 2);
    assert!(
        rows.iter().all(|r| r.version == v),
        "one version per change"
    );
    drop(s);
    let again = SqliteStore::open(&path).unwrap();
    assert_eq!(again.list().unwrap(), rows);
    assert_eq!(again.version().unwrap(), v);
}

#[test]
fn kinds_round_trip_their_names() {
    for k in RegistryKind::ALL {
        assert_eq!(RegistryKind::parse(k.as_str()), Some(k));
    }
    assert_eq!(RegistryKind::parse("key"), None);
}
