//! Tests of `PathRouter`: the seed's example patterns, each priority rule, pattern errors, and
//! properties (no panic on any path; a static rule matches exactly its own path).

use proptest::prelude::*;

use super::*;

fn router(patterns: &[&str]) -> PathRouter<usize> {
    let rules = patterns
        .iter()
        .enumerate()
        .map(|(i, p)| (p.to_string(), i))
        .collect();
    PathRouter::new(rules).unwrap()
}

/// Every example pattern of the seed; `(path, index of the winning pattern)`.
const SEED: &[&str] = &[
    "/api/specific-endpoint",                              // 0
    "/api/users/:id/history",                              // 1
    "/api/items/{id:[0-9]+}",                              // 2
    "/api/users/admin",                                    // 3
    "/api/users/:id",                                      // 4
    "/api/products/{code:[A-Z][A-Z][A-Z][0-9][0-9][0-9]}", // 5
    "/api/*/docs",                                         // 6
    "/files/*",                                            // 7
    "/api/:version/users/{id:[0-9]+}/profile",             // 8
    "/api/v1/*",                                           // 9
    "/v1/chat/completions",                                // 10
    "/v1/embeddings",                                      // 11
];

#[test]
fn seed_examples_match_and_miss() {
    let r = router(SEED);
    let cases: &[(&str, Option<usize>)] = &[
        ("/api/specific-endpoint", Some(0)),
        ("/api/specific-endpoint/", Some(0)),
        ("/api/specific-endpoint/x", None),
        ("/api/users/123/history", Some(1)),
        ("/api/users/abc/history", Some(1)),
        ("/api/items/42", Some(2)),
        ("/api/items/abc", None),
        ("/api/items/42a", None),
        ("/api/items/", None),
        ("/api/users/admin", Some(3)),
        ("/api/users/123", Some(4)),
        ("/api/users/abc/", Some(4)),
        ("/api/products/ABC123", Some(5)),
        ("/api/products/abc123", None),
        ("/api/products/ABC1234", None),
        ("/api/v2/docs", Some(6)),
        ("/api/v2/docs/more", None),
        // `/api/*/docs` and `/api/v1/*` tie on every rule but order.
        ("/api/v1/docs", Some(6)),
        ("/files/a", Some(7)),
        ("/files/a/b/c.txt", Some(7)),
        ("/files", None),
        ("/files/", None),
        ("/api/v2/users/42/profile", Some(8)),
        ("/api/v2/users/x42/profile", None),
        // Three static segments and a regex beat `/api/v1/*`.
        ("/api/v1/users/42/profile", Some(8)),
        ("/api/v1/anything", Some(9)),
        ("/api/v1/a/b", Some(9)),
        ("/api/v1", None),
        ("/v1/chat/completions", Some(10)),
        ("/v1/chat/completions/", Some(10)),
        ("/v1/chat", None),
        ("/v1/embeddings", Some(11)),
        ("/v1/embeddingsx", None),
        ("/", None),
        ("", None),
        ("v1/embeddings", None),
    ];
    for &(path, want) in cases {
        assert_eq!(r.route(path).copied(), want, "path {path:?}");
    }
}

