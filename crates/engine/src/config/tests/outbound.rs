//! Table tests of the outbound settings: `auth`, `header_ops` and `http` of providers and
//! groups, every error with its path, and secrets kept out of messages and debug output.

use super::*;

const BASE: &str = "type: openai-compatible, base_url: 'http://h/v1', models: [m]";

/// One provider `p` with `extra` keys (flow-mapping syntax), plus `tail` YAML.
fn provider(extra: &str, tail: &str) -> String {
    format!("providers:\n  p: {{ {BASE}, {extra} }}\n{tail}")
}

#[test]
fn auth_forms() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pw");
    std::fs::write(&file, "pw-from-file\n").unwrap();
    let file = file.to_str().unwrap().to_owned();
    let env = [("PW", "pw-from-env")];
    type Case<'a> = (String, AuthScheme, Option<&'a str>, Option<&'a str>);
    let cases: Vec<Case> = vec![
        (
            "api_key: k1".into(),
            AuthScheme::Bearer,
            Some("k1"),
            Some("config file"),
        ),
        (
            "api_key: k1, auth: none".into(),
            AuthScheme::None,
            Some("k1"),
            Some("config file"),
        ),
        (
            "api_key: k1, auth: 'header:X-Key'".into(),
            AuthScheme::Header("x-key".into()),
            Some("k1"),
            Some("config file"),
        ),
        (
            "api_key: k1, auth: { type: 'header:api-key' }".into(),
            AuthScheme::Header("api-key".into()),
            Some("k1"),
            Some("config file"),
        ),
        (
            "auth: { type: basic, username: alice, password: pw1 }".into(),
            AuthScheme::Basic("alice".into()),
            Some("pw1"),
            Some("config file"),
        ),
        (
            "auth: { type: basic, username: alice, password_env: PW }".into(),
            AuthScheme::Basic("alice".into()),
            Some("pw-from-env"),
            Some("env PW"),
        ),
        (
            format!("auth: {{ type: basic, username: alice, password_file: '{file}' }}"),
            AuthScheme::Basic("alice".into()),
            Some("pw-from-file"),
            None,
        ),
        (
            "auth: { type: basic, username: alice, password: '${PW}' }".into(),
            AuthScheme::Basic("alice".into()),
            Some("pw-from-env"),
            Some("config file"),
        ),
    ];
    for (extra, scheme, secret, origin) in cases {
        let c = load(&provider(&extra, ""), &env).unwrap_or_else(|e| panic!("{extra}: {e}"));
        let p = c.provider("p").unwrap();
        assert_eq!(p.auth, scheme, "{extra}");
        assert_eq!(p.api_key.as_ref().map(Secret::expose), secret, "{extra}");
        if let Some(origin) = origin {
            assert_eq!(p.key_origin.as_deref(), Some(origin), "{extra}");
        }
    }
    // Provider kinds keep their own default header.
    for (kind, header) in [
        ("anthropic", "x-api-key"),
        ("gemini", "x-goog-api-key"),
        ("azure", "api-key"),
    ] {
        let yaml =
            format!("providers:\n  p: {{ type: {kind}, base_url: 'https://h', api_key: k }}\n");
        let c = load(&yaml, &[]).unwrap();
        assert_eq!(
            c.provider("p").unwrap().auth,
            AuthScheme::Header(header.into())
        );
    }
}

