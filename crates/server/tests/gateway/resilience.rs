//! Groups under faults, on real sockets: each member is its own mock upstream with its own
//! injected fault; the tests assert which member served, how many attempts it took, what the
//! breaker did and what the client received.

use std::sync::Arc;
use std::time::{Duration, Instant};

use llmux_engine::routing::breaker::BreakerState;
use llmux_testkit::mock::{MockConfig, MockUpstream};

use crate::harness::{chat, Harness};

/// A mock whose every request gets `defaults` (e.g. `("x-mock-fault", "status:503")`).
pub(crate) async fn member(defaults: &[(&str, &str)]) -> MockUpstream {
    let defaults = defaults
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    MockUpstream::start_on_with_defaults(
        "127.0.0.1:0".parse().unwrap(),
        MockConfig::default(),
        defaults,
    )
    .await
    .unwrap()
}

/// Providers `a`, `b`, `c`... at the given mocks, and `group_yaml` appended.
fn config(mocks: &[&MockUpstream], group_yaml: &str) -> String {
    let mut yaml = String::from("providers:\n");
    for (i, m) in mocks.iter().enumerate() {
        let id = (b'a' + i as u8) as char;
        yaml.push_str(&format!(
            "  {id}:\n    type: openai-compatible\n    base_url: \"{}/v1\"\n    api_key: sk-{id}-key-000000000\n    models: [mock-model]\n    breaker: {{ min_requests: 3, threshold: 0.5, cooldown: 300ms, window: 10s }}\n",
            m.url()
        ));
    }
    yaml.push_str(group_yaml);
    yaml
}

/// A group of two members: `pool` in failover order, a then b.
const FAILOVER_POOL: &str =
    "groups:\n  pool:\n    strategy: failover\n    members: [a/mock-model, b/mock-model]\n";

/// Member a with `defaults` (a fault), a healthy member b, and llmux with `group_yaml`.
async fn pair(
    defaults: &[(&str, &str)],
    group_yaml: &str,
) -> (MockUpstream, MockUpstream, Harness) {
    let a = member(defaults).await;
    let b = member(&[]).await;
    let h = harness(&[&a, &b], group_yaml).await;
    (a, b, h)
}

async fn harness(mocks: &[&MockUpstream], group_yaml: &str) -> Harness {
    let text = config(mocks, group_yaml);
    Harness::with_config(move |_| text).await
}

pub(crate) async fn ask(h: &Harness, model: &str) -> (u16, String, Option<String>, String) {
    let resp = h
        .post("/v1/chat/completions", &chat(model))
        .send()
        .await
        .unwrap();
    let header = |name: &str| {
        resp.headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    };
    let upstream = header("x-llmux-upstream").unwrap_or_default();
    let attempts = header("x-llmux-attempts");
    let status = resp.status().as_u16();
    (status, upstream, attempts, resp.text().await.unwrap())
}

#[tokio::test]
async fn failover_skips_a_failing_member_within_one_request() {
    let (bad, good, h) = pair(&[("x-mock-fault", "status:503")], FAILOVER_POOL).await;
    let (status, upstream, attempts, _) = ask(&h, "pool").await;
    assert_eq!(status, 200);
    assert_eq!(upstream, "b/mock-model");
    assert_eq!(attempts.as_deref(), Some("2"));
    assert_eq!(bad.requests().len(), 1);
    assert_eq!(good.requests().len(), 1);
}

#[tokio::test]
async fn each_fault_before_the_first_byte_fails_over() {
    // (fault on member a, what the client must still get)
    for fault in [
        "status:500",
        "status:502",
        "status:503",
        "status:504",
        "reset-before-headers",
        "stall-before-headers",
    ] {
        let bad = member(&[("x-mock-fault", fault)]).await;
        let good = member(&[]).await;
        let h = harness(
            &[&bad, &good],
            "groups:\n  pool:\n    strategy: failover\n    timeouts: { first_byte: 300ms }\n    members: [a/mock-model, b/mock-model]\n",
        )
        .await;
        let (status, upstream, attempts, body) = ask(&h, "pool").await;
        assert_eq!(status, 200, "{fault}: {body}");
        assert_eq!(upstream, "b/mock-model", "{fault}");
        assert_eq!(attempts.as_deref(), Some("2"), "{fault}");
    }
}

