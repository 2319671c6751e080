//! Unit tests of the usage API's parameter parsing.

use super::params::{rfc3339_ms, Params};
use llmux_store::{Bucket, StatusClass};

fn params(pairs: &[(&str, &str)], extra: &[&'static str]) -> Params {
    let pairs = pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    Params::new(pairs, extra).unwrap()
}

#[test]
fn rfc3339_forms() {
    let table: &[(&str, Option<i64>)] = &[
        ("1970-01-01T00:00:00Z", Some(0)),
        ("2026-11-22T14:00:00Z", Some(1_795_356_000_000)),
        ("2026-11-22T16:00:00+02:00", Some(1_795_356_000_000)),
        ("2026-11-22T13:30:00-00:30", Some(1_795_356_000_000)),
        ("2024-02-29T00:00:00.5Z", Some(1_709_164_800_500)),
        ("2024-02-29T00:00:00.123456Z", Some(1_709_164_800_123)),
        ("2023-02-29T00:00:00Z", None),
        ("2026-13-01T00:00:00Z", None),
        ("2026-11-22T14:00:00", None),
        ("2026-11-22", None),
        ("2026-11-22T14:00:00.Z", None),
        ("yesterday", None),
    ];
    for (input, want) in table {
        assert_eq!(rfc3339_ms(input), *want, "{input}");
    }
}

#[test]
fn filter_takes_unix_seconds_and_status_class() {
    let p = params(
        &[("from", "1700000000"), ("status", "4xx"), ("key", "k1")],
        &[],
    );
    let f = p.filter().unwrap();
    assert_eq!(f.from_ms, Some(1_700_000_000_000));
    assert_eq!(f.status, Some(StatusClass::ClientError));
    assert_eq!(f.key_id.as_deref(), Some("k1"));
    assert_eq!(f.to_ms, None);
}

#[test]
fn bad_parameters_name_themselves() {
    let table: &[(&[(&str, &str)], &str)] = &[
        (&[("from", "soon")], "from"),
        (&[("to", "2026-11-22")], "to"),
        (&[("status", "404")], "status"),
        (&[("tag", "")], "tag"),
    ];
    for (pairs, name) in table {
        let err = params(pairs, &[]).filter().unwrap_err();
        assert_eq!(err.parameter, *name);
    }
    let unknown = Params::new(vec![("colour".into(), "red".into())], &[]);
    assert_eq!(
        unknown.err().map(|e| e.parameter).as_deref(),
        Some("colour")
    );
    let twice = Params::new(
        vec![("tag".into(), "a".into()), ("tag".into(), "b".into())],
        &[],
    );
    assert_eq!(twice.err().map(|e| e.parameter).as_deref(), Some("tag"));
}

#[test]
fn paging_and_bucket_defaults_and_bounds() {
    assert_eq!(
        params(&[], &["page", "per_page"]).paging().unwrap(),
        (1, 50)
    );
    let err = params(&[("per_page", "1001")], &["per_page"])
        .paging()
        .unwrap_err();
    assert_eq!(err.parameter, "per_page");
    let err = params(&[("page", "0")], &["page"]).paging().unwrap_err();
    assert_eq!(err.parameter, "page");
    assert_eq!(params(&[], &["bucket"]).bucket().unwrap(), Bucket::Hour);
    assert_eq!(
        params(&[("bucket", "day")], &["bucket"]).bucket().unwrap(),
        Bucket::Day
    );
    assert!(params(&[], &["by"]).by().is_err());
}