#[test]
fn header_ops_and_http_settings() {
    let yaml = provider(
        "header_ops: [
          { op: insert, name: X-Trace, value: t1 },
          { op: replace, key: Anthropic-Version, value: '2024-01-01' },
          { op: remove, name: x-team } ],
        http: { user_agent: 'acme/1.0', keepalive: 90, proxy: 'http://u:p4ss@proxy.local:3128/' }",
        "groups:\n  g:\n    members: [p/m]\n    http: { agent: 'group/2', keepalive: false }\n  plain:\n    members: [p/m]\n",
    );
    let c = load(&yaml, &[]).unwrap_or_else(|e| panic!("{e}"));
    let p = c.provider("p").unwrap();
    let ops: Vec<(HeaderOpKind, &str, Option<&str>)> = p
        .header_ops
        .iter()
        .map(|o| (o.kind, o.name.as_str(), o.value.as_deref()))
        .collect();
    assert_eq!(
        ops,
        [
            (HeaderOpKind::Insert, "x-trace", Some("t1")),
            (
                HeaderOpKind::Replace,
                "anthropic-version",
                Some("2024-01-01")
            ),
            (HeaderOpKind::Remove, "x-team", None),
        ]
    );
    assert_eq!(p.http.user_agent.as_deref(), Some("acme/1.0"));
    assert_eq!(p.http.keepalive(), Some(Duration::from_secs(90)));
    let proxy = p.http.proxy.as_ref().unwrap();
    assert_eq!(proxy.expose(), "http://u:p4ss@proxy.local:3128");
    assert_eq!(proxy.masked(), "http://u:****@proxy.local:3128");
    let g = c.group("g").unwrap().http.clone().unwrap();
    assert_eq!(
        g.user_agent.as_deref(),
        Some("group/2"),
        "`agent` is accepted"
    );
    assert_eq!(g.keepalive, Some(Duration::ZERO));
    assert_eq!(g.proxy, None);
    let merged = p.http.overridden_by(&g);
    assert_eq!(merged.user_agent.as_deref(), Some("group/2"));
    assert_eq!(merged.keepalive(), None, "the group switched keepalive off");
    assert_eq!(
        merged.proxy, p.http.proxy,
        "unset in the group: the provider's"
    );
    assert!(c.group("plain").unwrap().http.is_none());

    // Keepalive forms: a duration, seconds, a switch; the default when unset.
    for (value, want) in [
        ("'30s'", Some(30)),
        ("45", Some(45)),
        ("0", None),
        ("false", None),
        ("true", Some(60)),
    ] {
        let c = load(
            &provider(&format!("http: {{ keepalive: {value} }}"), ""),
            &[],
        )
        .unwrap();
        let got = c.provider("p").unwrap().http.keepalive();
        assert_eq!(got, want.map(Duration::from_secs), "keepalive: {value}");
    }
    let c = load(&provider("api_key: k", ""), &[]).unwrap();
    let p = c.provider("p").unwrap();
    assert_eq!(p.http, HttpSettings::default());
    assert_eq!(p.http.keepalive(), Some(HttpSettings::DEFAULT_KEEPALIVE));
    assert!(p.header_ops.is_empty());
}

#[test]
fn outbound_errors_name_their_path() {
    let cases: &[(&str, &str)] = &[
        ("auth: basic", "line 2: providers.p.auth: `basic` needs a username and a password"),
        ("auth: magic", "providers.p.auth: `magic` is not an auth scheme; use `bearer`, `header:<name>`, `basic` or `none`"),
        ("auth: { type: magic }", "providers.p.auth.type: `magic` is not an auth scheme"),
        ("auth: 3", "providers.p.auth: expected `bearer`, `header:<name>`, `none` or a mapping with `type:`, found a number"),
        ("auth: { type: basic, usernme: a }", "providers.p.auth.usernme: unknown key `usernme` (did you mean `username`?)"),
        ("auth: { type: bearer, username: a }", "providers.p.auth.username: `username` belongs to `type: basic`"),
        ("auth: { type: basic, password: x }", "providers.p.auth: `basic` auth needs a `username`"),
        ("auth: { type: basic, username: 'a:b', password: x }", "providers.p.auth.username: a Basic auth username cannot contain `:`"),
        ("auth: { type: basic, username: a }", "providers.p.auth: `basic` auth needs a password: set `password`, `password_env` or `password_file`"),
        ("auth: { type: basic, username: a, password: x, password_env: Y }", "providers.p.auth: set only one of `password`, `password_env` and `password_file`"),
        ("auth: { type: basic, username: a, password_env: NOPE }", "providers.p.auth.password_env: environment variable `NOPE` is not set"),
        ("auth: { type: basic, username: a, password_file: /nonexistent/pw }", "providers.p.auth.password_file: cannot read secret file `/nonexistent/pw`"),
        ("api_key: k, auth: { type: basic, username: a, password: x }", "providers.p.api_key: `basic` auth sends `username` and `password`, not an API key"),
        ("header_ops: [{ op: append, name: a, value: b }]", "providers.p.header_ops[0].op: unknown header operation `append`; use insert, replace or remove"),
        ("header_ops: [{ op: insrt, name: a, value: b }]", "unknown header operation `insrt` (did you mean `insert`?)"),
        ("header_ops: [{ op: insert, name: 'bad name', value: b }]", "providers.p.header_ops[0].name: `bad name` is not a valid header name"),
        ("header_ops: [{ op: replace, name: Content-Length, value: '1' }]", "providers.p.header_ops[0].name: llmux sets `content-length` itself"),
        ("header_ops: [{ op: remove, name: host }]", "providers.p.header_ops[0].name: llmux sets `host` itself"),
        ("header_ops: [{ op: remove, name: a, value: b }]", "providers.p.header_ops[0].value: `remove` takes no value"),
        ("header_ops: [{ op: insert, name: a }]", "providers.p.header_ops[0]: `insert` needs a `value`"),
        ("header_ops: [{ op: insert, name: a, value: \"x\\ny\" }]", "providers.p.header_ops[0].value: the header value contains characters not allowed"),
        ("header_ops: [{ op: insert, nme: a }]", "providers.p.header_ops[0].nme: unknown key `nme`"),
        ("http: { user_agent: '' }", "providers.p.http.user_agent: a User-Agent is a non-empty string"),
        ("http: { keepalive: forever }", "providers.p.http.keepalive: `forever` is not a duration"),
        ("http: { keepalive: 500ms }", "providers.p.http.keepalive: the keepalive idle time is between 1s and 32767s"),
        ("http: { keepalive: [1] }", "providers.p.http.keepalive: expected a duration such as `60s`, or `false`, found a list"),
        ("http: { proxy: 'socks5://proxy:1080' }", "providers.p.http.proxy: `socks5://proxy:1080` is not a proxy URL"),
        ("http: { proxy: 'http://' }", "providers.p.http.proxy: `http://` is not a proxy URL"),
        ("http: { proxy: 'http://proxy:3128/path' }", "providers.p.http.proxy: `http://proxy:3128/path` is not a proxy URL"),
        ("http: { agnet: x }", "providers.p.http.agnet: unknown key `agnet` (did you mean `agent`?)"),
    ];
    for (extra, want) in cases {
        let errs = errors_of(&provider(extra, ""), &[]).join("\n");
        assert!(errs.contains(want), "{extra}\n want: {want}\n got: {errs}");
    }
    let group =
        "groups:\n  g:\n    members: [p/m]\n    http: { keepalive: soon, proxy: 'ftp://x' }\n";
    let errs = errors_of(&provider("api_key: k", group), &[]).join("\n");
    for want in [
        "line 6: groups.g.http.keepalive: `soon` is not a duration",
        "line 6: groups.g.http.proxy: `ftp://x` is not a proxy URL",
    ] {
        assert!(errs.contains(want), "want: {want}\n got: {errs}");
    }
}