#[tokio::test]
async fn client_errors_are_not_retried() {
    let (_bad, good, h) = pair(&[("x-mock-fault", "status:400")], FAILOVER_POOL).await;
    let (status, upstream, attempts, _) = ask(&h, "pool").await;
    assert_eq!(status, 400);
    assert_eq!(upstream, "a/mock-model");
    assert_eq!(attempts.as_deref(), Some("1"));
    assert!(good.requests().is_empty());
}

#[tokio::test]
async fn a_rate_limited_member_cools_down_for_its_retry_after() {
    let (limited, _good, h) = pair(
        &[("x-mock-fault", "429:30")],
        "groups:\n  pool:\n    strategy: round_robin\n    members: [a/mock-model, b/mock-model]\n",
    )
    .await;
    for _ in 0..6 {
        let (status, upstream, _, _) = ask(&h, "pool").await;
        assert_eq!(status, 200);
        assert_eq!(upstream, "b/mock-model");
    }
    // Asked once, then left alone for the 30 s it asked for.
    assert_eq!(limited.requests().len(), 1);
    let state = member_state(&h, "a/mock-model");
    assert_eq!(
        state.breaker.as_ref().unwrap().state(Instant::now()),
        BreakerState::Closed
    );
}

#[tokio::test]
async fn when_every_member_is_rate_limited_the_client_gets_429_with_retry_after() {
    let a = member(&[("x-mock-fault", "429:20")]).await;
    let b = member(&[("x-mock-fault", "429:20")]).await;
    let h = harness(
        &[&a, &b],
        "groups:\n  pool:\n    members: [a/mock-model, b/mock-model]\n",
    )
    .await;
    let resp = h
        .post("/v1/chat/completions", &chat("pool"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 429);
    assert!(resp.headers().get("retry-after").is_some());
    // Both cooling down: the next request is refused by llmux itself, without asking them.
    let resp = h
        .post("/v1/chat/completions", &chat("pool"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 429);
    let retry_after: u64 = resp.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((18..=20).contains(&retry_after), "{retry_after}");
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "rate_limited");
    assert_eq!(a.requests().len() + b.requests().len(), 2);
}

pub(crate) fn member_state(
    h: &Harness,
    id: &str,
) -> Arc<llmux_engine::routing::group::MemberState> {
    h.gateway
        .snapshot()
        .registry
        .all()
        .into_iter()
        .find(|m| m.id == id)
        .unwrap_or_else(|| panic!("no member {id}"))
}

#[tokio::test]
async fn the_breaker_opens_then_recovers_through_a_half_open_probe() {
    let (flaky, _good, h) = pair(&[("x-mock-fault", "status:500")], FAILOVER_POOL).await;
    // Three failures (min_requests 3, threshold 0.5) open a's breaker.
    for _ in 0..3 {
        let (status, upstream, attempts, _) = ask(&h, "pool").await;
        assert_eq!(
            (status, upstream.as_str(), attempts.as_deref()),
            (200, "b/mock-model", Some("2"))
        );
    }
    let a = member_state(&h, "a/mock-model");
    assert_eq!(
        a.breaker.as_ref().unwrap().state(Instant::now()),
        BreakerState::Open
    );
    assert_eq!(a.transitions_to(BreakerState::Open), 1);
    // While open, a is not asked at all.
    let (_, upstream, attempts, _) = ask(&h, "pool").await;
    assert_eq!(
        (upstream.as_str(), attempts.as_deref()),
        ("b/mock-model", Some("1"))
    );
    assert_eq!(flaky.requests().len(), 3);
    // a heals; after the cooldown one probe goes to it, succeeds, and closes the breaker.
    flaky.set_defaults(Vec::new()).unwrap();
    tokio::time::sleep(Duration::from_millis(350)).await;
    let (_, upstream, _, _) = ask(&h, "pool").await;
    assert_eq!(upstream, "a/mock-model");
    assert_eq!(a.transitions_to(BreakerState::HalfOpen), 1);
    assert_eq!(a.transitions_to(BreakerState::Closed), 1);
    assert_eq!(
        a.breaker.as_ref().unwrap().state(Instant::now()),
        BreakerState::Closed
    );
    let (_, upstream, attempts, _) = ask(&h, "pool").await;
    assert_eq!(
        (upstream.as_str(), attempts.as_deref()),
        ("a/mock-model", Some("1"))
    );
}

#[tokio::test]
async fn a_failed_probe_reopens_the_breaker() {
    let (flaky, _good, h) = pair(&[("x-mock-fault", "status:500")], FAILOVER_POOL).await;
    for _ in 0..3 {
        ask(&h, "pool").await;
    }
    tokio::time::sleep(Duration::from_millis(350)).await;
    let (status, upstream, attempts, _) = ask(&h, "pool").await;
    assert_eq!(
        (status, upstream.as_str(), attempts.as_deref()),
        (200, "b/mock-model", Some("2"))
    );
    let a = member_state(&h, "a/mock-model");
    assert_eq!(a.transitions_to(BreakerState::Open), 2);
    assert_eq!(
        a.breaker.as_ref().unwrap().state(Instant::now()),
        BreakerState::Open
    );
    assert_eq!(flaky.requests().len(), 4);
}

#[tokio::test]
async fn a_stream_cut_after_its_first_event_is_not_retried() {
    let (_cut, good, h) = pair(&[("x-mock-fault", "reset-mid-stream")], FAILOVER_POOL).await;
    let mut body = chat("pool");
    body["stream"] = serde_json::json!(true);
    let resp = h.post("/v1/chat/completions", &body).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["x-llmux-attempts"], "1");
    let text = resp.text().await.unwrap_or_default();
    // The client already has events: it gets an error event, never a second answer spliced in.
    assert!(text.contains("\"error\""), "{text}");
    assert!(good.requests().is_empty());
}

