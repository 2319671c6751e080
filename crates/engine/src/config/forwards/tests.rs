use crate::config::{Config, Env};

const BASE: &str = "providers:
  a: {type: openai-compatible, base_url: 'http://a', models: [m]}
groups:
  g: {members: [a/m]}
";

fn errors_of(server: &str) -> String {
    let text = format!("server:\n{server}{BASE}");
    match Config::load(Some(("t.yaml", &text)), &Env::default()) {
        Ok(_) => String::new(),
        Err(e) => e
            .errors
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n"),
    }
}

#[test]
fn forwards_and_limits_parse() {
    let text = format!(
        "server:
  rate_limit: {{per_second: 5}}
  total_rate_limit: {{enabled: false}}
  forwards:
    - {{name: t1, listen: '127.0.0.1:3001', default_group: g, routing: [{{path: /v1/embeddings, target_group: g}}], ratelimit: {{per_second: 2, burst: 3}}}}
    - {{name: t2, port: 3002}}
{BASE}"
    );
    let c = Config::load(Some(("t.yaml", &text)), &Env::default()).unwrap();
    let s = &c.server;
    let main = s.rate_limit.unwrap();
    assert_eq!((main.per_second, main.burst), (5.0, 10));
    assert!(s.total_rate_limit.is_none());
    assert_eq!(s.forwards.len(), 2);
    let t1 = &s.forwards[0];
    assert_eq!(t1.listen.to_string(), "127.0.0.1:3001");
    assert_eq!(t1.default_group.as_deref(), Some("g"));
    assert_eq!(
        t1.routing,
        vec![("/v1/embeddings".to_owned(), "g".to_owned())]
    );
    assert_eq!(t1.rate_limit.unwrap().burst, 3);
    assert_eq!(s.forwards[1].listen.to_string(), "127.0.0.1:3002");
}

#[test]
fn forward_errors_table() {
    let cases: &[(&str, &str)] = &[
        ("  forwards: [{name: main, port: 3001}]\n", "server.forwards[0].name: `main` is the name of the main listener"),
        ("  forwards: [{name: x, port: 3001}, {name: x, port: 3002}]\n", "server.forwards[1].name: the name `x` is used twice"),
        ("  forwards: [{name: x}]\n", "server.forwards[0]: a forward needs `listen: host:port`"),
        ("  forwards: [{name: x, listen: nowhere}]\n", "server.forwards[0].listen: `nowhere` is not an address"),
        ("  forwards: [{name: x, listen: '127.0.0.1:8080'}]\n", "127.0.0.1:8080 is already used by server.listen"),
        ("  forwards: [{name: x, port: 3001}, {name: y, port: 3001}]\n", "is already used by forward `x`"),
        ("  forwards: [{name: x, port: 3001, default_group: h}]\n", "server.forwards[0].default_group: no group is named `h`"),
        ("  forwards: [{name: x, port: 3001, routing: [{path: /a, target_group: gg}]}]\n", "server.forwards[0].routing[0].target_group: no group is named `gg` (did you mean `g`?)"),
        ("  forwards: [{name: x, port: 3001, routing: [{path: 'a/b', target_group: g}]}]\n", "server.forwards[0].routing"),
        ("  forwards: [{name: x, port: 3001, routing: [{path: '/a/{id:[}', target_group: g}]}]\n", "server.forwards[0].routing"),
        ("  rate_limit: {burst: 3}\n", "server.rate_limit: a rate limit needs `per_second`"),
        ("  rate_limit: {per_second: 0}\n", "server.rate_limit.per_second: requests per second must be above 0"),
        ("  rate_limit: {per_second: 1, burst: 0}\n", "server.rate_limit.burst: a burst must be at least 1"),
        ("  timeouts: {connect: 99999999999999999999999}\n", "server.timeouts.connect: `100000000000000000000000` is not a usable duration"),
    ];
    for (server, want) in cases {
        let got = errors_of(server);
        assert!(
            got.contains(want),
            "server {server:?}\n want: {want}\n got: {got}"
        );
    }
}