#[test]
fn secrets_stay_out_of_errors_and_debug_output() {
    // A bad proxy URL with a password: the message shows it masked.
    let errs = errors_of(
        &provider("http: { proxy: 'socks5://user:hunter2@proxy:1080' }", ""),
        &[],
    )
    .join("\n");
    assert!(errs.contains("`socks5://user:****@proxy:1080`"), "{errs}");
    assert!(!errs.contains("hunter2"), "{errs}");
    // A valid configuration prints none of its secrets.
    let c = load(
        &provider(
            "auth: { type: basic, username: alice, password: s3cret-pw },
            header_ops: [{ op: replace, name: x-upstream-token, value: tok-0001 }],
            http: { proxy: 'http://bob:hunter2@proxy:3128' }",
            "",
        ),
        &[],
    )
    .unwrap();
    let shown = format!("{c:?}");
    for secret in ["s3cret-pw", "tok-0001", "hunter2"] {
        assert!(!shown.contains(secret), "{secret} leaked: {shown}");
    }
    assert!(shown.contains("http://bob:****@proxy:3128"), "{shown}");
    for (url, masked) in [
        ("https://tok3n@proxy", "https://****@proxy"),
        ("http://u:p@ss@proxy", "http://u:****@proxy"),
        ("http://a/b:c@proxy", "http://****@proxy"),
    ] {
        let errs = errors_of(&provider(&format!("http: {{ proxy: '{url}/x' }}"), ""), &[]);
        let errs = errs.join("\n");
        assert!(errs.contains(&format!("`{masked}/x`")), "{url}: {errs}");
    }
}

#[test]
fn schema_describes_the_new_keys() {
    let schema: serde_json::Value = serde_json::from_str(&schema_json()).unwrap();
    let defs = schema
        .get("$defs")
        .or_else(|| schema.get("definitions"))
        .unwrap();
    let provider = &defs["RawProvider"]["properties"];
    for key in ["auth", "header_ops", "http"] {
        assert!(provider.get(key).is_some(), "providers.*.{key}");
    }
    assert!(defs["RawGroup"]["properties"].get("http").is_some());
    let auth = defs["RawAuth"].to_string();
    assert!(
        auth.contains("\"string\"") && auth.contains("RawAuthFull"),
        "{auth}"
    );
    for key in ["user_agent", "keepalive", "proxy"] {
        assert!(
            defs["RawHttp"]["properties"].get(key).is_some(),
            "http.{key}"
        );
    }
}