#[tokio::test]
async fn round_robin_and_weighted_round_robin_spread_exactly() {
    let (a, b, c) = (member(&[]).await, member(&[]).await, member(&[]).await);
    let h = harness(
        &[&a, &b, &c],
        "groups:\n  rr:\n    members: [a/mock-model, b/mock-model, c/mock-model]\n  wrr:\n    strategy: weighted_round_robin\n    members:\n      - { target: a/mock-model, weight: 3 }\n      - { target: b/mock-model, weight: 1 }\n",
    )
    .await;
    for _ in 0..30 {
        assert_eq!(ask(&h, "rr").await.0, 200);
    }
    assert_eq!(
        [a.requests().len(), b.requests().len(), c.requests().len()],
        [10, 10, 10]
    );
    a.clear();
    b.clear();
    for _ in 0..40 {
        assert_eq!(ask(&h, "wrr").await.0, 200);
    }
    assert_eq!([a.requests().len(), b.requests().len()], [30, 10]);
}

#[tokio::test]
async fn fallbacks_serve_when_the_whole_group_fails() {
    let a = member(&[("x-mock-fault", "status:503")]).await;
    let b = member(&[("x-mock-fault", "status:503")]).await;
    let backup = member(&[]).await;
    let h = harness(
        &[&a, &b, &backup],
        "groups:\n  pool:\n    strategy: failover\n    retry: { attempts: 1 }\n    members: [a/mock-model, b/mock-model]\nmodels:\n  smart:\n    group: pool\n    fallbacks: [small]\n  small: c/mock-model\n",
    )
    .await;
    let (status, upstream, attempts, _) = ask(&h, "smart").await;
    assert_eq!(status, 200);
    assert_eq!(upstream, "c/mock-model");
    assert_eq!(attempts.as_deref(), Some("3"));
    assert_eq!(backup.requests().len(), 1);
    // The fallback was sent its own model name.
    assert_eq!(backup.last_request().unwrap().json()["model"], "mock-model");
}

