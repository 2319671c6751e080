//! Audit rows: which calls count as mutating, and secrets redacted at any depth.

use std::net::IpAddr;

use axum::http::{Method, StatusCode};
use serde_json::json;

use super::*;

#[test]
fn mutating_calls_are_non_get_under_the_api() {
    assert!(is_mutating(&Method::POST, "/api/v1/providers/x/test"));
    assert!(is_mutating(&Method::DELETE, "/api/v1/keys/k"));
    assert!(is_mutating(&Method::PUT, "/api/v1/settings"));
    assert!(!is_mutating(&Method::GET, "/api/v1/audit"));
    assert!(!is_mutating(&Method::HEAD, "/api/v1/audit"));
    assert!(!is_mutating(&Method::POST, "/metrics"));
}

#[test]
fn secret_names() {
    for name in [
        "api_key",
        "apiKey",
        "key",
        "access_token",
        "password",
        "client_secret",
        "Authorization",
        "secret_ref",
        "passwd",
    ] {
        assert!(is_secret_name(name), "{name}");
    }
    for name in ["key_id", "max_tokens", "name", "base_url", "models", "keys"] {
        assert!(!is_secret_name(name), "{name}");
    }
}

#[test]
fn rows_redact_secrets_at_any_depth() {
    let change = AuditChange {
        before: Some(
            json!({"id": "p", "api_key": "sk-live-123456", "headers": [{"authorization": "Bearer x"}]}),
        ),
        after: Some(
            json!({"id": "p", "nested": {"password": "pw", "token": null}, "max_tokens": 5}),
        ),
    };
    let r = row(
        &Who::Token,
        IpAddr::from([127, 0, 0, 1]),
        &Method::PUT,
        "/api/v1/providers/p",
        StatusCode::OK,
        Some(&change),
        42,
    );
    let before = r.before.unwrap();
    let after = r.after.unwrap();
    assert!(
        !before.contains("sk-live-123456") && !before.contains("Bearer x"),
        "{before}"
    );
    assert!(!after.contains("\"pw\""), "{after}");
    let after: serde_json::Value = serde_json::from_str(&after).unwrap();
    assert_eq!(after["nested"]["password"], REDACTED);
    assert_eq!(
        after["nested"]["token"],
        serde_json::Value::Null,
        "null stays null"
    );
    assert_eq!(after["max_tokens"], 5);
    assert_eq!((r.who.as_str(), r.status, r.ts_ms), ("token", 200, 42));
    assert_eq!(r.client_ip.as_deref(), Some("127.0.0.1"));
}

#[test]
fn a_row_without_a_change_or_address_has_neither() {
    let r = row(
        &Who::Anonymous,
        IpAddr::from([0, 0, 0, 0]),
        &Method::POST,
        "/api/v1/login",
        StatusCode::FORBIDDEN,
        None,
        1,
    );
    assert_eq!((r.before, r.after, r.client_ip), (None, None, None));
    assert_eq!(r.who, "anonymous");
}