/// `(patterns in definition order, path, index of the winner)`, one block per priority rule.
#[test]
fn priority_rules() {
    let cases: &[(&[&str], &str, usize)] = &[
        // 1. A static path beats every pattern, whatever the order.
        (
            &["/api/users/:id", "/api/users/admin"],
            "/api/users/admin",
            1,
        ),
        (&["/api/*/docs", "/api/v1/docs"], "/api/v1/docs", 1),
        (
            &["/api/users/{id:[a-z]+}", "/api/users/admin"],
            "/api/users/admin",
            1,
        ),
        // 2. More static segments win.
        (&["/api/:version/:page", "/api/*/docs"], "/api/v1/docs", 1),
        (
            &["/api/{v:v[0-9]+}/:id", "/api/:v/users"],
            "/api/v1/users",
            1,
        ),
        (
            &["/api/:v/:w", "/:a/users/profile"],
            "/api/users/profile",
            1,
        ),
        // 3. Then regex-constrained over unconstrained.
        (
            &["/api/items/:id", "/api/items/{id:[0-9]+}"],
            "/api/items/42",
            1,
        ),
        (
            &["/api/items/:id", "/api/items/{id:[0-9]+}"],
            "/api/items/abc",
            0,
        ),
        (&["/api/*/:id", "/api/{v:v[0-9]}/:id"], "/api/v1/7", 1),
        // 4. Then longer patterns.
        (&["/files/*", "/files/:dir/*"], "/files/a/b", 1),
        (&["/files/*", "/files/:dir/*"], "/files/a", 0),
        (&["/:a", "/:a/:b"], "/x/y", 1),
        // 5. Then definition order.
        (&["/files/:name", "/files/*"], "/files/a", 0),
        (&["/files/*", "/files/:name"], "/files/a", 0),
        (&["/api/:v/docs", "/api/*/docs"], "/api/v1/docs", 0),
    ];
    for &(patterns, path, want) in cases {
        let r = router(patterns);
        assert_eq!(r.route(path).copied(), Some(want), "{patterns:?} on {path}");
    }
}

#[test]
fn params_are_captured_in_pattern_order() {
    let r = router(SEED);
    let (value, params) = r.route_with_params("/api/v2/users/42/profile").unwrap();
    assert_eq!(*value, 8);
    let want = [("version", "v2"), ("id", "42")].map(|(k, v)| (k.to_owned(), v.to_owned()));
    assert_eq!(params, want);
    let (value, params) = r.route_with_params("/api/users/admin").unwrap();
    assert_eq!((*value, params.len()), (3, 0));
    let (value, params) = r.route_with_params("/files/a/b").unwrap();
    assert_eq!((*value, params.len()), (7, 0), "wildcards capture nothing");
    assert!(r.route_with_params("/nowhere").is_none());
}

#[test]
fn regex_segments_may_hold_slashes_braces_and_classes() {
    let r = router(&["/x/{id:[0-9]{2,3}}", "/y/{rest:[^/]+}/z", "/w/{b:[}]+}"]);
    assert_eq!(r.route("/x/123"), Some(&0));
    assert_eq!(
        r.route("/x/1234"),
        None,
        "the regex is anchored at both ends"
    );
    assert_eq!(r.route("/y/abc/z"), Some(&1));
    assert_eq!(r.route("/w/}}"), Some(&2));
    // Unbalanced groups cannot undo the anchoring: such a regex is refused.
    assert!(PathRouter::new(vec![("/a/{x:a)|(b}".to_owned(), 0)]).is_err());
}

#[test]
fn root_and_empty_segments() {
    let r = router(&["/", "/:a/*"]);
    assert_eq!(r.route("/"), Some(&0));
    assert_eq!(r.route("/x/y"), Some(&1));
    assert_eq!(
        r.route("//y"),
        None,
        "a parameter never matches an empty segment"
    );
    assert_eq!(r.route("/x//"), None, "the wildcard needs a non-empty tail");
    assert_eq!(r.route("/x//y"), Some(&1));
}