#[tokio::test]
async fn a_hedged_request_takes_the_faster_member_and_cancels_the_slow_one() {
    let (slow, _fast, h) = pair(&[("x-mock-delay-ms", "2000")], "groups:\n  pool:\n    strategy: failover\n    hedge: { after: 100ms }\n    members: [a/mock-model, b/mock-model]\n").await;
    let started = Instant::now();
    let (status, upstream, attempts, _) = ask(&h, "pool").await;
    let took = started.elapsed();
    assert_eq!(status, 200);
    assert_eq!(upstream, "b/mock-model");
    assert_eq!(attempts.as_deref(), Some("2"));
    assert!(took < Duration::from_millis(1500), "took {took:?}");
    assert!(
        slow.wait_cancelled(1, Duration::from_secs(3)).await,
        "slow attempt not cancelled"
    );
}

#[tokio::test]
async fn a_thousand_requests_with_one_flaky_member_see_no_errors() {
    // Failing more often than the breaker's threshold (0.5): at exactly 0.5 the failure share
    // is a fair random walk, which can stay under the threshold for all ~330 requests
    // (a few percent of runs), and the breaker rightly never opens.
    let flaky = member(&[("x-mock-fault", "status:500"), ("x-mock-fault-rate", "0.7")]).await;
    let (b, c) = (member(&[]).await, member(&[]).await);
    let h = Arc::new(
        harness(
            &[&flaky, &b, &c],
            "groups:\n  pool:\n    strategy: round_robin\n    members: [a/mock-model, b/mock-model, c/mock-model]\n",
        )
        .await,
    );
    let mut tasks = Vec::new();
    for _ in 0..25 {
        let h = h.clone();
        tasks.push(tokio::spawn(async move {
            let mut failures = Vec::new();
            for _ in 0..40 {
                let (status, upstream, attempts, body) = ask(&h, "pool").await;
                if status != 200 {
                    failures.push(format!(
                        "{status} via {upstream} after {attempts:?}: {body}"
                    ));
                }
            }
            failures
        }));
    }
    let mut failures = Vec::new();
    for t in tasks {
        failures.extend(t.await.unwrap());
    }
    assert!(failures.is_empty(), "client-visible errors: {failures:#?}");
    let a = member_state(&h, "a/mock-model");
    let (ok, failed, limited) = a.breaker.as_ref().unwrap().counts(Instant::now());
    assert!(
        a.transitions_to(BreakerState::Open) >= 1,
        "the breaker never opened: a got {} requests; its window holds {ok} successes, {failed} failures, {limited} rate-limited",
        flaky.requests().len()
    );
    let served = flaky.requests().len() + b.requests().len() + c.requests().len();
    // Retries stay within the budget: at most 20% extra plus the low-traffic floor.
    assert!(
        (1000..=1000 + 200 + 100).contains(&served),
        "{served} upstream requests"
    );
    // Once a heals, a half-open probe brings it back.
    flaky.set_defaults(Vec::new()).unwrap();
    tokio::time::sleep(Duration::from_millis(350)).await;
    for _ in 0..6 {
        assert_eq!(ask(&h, "pool").await.0, 200);
    }
    assert_eq!(
        a.breaker.as_ref().unwrap().state(Instant::now()),
        BreakerState::Closed
    );
    assert!(a.transitions_to(BreakerState::Closed) >= 1);
}

#[tokio::test]
async fn a_prompt_too_long_falls_back_only_when_asked() {
    let (_short, long, h) = pair(&[("x-mock-fault", "context-length")], "models:\n  eager: {target: a/mock-model, fallbacks: [b/mock-model], fallback_on_context_length: true}\n  plain: {target: a/mock-model, fallbacks: [b/mock-model]}\n").await;
    let (status, upstream, attempts, _) = ask(&h, "eager").await;
    assert_eq!(
        (status, upstream.as_str(), attempts.as_deref()),
        (200, "b/mock-model", Some("2"))
    );
    // Without the switch the provider's own 400 reaches the client, byte for byte.
    let (status, upstream, attempts, body) = ask(&h, "plain").await;
    assert_eq!(
        (status, upstream.as_str(), attempts.as_deref()),
        (400, "a/mock-model", Some("1"))
    );
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["error"]["code"], "context_length_exceeded");
    assert_eq!(long.requests().len(), 1);
}

