//! Table-driven tests of the tag rules: priority order, the bearer-token trick and its secret
//! guard, the model suffix (including models that contain `@`), parsing and validation.

use super::*;

/// A request with nothing but a model and the seed's default tag.
fn base(model: &str) -> TagInput<'_> {
    TagInput {
        auth: AuthMode::None,
        bearer: None,
        header: None,
        model,
        key_tags: &[],
        default_tag: "default",
    }
}

fn ok(model: &str, tags: &[&str], source: TagSource) -> Result<Tagged, TagError> {
    Ok(Tagged {
        model: model.to_owned(),
        tags: tags.iter().map(|t| (*t).to_owned()).collect(),
        source,
    })
}

#[test]
fn priority_order() {
    let key = vec!["team-a".to_owned()];
    let all = TagInput {
        bearer: Some("tok"),
        header: Some("hdr"),
        key_tags: &key,
        ..base("m@sfx")
    };
    // Each row removes the winning source of the row above; the next one must win.
    let cases: Vec<(&str, TagInput<'_>, Result<Tagged, TagError>)> = vec![
        ("bearer first", all, ok("m", &["tok"], TagSource::Bearer)),
        (
            "then header",
            TagInput {
                bearer: None,
                ..all
            },
            ok("m", &["hdr"], TagSource::Header),
        ),
        (
            "then model suffix",
            TagInput {
                bearer: None,
                header: None,
                ..all
            },
            ok("m", &["sfx"], TagSource::ModelSuffix),
        ),
        (
            "then key tags",
            TagInput {
                bearer: None,
                header: None,
                model: "m",
                ..all
            },
            ok("m", &["team-a"], TagSource::Key),
        ),
        (
            "then default",
            TagInput {
                bearer: None,
                header: None,
                model: "m",
                key_tags: &[],
                ..all
            },
            ok("m", &["default"], TagSource::Default),
        ),
        (
            "empty default: untagged",
            TagInput {
                default_tag: "",
                ..base("m")
            },
            ok("m", &[], TagSource::Untagged),
        ),
    ];
    for (name, input, want) in cases {
        assert_eq!(request_tags(input), want, "{name}");
    }
}

#[test]
fn bearer_is_a_tag_only_with_auth_none_and_never_a_secret() {
    let long = "a".repeat(65);
    let cases: Vec<(&str, AuthMode, &str, Result<Tagged, TagError>)> = vec![
        (
            "auth none",
            AuthMode::None,
            "alice",
            ok("m", &["alice"], TagSource::Bearer),
        ),
        (
            "proxy_key",
            AuthMode::ProxyKey,
            "alice",
            ok("m", &["hdr"], TagSource::Header),
        ),
        (
            "passthrough",
            AuthMode::Passthrough,
            "alice",
            ok("m", &["hdr"], TagSource::Header),
        ),
        (
            "openai key",
            AuthMode::None,
            "sk-proj-abc123",
            ok("m", &["hdr"], TagSource::Header),
        ),
        (
            "anthropic key",
            AuthMode::None,
            "sk-ant-api03-x",
            ok("m", &["hdr"], TagSource::Header),
        ),
        (
            "google key",
            AuthMode::None,
            "AIzaSyD-x_y",
            ok("m", &["hdr"], TagSource::Header),
        ),
        (
            "groq key",
            AuthMode::None,
            "gsk_abc",
            ok("m", &["hdr"], TagSource::Header),
        ),
        (
            "secret with spaces",
            AuthMode::None,
            " sk-x ",
            ok("m", &["hdr"], TagSource::Header),
        ),
        // Opaque tokens that are no valid tag list are ignored, never rejected nor echoed.
        (
            "too long",
            AuthMode::None,
            &long,
            ok("m", &["hdr"], TagSource::Header),
        ),
        (
            "bad chars",
            AuthMode::None,
            "abc/def+=",
            ok("m", &["hdr"], TagSource::Header),
        ),
        (
            "only commas",
            AuthMode::None,
            ", ,",
            ok("m", &["hdr"], TagSource::Header),
        ),
        (
            "several",
            AuthMode::None,
            "alice,proj-x",
            ok("m", &["alice", "proj-x"], TagSource::Bearer),
        ),
    ];
    for (name, auth, token, want) in cases {
        let input = TagInput {
            auth,
            bearer: Some(token),
            header: Some("hdr"),
            ..base("m")
        };
        assert_eq!(request_tags(input), want, "{name}");
    }
}