#[test]
fn every_faulty_pattern_is_reported() {
    let rules = [
        "api/x",           // 0: no leading slash
        "/a//b",           // 1: empty segment
        "/a/:",            // 2: empty name
        "/a/{:[0-9]+}",    // 3: empty name
        "/a/{id:[0-9+}",   // 4: bad regex
        "/a/{id}",         // 5: missing regex
        "/a/{id:[0-9]+",   // 6: unclosed
        "/a/file*.txt",    // 7: partial wildcard
        "/a/{id:[0-9]+}x", // 8: text after brace
        "/a/:id/:id",      // 9: twice the same name
        "/a/:i-d",         // 10: bad name
        "/a?b=1",          // 11: query
        "/ok/:x",          // 12: fine
        "/ok/:y/",         // 13: same paths as 12
        "/v1/embeddings",  // 14: fine
        "/v1/embeddings/", // 15: duplicate static
    ]
    .iter()
    .map(|p| (p.to_string(), ()))
    .collect();
    let err = PathRouter::new(rules).unwrap_err();
    let got: Vec<_> = err.problems.iter().map(|p| (p.index, &p.reason)).collect();
    use PatternReason as R;
    assert!(matches!(got[0], (0, R::NoLeadingSlash)));
    assert!(matches!(got[1], (1, R::EmptySegment)));
    assert!(matches!(got[2], (2, R::EmptyParamName)));
    assert!(matches!(got[3], (3, R::EmptyParamName)));
    assert!(matches!(got[4], (4, R::BadRegex { name, .. }) if name == "id"));
    assert!(matches!(got[5], (5, R::MissingRegex(n)) if n == "id"));
    assert!(matches!(got[6], (6, R::UnclosedBrace)));
    assert!(matches!(got[7], (7, R::NotWholeSegment(s)) if s == "file*.txt"));
    assert!(matches!(got[8], (8, R::NotWholeSegment(_))));
    assert!(matches!(got[9], (9, R::DuplicateParam(n)) if n == "id"));
    assert!(matches!(got[10], (10, R::BadParamName(n)) if n == "i-d"));
    assert!(matches!(got[11], (11, R::QueryInPattern)));
    assert!(matches!(got[12], (13, R::Duplicate { first: 12 })));
    assert!(matches!(got[13], (15, R::Duplicate { first: 14 })));
    assert_eq!(got.len(), 14);
    let text = err.to_string();
    assert!(text.starts_with("14 invalid path patterns: rule 0 `api/x`: a path pattern must"));
    assert!(text.contains("rule 4 `/a/{id:[0-9+}`: bad regex for parameter `id`: "));
    assert!(text.contains("rule 15 `/v1/embeddings/`: matches the same paths as rule 14"));
}

#[test]
fn no_rules_route_nothing() {
    let r: PathRouter<()> = PathRouter::new(Vec::new()).unwrap();
    assert!(r.route("/").is_none());
}

fn segment() -> impl Strategy<Value = String> {
    "[a-z0-9._-]{1,6}"
}

proptest! {
    #[test]
    fn route_never_panics(path in any::<String>(), tail in "[/a-z:{}*?%0-9]{0,20}") {
        let r = router(SEED);
        let _ = r.route(&path);
        let _ = r.route_with_params(&path);
        let slashed = format!("/{tail}");
        let _ = r.route(&slashed);
        let _ = r.route_with_params(&slashed);
    }

    #[test]
    fn a_static_rule_matches_exactly_its_own_path(
        statics in proptest::collection::hash_set(proptest::collection::vec(segment(), 1..5), 1..8),
        other in proptest::collection::vec(segment(), 0..6),
    ) {
        let statics: Vec<String> = statics.iter().map(|s| format!("/{}", s.join("/"))).collect();
        let mut rules: Vec<(String, usize)> =
            statics.iter().cloned().enumerate().map(|(i, p)| (p, i)).collect();
        let only_static = PathRouter::new(rules.clone()).unwrap();
        // Dynamic rules alongside never take a static rule's own path.
        rules.push(("/:a/*".to_owned(), usize::MAX));
        rules.push(("/{x:.*}/:b".to_owned(), usize::MAX));
        let mixed = PathRouter::new(rules).unwrap();
        for (i, path) in statics.iter().enumerate() {
            prop_assert_eq!(only_static.route(path), Some(&i));
            prop_assert_eq!(only_static.route(&format!("{path}/")), Some(&i));
            prop_assert_eq!(mixed.route(path), Some(&i));
        }
        let other = format!("/{}", other.join("/"));
        if !statics.contains(&other) {
            prop_assert_eq!(only_static.route(&other), None);
        }
    }
}