#[tokio::test]
async fn every_strategy_routes_around_every_fault() {
    // (fault on member a, most requests a may see before it is left alone)
    let faults: &[(&str, usize)] = &[
        ("status:500", 3),
        ("status:503", 3),
        ("429:30", 1),
        // A 429 without Retry-After: a cools down for 1 s.
        ("status:429", 1),
        ("reset-before-headers", 3),
        ("stall-before-headers", 3),
    ];
    let strategies = [
        "round_robin",
        "weighted_round_robin",
        "random",
        "failover",
        "response_aware",
        "least_in_flight",
        "ttft_aware",
    ];
    for strategy in strategies {
        for (fault, most) in faults {
            let bad = member(&[("x-mock-fault", fault)]).await;
            let good = member(&[]).await;
            let h = harness(
                &[&bad, &good],
                &format!("groups:\n  pool:\n    strategy: {strategy}\n    timeouts: {{ first_byte: 200ms }}\n    members: [a/mock-model, b/mock-model]\n"),
            )
            .await;
            let started = Instant::now();
            for i in 0..10 {
                let (status, upstream, attempts, body) = ask(&h, "pool").await;
                assert_eq!(status, 200, "{strategy} / {fault} / request {i}: {body}");
                assert_eq!(upstream, "b/mock-model", "{strategy} / {fault}");
                assert!(
                    matches!(attempts.as_deref(), Some("1" | "2")),
                    "{strategy} / {fault}: {attempts:?}"
                );
            }
            let seen = bad.requests().len();
            // On a loaded machine the ten requests may outlast a's cool-down (1 s after a 429
            // without Retry-After) or its breaker's 300 ms cooldown: each lapse allows one probe.
            let elapsed = started.elapsed();
            let lapses = match *fault {
                "status:429" => elapsed.as_secs() as usize,
                "429:30" => 0,
                _ => (elapsed.as_millis() / 300) as usize,
            };
            assert!(
                seen <= most + lapses,
                "{strategy} / {fault}: a saw {seen} requests in {elapsed:?}"
            );
            if strategy == "failover" {
                assert!(seen >= 1, "failover must try a first");
            }
        }
    }
}

#[tokio::test]
async fn response_aware_prefers_the_faster_member() {
    let (slow, fast, h) = pair(&[("x-mock-delay-ms", "60")], "groups:\n  pool:\n    strategy: response_aware\n    members: [a/mock-model, b/mock-model]\n").await;
    for _ in 0..30 {
        assert_eq!(ask(&h, "pool").await.0, 200);
    }
    // Both are measured once, then the fast one wins every sequential pick.
    assert!(
        slow.requests().len() <= 2,
        "slow served {}",
        slow.requests().len()
    );
    assert!(fast.requests().len() >= 28);
}

#[tokio::test]
async fn a_stream_stalled_mid_way_ends_with_an_error_event_and_is_not_retried() {
    let (stalled, good, h) = pair(&[("x-mock-fault", "stall")], "groups:\n  pool:\n    strategy: failover\n    timeouts: { idle: 300ms }\n    members: [a/mock-model, b/mock-model]\n").await;
    let mut body = chat("pool");
    body["stream"] = serde_json::json!(true);
    let started = Instant::now();
    let resp = h.post("/v1/chat/completions", &body).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let text = resp.text().await.unwrap_or_default();
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(text.contains("upstream_timeout"), "{text}");
    assert!(good.requests().is_empty());
    // The upstream connection was dropped, not left hanging.
    assert!(stalled.wait_cancelled(1, Duration::from_secs(3)).await);
}