#[test]
fn model_suffix() {
    let cases: Vec<(&str, Result<Tagged, TagError>)> = vec![
        (
            "claude-sonnet@alice",
            ok("claude-sonnet", &["alice"], TagSource::ModelSuffix),
        ),
        (
            "claude-sonnet@alice,proj-x",
            ok(
                "claude-sonnet",
                &["alice", "proj-x"],
                TagSource::ModelSuffix,
            ),
        ),
        // Vertex-style version pins stay in the model.
        (
            "claude-3-5-sonnet@20240620",
            ok(
                "claude-3-5-sonnet@20240620",
                &["default"],
                TagSource::Default,
            ),
        ),
        (
            "text-bison@001",
            ok("text-bison@001", &["default"], TagSource::Default),
        ),
        (
            "claude-3-5-sonnet@20240620@bob",
            ok(
                "claude-3-5-sonnet@20240620",
                &["bob"],
                TagSource::ModelSuffix,
            ),
        ),
        ("m@", ok("m@", &["default"], TagSource::Default)),
        ("@alice", ok("@alice", &["default"], TagSource::Default)),
        ("m@ , ", ok("m", &["default"], TagSource::Default)),
        ("plain", ok("plain", &["default"], TagSource::Default)),
        (
            "m@bad tag",
            Err(TagError {
                origin: TagSource::ModelSuffix,
                tag: "bad tag".into(),
                problem: TagProblem::BadChar(' '),
            }),
        ),
    ];
    for (model, want) in cases {
        assert_eq!(request_tags(base(model)), want, "{model}");
    }
}

#[test]
fn suffix_is_stripped_even_when_a_higher_source_wins() {
    let input = TagInput {
        header: Some("hdr"),
        ..base("gpt-4o@alice")
    };
    assert_eq!(
        request_tags(input),
        ok("gpt-4o", &["hdr"], TagSource::Header)
    );
    // It is not validated then: the header decided.
    let input = TagInput {
        header: Some("hdr"),
        ..base("gpt-4o@not valid")
    };
    assert_eq!(
        request_tags(input),
        ok("gpt-4o", &["hdr"], TagSource::Header)
    );
}

#[test]
fn parsing_and_validation() {
    let long = "a".repeat(MAX_TAG_LEN);
    let too_long = "b".repeat(MAX_TAG_LEN + 1);
    let many: String = (0..=MAX_TAGS).map(|i| format!("t{i},")).collect();
    let at_limit: String = (0..MAX_TAGS).map(|i| format!("t{i},")).collect();
    let at_limit_tags: Vec<String> = (0..MAX_TAGS).map(|i| format!("t{i}")).collect();
    let err = |tag: &str, problem| {
        Err(TagError {
            origin: TagSource::Header,
            tag: tag.into(),
            problem,
        })
    };
    let cases: Vec<(&str, Result<Vec<String>, TagError>)> = vec![
        (" alice , bob ", Ok(vec!["alice".into(), "bob".into()])),
        ("a,,b,", Ok(vec!["a".into(), "b".into()])),
        ("b,a,b,a", Ok(vec!["b".into(), "a".into()])),
        ("A.b_c:d-9", Ok(vec!["A.b_c:d-9".into()])),
        (&long, Ok(vec![long.clone()])),
        (&at_limit, Ok(at_limit_tags)),
        (
            &too_long,
            err(
                &too_long[..MAX_TAG_LEN],
                TagProblem::TooLong(MAX_TAG_LEN + 1),
            ),
        ),
        (
            "ok,caf\u{e9}",
            err("caf\u{e9}", TagProblem::BadChar('\u{e9}')),
        ),
        ("a b", err("a b", TagProblem::BadChar(' '))),
        ("x/y", err("x/y", TagProblem::BadChar('/'))),
        ("x@y", err("x@y", TagProblem::BadChar('@'))),
        (&many, err("", TagProblem::TooMany)),
    ];
    for (header, want) in cases {
        let got = request_tags(TagInput {
            header: Some(header),
            ..base("m")
        })
        .map(|t| t.tags);
        assert_eq!(got, want, "{header:?}");
    }
}

#[test]
fn empty_header_falls_through() {
    for header in ["", "  ", ",", " , ,"] {
        let got = request_tags(TagInput {
            header: Some(header),
            ..base("m@s")
        });
        assert_eq!(got, ok("m", &["s"], TagSource::ModelSuffix), "{header:?}");
    }
}

#[test]
fn key_and_default_tags_are_validated() {
    let key = vec![" k1 ".to_owned(), "k2".to_owned(), "k1".to_owned()];
    let got = request_tags(TagInput {
        key_tags: &key,
        ..base("m")
    });
    assert_eq!(got, ok("m", &["k1", "k2"], TagSource::Key));

    let bad = vec!["no way".to_owned()];
    let got = request_tags(TagInput {
        key_tags: &bad,
        ..base("m")
    });
    assert_eq!(
        got.map_err(|e| (e.origin, e.problem)),
        Err((TagSource::Key, TagProblem::BadChar(' ')))
    );

    let got = request_tags(TagInput {
        default_tag: "d1,d2",
        ..base("m")
    });
    assert_eq!(got, ok("m", &["d1", "d2"], TagSource::Default));
    let got = request_tags(TagInput {
        default_tag: "bad!",
        ..base("m")
    });
    assert_eq!(got.map_err(|e| e.origin), Err(TagSource::Default));
}

#[test]
fn error_message_names_source_and_rule() {
    let err = request_tags(TagInput {
        header: Some("a b"),
        ..base("m")
    })
    .err();
    let msg = err.map(|e| e.to_string()).unwrap_or_default();
    assert_eq!(
        msg,
        "invalid tag \"a b\" in the X-Proxy-Tag header: character ' ' not allowed, use [A-Za-z0-9._:-]"
    );
}
