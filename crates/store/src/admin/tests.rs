//! The admin tables: audit rows in, pages out newest first; password rows replaced in place.

use super::*;

fn store() -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().unwrap();
    let s = SqliteStore::open(dir.path().join("t.db")).unwrap();
    (dir, s)
}

fn row(ts_ms: i64, path: &str) -> AuditRow {
    AuditRow {
        id: 0,
        ts_ms,
        who: "token".into(),
        client_ip: Some("127.0.0.1".into()),
        method: "POST".into(),
        path: path.into(),
        status: 200,
        before: None,
        after: Some(r#"{"api_key":"[redacted]"}"#.into()),
    }
}

#[test]
fn audit_pages_newest_first_with_a_cursor() {
    let (_d, s) = store();
    let ids: Vec<i64> = (0..5)
        .map(|i| s.audit_append(&row(1000 + i, &format!("/p/{i}"))).unwrap())
        .collect();
    let first = s.audit_list(2, None).unwrap();
    assert_eq!(
        first.iter().map(|r| r.id).collect::<Vec<_>>(),
        [ids[4], ids[3]]
    );
    assert_eq!(first[0].path, "/p/4");
    assert_eq!(
        first[0].after.as_deref(),
        Some(r#"{"api_key":"[redacted]"}"#)
    );
    let next = s.audit_list(10, Some(first[1].id)).unwrap();
    assert_eq!(
        next.iter().map(|r| r.id).collect::<Vec<_>>(),
        [ids[2], ids[1], ids[0]]
    );
    assert!(s.audit_list(10, Some(ids[0])).unwrap().is_empty());
}

#[test]
fn password_rows_are_replaced_and_survive_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    {
        let s = SqliteStore::open(&path).unwrap();
        assert_eq!(s.password("admin").unwrap(), None);
        let mut p = PasswordRow {
            user: "admin".into(),
            salt: "00".into(),
            hash: "aa".into(),
            created_at_ms: 1,
        };
        s.set_password(&p).unwrap();
        p.hash = "bb".into();
        s.set_password(&p).unwrap();
    }
    let s = SqliteStore::open(&path).unwrap();
    assert_eq!(s.password("admin").unwrap().unwrap().hash, "bb");
}