#[tokio::test]
async fn malformed_json_is_retried_when_translated_and_passed_on_when_not() {
    // A translated member's answer is decoded by llmux: unreadable JSON is a member failure.
    let broken = member(&[("x-mock-fault", "malformed-json")]).await;
    let good = member(&[]).await;
    let text = format!(
        "providers:\n  a: {{type: anthropic, base_url: \"{}/v1\", api_key: sk-ant-0000000000, models: [mock-model]}}\n  b: {{type: openai-compatible, base_url: \"{}/v1\", models: [mock-model]}}\n{FAILOVER_POOL}",
        broken.url(),
        good.url()
    );
    let h = Harness::with_config(move |_| text).await;
    let (status, upstream, attempts, body) = ask(&h, "pool").await;
    assert_eq!(
        (status, upstream.as_str(), attempts.as_deref()),
        (200, "b/mock-model", Some("2")),
        "{body}"
    );
    // A same-protocol answer is passed through as the provider sent it: llmux does not parse
    // bodies on the passthrough path, so the client gets the provider's bytes.
    let (_bad, _good, h) = pair(&[("x-mock-fault", "malformed-json")], FAILOVER_POOL).await;
    let (status, upstream, attempts, body) = ask(&h, "pool").await;
    assert_eq!(
        (status, upstream.as_str(), attempts.as_deref()),
        (200, "a/mock-model", Some("1"))
    );
    assert!(
        serde_json::from_str::<serde_json::Value>(&body).is_err(),
        "{body}"
    );
}

#[tokio::test]
async fn a_failed_over_request_leaves_exactly_one_record() {
    let (_bad, _good, h) = pair(&[("x-mock-fault", "status:503")], FAILOVER_POOL).await;
    assert_eq!(ask(&h, "pool").await.0, 200);
    h.records.wait(1).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let records = h.records.0.lock().unwrap().clone();
    assert_eq!(records.len(), 1, "{records:#?}");
    let r = &records[0];
    assert_eq!(
        (r.provider.as_str(), r.status, r.attempts, r.error),
        ("b", 200, 2, None)
    );
}

#[tokio::test]
async fn a_member_that_cannot_take_the_request_is_asked_once_at_most() {
    // `n: 2` cannot be carried to Anthropic: that member is skipped, never retried.
    let anth = member(&[]).await;
    let good = member(&[]).await;
    let text = format!(
        "providers:\n  a: {{type: anthropic, base_url: \"{}/v1\", api_key: sk-ant-0000000000, models: [mock-model]}}\n  b: {{type: openai-compatible, base_url: \"{}/v1\", models: [mock-model]}}\ngroups:\n  pool: {{strategy: failover, retry: {{attempts: 2}}, members: [a/mock-model, b/mock-model]}}\n  alone: {{retry: {{attempts: 2}}, members: [a/mock-model]}}\n",
        anth.url(),
        good.url()
    );
    let h = Harness::with_config(move |_| text).await;
    let mut body = chat("pool");
    body["n"] = serde_json::json!(2);
    let resp = h.post("/v1/chat/completions", &body).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["x-llmux-attempts"], "2");
    body["model"] = serde_json::json!("alone");
    let resp = h.post("/v1/chat/completions", &body).send().await.unwrap();
    assert_eq!(resp.status(), 400);
    let v: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(v["error"]["code"], "untranslatable");
    assert!(anth.requests().is_empty());
}

#[tokio::test]
async fn an_absurd_retry_after_cools_the_member_without_harm() {
    let (limited, _good, h) = pair(
        &[("x-mock-fault", "429:18446744073709551615")],
        FAILOVER_POOL,
    )
    .await;
    for _ in 0..3 {
        let (status, upstream, _, _) = ask(&h, "pool").await;
        assert_eq!((status, upstream.as_str()), (200, "b/mock-model"));
    }
    assert_eq!(limited.requests().len(), 1);
}

#[tokio::test]
async fn an_error_after_several_attempts_says_how_many() {
    let a = member(&[("x-mock-fault", "reset-before-headers")]).await;
    let b = member(&[("x-mock-fault", "reset-before-headers")]).await;
    let h = harness(&[&a, &b], FAILOVER_POOL).await;
    let resp = h
        .post("/v1/chat/completions", &chat("pool"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 502);
    // a, b, then a again after a backoff: retry.attempts is 2.
    assert_eq!(resp.headers()["x-llmux-attempts"], "3");
    let v: serde_json::Value = resp.json().await.unwrap();
    assert!(
        v["error"]["code"]
            .as_str()
            .unwrap()
            .starts_with("upstream_"),
        "{v}"
    );
}
