//! Member rate windows and p95 hedging on real sockets: a provider's `rate_limit` (requests
//! and tokens per minute, tokens settled from the usage the mock reports) steering a group's
//! traffic, and hedges timed from a member's recent time to first byte, won and lost.

use std::time::{Duration, Instant};

use llmux_testkit::mock::MockUpstream;

use crate::harness::{chat, Harness};
use crate::resilience::{ask, member, member_state};

/// Providers `a`, `b`, ... at the mocks, each with its `rate_limit` mapping (`""` for none),
/// then `rest` (groups).
async fn gateway(providers: &[(&MockUpstream, &str)], rest: &str) -> Harness {
    let mut yaml = String::from("providers:\n");
    for ((mock, limit), id) in providers.iter().zip('a'..) {
        yaml += &format!(
            "  {id}:\n    type: openai-compatible\n    base_url: \"{}/v1\"\n    api_key: sk-{id}-key-000000000\n    models: [mock-model]\n",
            mock.url()
        );
        if !limit.is_empty() {
            yaml += &format!("    rate_limit: {{ {limit} }}\n");
        }
    }
    yaml += rest;
    Harness::with_config(move |_| yaml).await
}

/// Sends `body`; returns the status and the member that served it.
async fn send(h: &Harness, body: &serde_json::Value) -> (u16, String) {
    let resp = h.post("/v1/chat/completions", body).send().await.unwrap();
    let upstream = resp
        .headers()
        .get("x-llmux-upstream")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let status = resp.status().as_u16();
    resp.bytes().await.unwrap();
    (status, upstream)
}

/// The tokens llmux estimates for `body` before sending it: a quarter of its bytes.
fn estimate(body: &serde_json::Value) -> u64 {
    serde_json::to_vec(body).unwrap().len() as u64 / 4
}

/// The value of the `llmux_ratelimit_total{scope="member"}` series on the admin listener.
async fn member_refusals(h: &Harness) -> u64 {
    let text = h.metrics_text().await;
    let prefix = r#"llmux_ratelimit_total{scope="member"} "#;
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix(prefix))
        .unwrap_or_else(|| panic!("no member rate-limit series in:\n{text}"));
    line.parse().unwrap()
}

#[tokio::test]
async fn a_member_over_its_requests_per_minute_is_skipped_then_refused() {
    let (a, b, c) = (member(&[]).await, member(&[]).await, member(&[]).await);
    let h = gateway(
        &[(&a, "rpm: 3"), (&b, ""), (&c, "rpm: 3")],
        "groups:\n  pool:\n    strategy: failover\n    members: [a/mock-model, b/mock-model]\n  solo:\n    members: [c/mock-model]\n",
    )
    .await;
    for i in 0..3 {
        let (status, upstream, attempts, _) = ask(&h, "pool").await;
        assert_eq!(
            (status, upstream.as_str(), attempts.as_deref()),
            (200, "a/mock-model", Some("1")),
            "request {i}"
        );
    }
    // a's window is full: b serves in one attempt, and a never sees the request.
    for i in 3..5 {
        let (status, upstream, attempts, _) = ask(&h, "pool").await;
        assert_eq!(
            (status, upstream.as_str(), attempts.as_deref()),
            (200, "b/mock-model", Some("1")),
            "request {i}"
        );
    }
    assert_eq!((a.requests().len(), b.requests().len()), (3, 2));
    // The refusal marks a unavailable for the window's wait, so the fifth request passes it
    // over without asking its window again: one refusal.
    assert_eq!(member_refusals(&h).await, 1);
    let usage = member_state(&h, "a/mock-model")
        .window
        .as_ref()
        .unwrap()
        .usage(Instant::now());
    assert_eq!(usage.requests, 3);

    // Alone in its group, a full member leaves nothing to serve: 429 from llmux itself (a rate limit).
    for _ in 0..3 {
        assert_eq!(ask(&h, "solo").await.0, 200);
    }
    // The fourth is refused by the window; the fifth finds c already marked full. Both are
    // told to come back when the window has room, not after a default second.
    for i in 3..5 {
        let resp = h
            .post("/v1/chat/completions", &chat("solo"))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 429, "request {i}");
        let retry_after: u64 = resp.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        // An admission counts for 60 s to 60.1 s (100 ms ticks), rounded up to whole seconds.
        assert!(
            (55..=61).contains(&retry_after),
            "request {i}: {retry_after}"
        );
        let body: serde_json::Value = resp.json().await.unwrap();
        assert_eq!(body["error"]["code"], "rate_limited");
    }
    assert_eq!(c.requests().len(), 3);
    assert_eq!(member_refusals(&h).await, 2);
}

