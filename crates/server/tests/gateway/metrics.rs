//! `GET /metrics` on the admin listener after traffic through groups with faulty members
//! (each member its own mock upstream with a default fault): exact counter values for
//! attempts, errors by kind, retries, hedges, fallbacks, breaker calls and transitions, and
//! the gauges.

use std::time::{Duration, Instant};

use llmux_testkit::mock::{MockConfig, MockUpstream};

use crate::harness::{chat, Harness};

/// A mock answering every request with the default headers `defaults`.
async fn mock(defaults: &[(&str, &str)]) -> MockUpstream {
    let defaults = defaults
        .iter()
        .map(|&(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    let addr = "127.0.0.1:0".parse().unwrap();
    MockUpstream::start_on_with_defaults(addr, MockConfig::default(), defaults)
        .await
        .unwrap()
}

/// One provider per mock, named `a`, `b`, ... in order, each with a breaker that opens on 3
/// failures; then `rest` (groups and models).
async fn gateway(mocks: &[&MockUpstream], rest: &str) -> Harness {
    let mut yaml = String::from("providers:\n");
    for (m, id) in mocks.iter().zip('a'..) {
        yaml += &format!(
            "  {id}:\n    type: openai-compatible\n    base_url: \"{}/v1\"\n    api_key: sk-secret-{id}-0000000000\n    models: [mock-model]\n    breaker: {{ min_requests: 3, threshold: 0.5, cooldown: 300ms, window: 10s }}\n",
            m.url()
        );
    }
    yaml += rest;
    Harness::with_config(move |_| yaml).await
}

async fn ask(h: &Harness, model: &str) -> u16 {
    let resp = h
        .post("/v1/chat/completions", &chat(model))
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    resp.bytes().await.unwrap();
    status
}

/// The scrape, once no member has a request in flight any more (a response's in-flight slot
/// is given back when the server drops its body, just after the client has it).
async fn scrape(h: &Harness) -> String {
    let deadline = Instant::now() + Duration::from_secs(3);
    loop {
        let resp = h
            .client
            .get(format!("{}/metrics", h.admin))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        assert_eq!(
            resp.headers()["content-type"],
            "text/plain; version=0.0.4; charset=utf-8"
        );
        let text = resp.text().await.unwrap();
        let busy = text.lines().any(|l| {
            (l.starts_with("llmux_upstream_in_flight{")
                || l.starts_with("llmux_http_requests_in_flight{")
                || l.starts_with("llmux_llm_active_requests "))
                && !l.ends_with(" 0")
        });
        if !busy || Instant::now() > deadline {
            assert!(!text.contains("sk-secret"), "a key in the metrics");
            return text;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Asserts each `(series, value)` line is in `text` exactly, and each of `absent` is not.
fn assert_series(text: &str, expected: &[(&str, u64)], absent: &[&str]) {
    for (series, value) in expected {
        let line = format!("{series} {value}");
        assert!(
            text.lines().any(|l| l == line),
            "missing `{line}` in:\n{text}"
        );
    }
    for series in absent {
        assert!(
            !text.lines().any(|l| l.starts_with(&format!("{series} "))),
            "unexpected `{series}` in:\n{text}"
        );
    }
}

#[tokio::test]
async fn a_failing_member_is_counted_through_its_breaker_opening_and_recovering() {
    let bad = mock(&[("x-mock-fault", "status:503")]).await;
    let good = mock(&[]).await;
    let h = gateway(
        &[&bad, &good],
        "groups:\n  pool:\n    strategy: failover\n    members: [a/mock-model, b/mock-model]\n",
    )
    .await;
    // Three requests: a fails each time (its breaker opens on the third), b answers.
    // A fourth: a is open and not tried.
    for _ in 0..4 {
        assert_eq!(ask(&h, "pool").await, 200);
    }
    let text = scrape(&h).await;
    assert_series(
        &text,
        &[
            (
                r#"llmux_upstream_requests_total{group="pool",upstream="a/mock-model"}"#,
                3,
            ),
            (
                r#"llmux_upstream_requests_total{group="pool",upstream="b/mock-model"}"#,
                4,
            ),
            (
                r#"llmux_upstream_errors_total{group="pool",upstream="a/mock-model",error="failed"}"#,
                3,
            ),
            (
                r#"llmux_upstream_duration_seconds_count{group="pool",upstream="a/mock-model"}"#,
                3,
            ),
            (
                r#"llmux_upstream_duration_seconds_count{group="pool",upstream="b/mock-model"}"#,
                4,
            ),
            (r#"llmux_retries_total{group="pool"}"#, 3),
            (
                r#"llmux_circuitbreaker_calls_total{upstream="a/mock-model",result="failure"}"#,
                3,
            ),
            (
                r#"llmux_circuitbreaker_calls_total{upstream="b/mock-model",result="success"}"#,
                4,
            ),
            (
                r#"llmux_circuitbreaker_state_changes_total{upstream="a/mock-model",from="closed",to="open"}"#,
                1,
            ),
            (r#"llmux_circuitbreaker_state{upstream="a/mock-model"}"#, 1),
            (r#"llmux_circuitbreaker_state{upstream="b/mock-model"}"#, 0),
            (r#"llmux_upstream_in_flight{upstream="a/mock-model"}"#, 0),
            (r#"llmux_upstream_in_flight{upstream="b/mock-model"}"#, 0),
            (r#"llmux_ratelimit_total{scope="member"}"#, 0),
        ],
        &[
            r#"llmux_upstream_errors_total{group="pool",upstream="b/mock-model",error="failed"}"#,
            r#"llmux_circuitbreaker_calls_total{upstream="a/mock-model",result="success"}"#,
            r#"llmux_circuitbreaker_state_changes_total{upstream="a/mock-model",from="open",to="half_open"}"#,
        ],
    );

    // a heals; after the cooldown its probe succeeds and closes the breaker.
    bad.set_defaults(Vec::new()).unwrap();
    tokio::time::sleep(Duration::from_millis(350)).await;
    assert_eq!(ask(&h, "pool").await, 200);
    let text = scrape(&h).await;
    assert_series(
        &text,
        &[
            (
                r#"llmux_upstream_requests_total{group="pool",upstream="a/mock-model"}"#,
                4,
            ),
            (
                r#"llmux_upstream_errors_total{group="pool",upstream="a/mock-model",error="failed"}"#,
                3,
            ),
            (r#"llmux_retries_total{group="pool"}"#, 3),
            (
                r#"llmux_circuitbreaker_calls_total{upstream="a/mock-model",result="success"}"#,
                1,
            ),
            (
                r#"llmux_circuitbreaker_state_changes_total{upstream="a/mock-model",from="closed",to="open"}"#,
                1,
            ),
            (
                r#"llmux_circuitbreaker_state_changes_total{upstream="a/mock-model",from="open",to="half_open"}"#,
                1,
            ),
            (
                r#"llmux_circuitbreaker_state_changes_total{upstream="a/mock-model",from="half_open",to="closed"}"#,
                1,
            ),
            (r#"llmux_circuitbreaker_state{upstream="a/mock-model"}"#, 0),
        ],
        &[],
    );
}

#[tokio::test]
async fn errors_by_kind_hedges_and_fallbacks_are_counted() {
    let limited = mock(&[("x-mock-fault", "429:30")]).await; // a
    let stalled = mock(&[("x-mock-fault", "stall-before-headers")]).await; // b
    let good = mock(&[]).await; // c
    let backup = mock(&[]).await; // d
    let down = mock(&[("x-mock-fault", "status:503")]).await; // e
    let slow = mock(&[("x-mock-delay-ms", "2000")]).await; // f
    let h = gateway(
        &[&limited, &stalled, &good, &backup, &down, &slow],
        "groups:
  pool:
    strategy: failover
    timeouts: { first_byte: 300ms }
    members: [a/mock-model, b/mock-model, c/mock-model]
  down:
    strategy: failover
    retry: { attempts: 0 }
    members: [e/mock-model]
  hedged:
    strategy: failover
    hedge: { after: 100ms }
    members: [f/mock-model, c/mock-model]
models:
  smart:
    group: down
    fallbacks: [small]
  small: d/mock-model
",
    )
    .await;
    // a answers 429, b never answers its head, c serves: two retries.
    assert_eq!(ask(&h, "pool").await, 200);
    // e fails, no retry; the fallback `small` (d, outside any group) serves.
    assert_eq!(ask(&h, "smart").await, 200);
    // d asked directly.
    assert_eq!(ask(&h, "d/mock-model").await, 200);
    // f is slow: after 100 ms c is asked too and wins; f's attempt is dropped untimed.
    assert_eq!(ask(&h, "hedged").await, 200);
    let text = scrape(&h).await;
    assert_series(
        &text,
        &[
            (
                r#"llmux_upstream_requests_total{group="pool",upstream="a/mock-model"}"#,
                1,
            ),
            (
                r#"llmux_upstream_requests_total{group="pool",upstream="b/mock-model"}"#,
                1,
            ),
            (
                r#"llmux_upstream_requests_total{group="pool",upstream="c/mock-model"}"#,
                1,
            ),
            (
                r#"llmux_upstream_requests_total{group="down",upstream="e/mock-model"}"#,
                1,
            ),
            (
                r#"llmux_upstream_requests_total{group="",upstream="d/mock-model"}"#,
                2,
            ),
            (
                r#"llmux_upstream_requests_total{group="hedged",upstream="f/mock-model"}"#,
                1,
            ),
            (
                r#"llmux_upstream_requests_total{group="hedged",upstream="c/mock-model"}"#,
                1,
            ),
            (
                r#"llmux_upstream_errors_total{group="pool",upstream="a/mock-model",error="rate_limited"}"#,
                1,
            ),
            (
                r#"llmux_upstream_errors_total{group="pool",upstream="b/mock-model",error="upstream_timeout"}"#,
                1,
            ),
            (
                r#"llmux_upstream_errors_total{group="down",upstream="e/mock-model",error="failed"}"#,
                1,
            ),
            (
                r#"llmux_upstream_duration_seconds_count{group="hedged",upstream="f/mock-model"}"#,
                0,
            ),
            (
                r#"llmux_upstream_duration_seconds_count{group="hedged",upstream="c/mock-model"}"#,
                1,
            ),
            (r#"llmux_retries_total{group="pool"}"#, 2),
            (r#"llmux_hedges_total{group="hedged",result="won"}"#, 1),
            (r#"llmux_fallbacks_total{model="small"}"#, 1),
            (
                r#"llmux_circuitbreaker_calls_total{upstream="a/mock-model",result="rate_limited"}"#,
                1,
            ),
            (
                r#"llmux_circuitbreaker_calls_total{upstream="b/mock-model",result="failure"}"#,
                1,
            ),
            (
                r#"llmux_circuitbreaker_calls_total{upstream="c/mock-model",result="success"}"#,
                2,
            ),
            (
                r#"llmux_circuitbreaker_calls_total{upstream="e/mock-model",result="failure"}"#,
                1,
            ),
            (r#"llmux_upstream_in_flight{upstream="f/mock-model"}"#, 0),
            (r#"llmux_circuitbreaker_state{upstream="a/mock-model"}"#, 0),
        ],
        &[
            r#"llmux_retries_total{group="down"}"#,
            r#"llmux_hedges_total{group="hedged",result="lost"}"#,
            r#"llmux_upstream_errors_total{group="hedged",upstream="f/mock-model",error="failed"}"#,
            r#"llmux_circuitbreaker_calls_total{upstream="f/mock-model",result="failure"}"#,
            // d serves outside any group: no member state, no gauges.
            r#"llmux_upstream_in_flight{upstream="d/mock-model"}"#,
        ],
    );
    // One LLM record per client request, whatever its attempts (retried, fallen back,
    // hedged): the held and discarded attempts left no record and no active request behind.
    let llm_requests: u64 = text
        .lines()
        .filter(|l| l.starts_with("llmux_llm_requests_total{"))
        .map(|l| l.rsplit(' ').next().unwrap().parse::<u64>().unwrap())
        .sum();
    assert_eq!(llm_requests, 4, "{text}");
    assert_series(
        &text,
        &[
            ("llmux_llm_active_requests", 0),
            (r#"llmux_http_requests_in_flight{listener="main"}"#, 0),
            (
                r#"llmux_llm_requests_total{model="mock-model",provider="c",key="",status_class="2xx"}"#,
                2,
            ),
        ],
        &[],
    );
}
