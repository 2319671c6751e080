//! Credential extraction: which header or query parameter each client API's key comes from, and which wins.

use http::{HeaderMap, HeaderValue};

use super::super::presented_key;

#[test]
fn presented_key_table() {
    let hdrs = |pairs: &[(&'static str, &'static str)]| {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_static(v));
        }
        h
    };
    let cases: Vec<(&str, HeaderMap, Option<&str>, Option<&str>)> = vec![
        ("none", hdrs(&[]), None, None),
        (
            "bearer",
            hdrs(&[("authorization", "Bearer llmux-a")]),
            None,
            Some("llmux-a"),
        ),
        (
            "bearer lower case, extra spaces",
            hdrs(&[("authorization", "bearer   llmux-a ")]),
            None,
            Some("llmux-a"),
        ),
        (
            "basic is not a key",
            hdrs(&[("authorization", "Basic dXNlcjpwdw==")]),
            None,
            None,
        ),
        (
            "empty bearer falls through",
            hdrs(&[("authorization", "Bearer "), ("x-api-key", "k2")]),
            None,
            Some("k2"),
        ),
        (
            "anthropic",
            hdrs(&[("x-api-key", "llmux-b")]),
            None,
            Some("llmux-b"),
        ),
        (
            "gemini header",
            hdrs(&[("x-goog-api-key", "llmux-c")]),
            None,
            Some("llmux-c"),
        ),
        (
            "azure",
            hdrs(&[("api-key", "llmux-d")]),
            None,
            Some("llmux-d"),
        ),
        (
            "gemini query",
            hdrs(&[]),
            Some("alt=sse&key=llmux-e"),
            Some("llmux-e"),
        ),
        (
            "query key first",
            hdrs(&[]),
            Some("key=llmux-f&alt=sse"),
            Some("llmux-f"),
        ),
        (
            "query without key",
            hdrs(&[]),
            Some("alt=sse&apikey=x&mykey=y"),
            None,
        ),
        (
            "empty query key",
            hdrs(&[]),
            Some("key=&key=llmux-g"),
            Some("llmux-g"),
        ),
        (
            "bearer beats x-api-key",
            hdrs(&[("x-api-key", "k2"), ("authorization", "Bearer k1")]),
            None,
            Some("k1"),
        ),
        (
            "x-api-key beats x-goog-api-key",
            hdrs(&[("x-goog-api-key", "k3"), ("x-api-key", "k2")]),
            None,
            Some("k2"),
        ),
        (
            "header beats query",
            hdrs(&[("api-key", "k4")]),
            Some("key=k5"),
            Some("k4"),
        ),
        (
            "second authorization header",
            hdrs(&[("authorization", "Basic x"), ("authorization", "Bearer k6")]),
            None,
            Some("k6"),
        ),
    ];
    for (name, headers, query, want) in &cases {
        assert_eq!(presented_key(headers, *query), *want, "{name}");
    }
    let mut h = HeaderMap::new();
    h.insert(
        "x-api-key",
        HeaderValue::from_bytes(b"caf\xc3\xa9").unwrap(),
    );
    assert_eq!(
        presented_key(&h, Some("key=q")),
        Some("q"),
        "non-ASCII header skipped"
    );
}