#[tokio::test]
async fn reported_usage_replaces_the_token_estimate_in_the_window() {
    let (a, b, c) = (member(&[]).await, member(&[]).await, member(&[]).await);
    let h = gateway(
        &[(&a, "tpm: 60"), (&b, ""), (&c, "tpm: 150")],
        "groups:\n  pool:\n    strategy: failover\n    members: [a/mock-model, b/mock-model]\n  solo:\n    members: [c/mock-model]\n",
    )
    .await;

    // Usage above the estimate: the mock reports 9 prompt tokens and 5 per choice, so 20
    // choices use 109 tokens, far over the few the body's size suggests.
    let mut many = chat("pool");
    many["n"] = serde_json::json!(20);
    let plain = chat("pool");
    // On estimates alone both requests would fit in a's 60 tokens.
    assert!(estimate(&many) + estimate(&plain) <= 60);
    assert_eq!(send(&h, &many).await, (200, "a/mock-model".to_owned()));
    // The record is emitted when the body ends, after the usage settled the window.
    h.records.wait(1).await;
    let window = member_state(&h, "a/mock-model");
    let usage = window.window.as_ref().unwrap().usage(Instant::now());
    assert_eq!((usage.requests, usage.tokens), (1, 109));
    assert_eq!(send(&h, &plain).await, (200, "b/mock-model".to_owned()));
    assert_eq!(a.requests().len(), 1);

    // Usage below the estimate: a long prompt is estimated at over 100 tokens but reported
    // as 14, which leaves room for a second one that two estimates would not.
    let long = serde_json::json!({
        "model": "solo",
        "messages": [{"role": "user", "content": "x".repeat(420)}],
    });
    let est = estimate(&long);
    assert!(
        est <= 150 && 14 + est <= 150 && 2 * est > 150,
        "estimate {est}"
    );
    assert_eq!(send(&h, &long).await, (200, "c/mock-model".to_owned()));
    h.records.wait(3).await;
    assert_eq!(send(&h, &long).await, (200, "c/mock-model".to_owned()));
    h.records.wait(4).await;
    let usage = member_state(&h, "c/mock-model")
        .window
        .as_ref()
        .unwrap()
        .usage(Instant::now());
    assert_eq!((usage.requests, usage.tokens), (2, 28));
    assert_eq!(c.requests().len(), 2);
}

const HEDGED_POOL: &str = "groups:\n  pool:\n    strategy: failover\n    hedge: { min_delay: 20ms }\n    members: [a/mock-model, b/mock-model]\n";

/// Sends `n` requests that a answers at once, and waits until each fed its time to first
/// byte to a's history; returns the hedge delay that history gives (p95, at least 20 ms).
async fn warm(h: &Harness, n: usize) -> Duration {
    for _ in 0..n {
        assert_eq!(ask(h, "pool").await.0, 200);
    }
    h.records.wait(n).await;
    let p95 = member_state(h, "a/mock-model")
        .stats
        .ttft_quantile(0.95)
        .expect("a has a TTFT history");
    p95.max(Duration::from_millis(20))
}

#[tokio::test]
async fn a_slow_member_with_a_fast_history_is_hedged_after_its_p95() {
    let (a, b) = (member(&[]).await, member(&[]).await);
    let h = gateway(&[(&a, ""), (&b, "")], HEDGED_POOL).await;
    let delay = warm(&h, 20).await;
    let slow = Duration::from_secs(3);
    assert!(delay < Duration::from_secs(1), "warm-up p95 {delay:?}");
    let cancelled = a.stats().cancelled;
    let b_before = b.requests().len();
    a.set_defaults(vec![(
        "x-mock-delay-ms".into(),
        slow.as_millis().to_string(),
    )])
    .unwrap();
    let started = Instant::now();
    let (status, upstream, attempts, _) = ask(&h, "pool").await;
    let took = started.elapsed();
    assert_eq!(
        (status, upstream.as_str(), attempts.as_deref()),
        (200, "b/mock-model", Some("2"))
    );
    // Not before the hedge delay; long before a would have answered.
    assert!(
        took >= delay && took < slow / 2,
        "took {took:?}, delay {delay:?}"
    );
    assert_eq!(b.requests().len(), b_before + 1);
    assert!(
        a.wait_cancelled(cancelled + 1, Duration::from_secs(3))
            .await,
        "a's attempt not cancelled"
    );
    // A hedge's loser is not held against it.
    assert_eq!(member_state(&h, "a/mock-model").stats.success_rate(), 1.0);
}

#[tokio::test]
async fn a_member_without_history_is_not_hedged() {
    let (a, b) = (
        member(&[("x-mock-delay-ms", "300")]).await,
        member(&[]).await,
    );
    let h = gateway(&[(&a, ""), (&b, "")], HEDGED_POOL).await;
    let started = Instant::now();
    let (status, upstream, attempts, _) = ask(&h, "pool").await;
    let took = started.elapsed();
    assert_eq!(
        (status, upstream.as_str(), attempts.as_deref()),
        (200, "a/mock-model", Some("1"))
    );
    assert!(took >= Duration::from_millis(300), "took {took:?}");
    assert!(b.requests().is_empty());
}

#[tokio::test]
async fn a_hedge_that_loses_the_race_is_cancelled() {
    let a = member(&[("x-mock-delay-ms", "400")]).await;
    let b = member(&[("x-mock-delay-ms", "5000")]).await;
    let h = gateway(
        &[(&a, ""), (&b, "")],
        "groups:\n  pool:\n    strategy: failover\n    hedge: { after: 100ms }\n    members: [a/mock-model, b/mock-model]\n",
    )
    .await;
    let started = Instant::now();
    let (status, upstream, attempts, _) = ask(&h, "pool").await;
    let took = started.elapsed();
    assert_eq!(
        (status, upstream.as_str(), attempts.as_deref()),
        (200, "a/mock-model", Some("2"))
    );
    assert!(took < Duration::from_secs(3), "took {took:?}");
    // The hedge did go out, and was dropped once a answered.
    assert_eq!(b.requests().len(), 1);
    assert!(
        b.wait_cancelled(1, Duration::from_secs(3)).await,
        "the hedge was not cancelled"
    );
    let b_state = member_state(&h, "b/mock-model");
    assert_eq!(b_state.stats.success_rate(), 1.0);
    assert_eq!(b_state.stats.ttft_quantile(0.95), None);
    assert_eq!(b_state.stats.in_flight(), 0);
    let text = h.metrics_text().await;
    assert!(
        text.lines()
            .any(|l| l == r#"llmux_hedges_total{group="pool",result="lost"} 1"#),
        "{text}"
    );
}
