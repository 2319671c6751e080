//! Metrics tests: what is counted renders exactly (names, labels, escaping, histogram
//! buckets), gauges come from the member registry at the given instant, and label sets are
//! shared on lookup and capped.

use std::time::{Duration, Instant};

use super::family::Family;
use super::*;
use crate::config::{BreakerSettings, MemberLimit};
use crate::error::{ErrorKind, GatewayError};
use crate::routing::breaker::Outcome;

/// The sample lines of `name` (exactly that metric, not its `_bucket`/`_sum` siblings).
fn samples<'a>(out: &'a str, name: &str) -> Vec<&'a str> {
    out.lines()
        .filter(|l| {
            l.strip_prefix(name)
                .is_some_and(|rest| rest.starts_with('{') || rest.starts_with(' '))
        })
        .collect()
}

#[test]
fn an_empty_registry_renders_every_family_header_and_zero_rate_limits() {
    let out = Metrics::default().render(&Registry::default(), Instant::now());
    for (name, kind) in [
        ("llmux_upstream_requests_total", "counter"),
        ("llmux_upstream_errors_total", "counter"),
        ("llmux_upstream_duration_seconds", "histogram"),
        ("llmux_retries_total", "counter"),
        ("llmux_hedges_total", "counter"),
        ("llmux_fallbacks_total", "counter"),
        ("llmux_circuitbreaker_state_changes_total", "counter"),
        ("llmux_circuitbreaker_calls_total", "counter"),
        ("llmux_ratelimit_total", "counter"),
        ("llmux_upstream_in_flight", "gauge"),
        ("llmux_circuitbreaker_state", "gauge"),
        ("llmux_http_requests_total", "counter"),
        ("llmux_http_request_duration_seconds", "histogram"),
        ("llmux_http_request_errors_total", "counter"),
        ("llmux_http_requests_in_flight", "gauge"),
        ("llmux_llm_requests_total", "counter"),
        ("llmux_llm_time_to_first_token_seconds", "histogram"),
        ("llmux_llm_request_duration_seconds", "histogram"),
        ("llmux_llm_input_tokens_total", "counter"),
        ("llmux_llm_output_tokens_total", "counter"),
        ("llmux_llm_cached_tokens_total", "counter"),
        ("llmux_llm_reasoning_tokens_total", "counter"),
        ("llmux_llm_generation_tokens_per_second", "histogram"),
        ("llmux_llm_cost_usd_total", "counter"),
        ("llmux_llm_active_requests", "gauge"),
    ] {
        assert!(out.contains(&format!("# HELP {name} ")), "{name}");
        assert!(out.contains(&format!("# TYPE {name} {kind}\n")), "{name}");
    }
    assert!(
        !out.contains("llmux_usage_rows"),
        "usage rows without a writer"
    );
    let sample_lines: Vec<_> = out.lines().filter(|l| !l.starts_with('#')).collect();
    assert_eq!(
        sample_lines,
        [
            "llmux_llm_active_requests 0",
            "llmux_ratelimit_total{scope=\"client_ip\"} 0",
            "llmux_ratelimit_total{scope=\"forward\"} 0",
            "llmux_ratelimit_total{scope=\"member\"} 0",
        ]
    );
}

#[test]
fn upstream_attempts_render_requests_errors_by_kind_and_a_cumulative_histogram() {
    let m = Metrics::default();
    let pool_a = m.upstream("pool", "a", "m");
    for _ in 0..3 {
        pool_a.start();
    }
    pool_a.error(UpstreamError::Failed);
    pool_a.error(UpstreamError::Timeout);
    pool_a.error(UpstreamError::Timeout);
    pool_a.observe(Duration::from_millis(3)); // ≤ 0.005
    pool_a.observe(Duration::from_millis(70)); // ≤ 0.1
    pool_a.observe(Duration::from_secs(200)); // +Inf
    let direct = m.upstream("", "b", "x");
    direct.start();
    // The same handle again: counted on the same series.
    m.upstream("pool", "a", "m").start();

    let out = m.render(&Registry::default(), Instant::now());
    assert_eq!(
        samples(&out, "llmux_upstream_requests_total"),
        [
            "llmux_upstream_requests_total{group=\"\",upstream=\"b/x\"} 1",
            "llmux_upstream_requests_total{group=\"pool\",upstream=\"a/m\"} 4",
        ]
    );
    assert_eq!(
        samples(&out, "llmux_upstream_errors_total"),
        [
            "llmux_upstream_errors_total{group=\"pool\",upstream=\"a/m\",error=\"failed\"} 1",
            "llmux_upstream_errors_total{group=\"pool\",upstream=\"a/m\",error=\"upstream_timeout\"} 2",
        ]
    );
    let buckets: Vec<_> = samples(&out, "llmux_upstream_duration_seconds_bucket")
        .into_iter()
        .filter(|l| l.contains("pool"))
        .map(|l| l.rsplit_once('{').map_or(l, |(_, r)| r))
        .collect();
    let expected: Vec<String> = [
        ("0.005", 1),
        ("0.01", 1),
        ("0.025", 1),
        ("0.05", 1),
        ("0.1", 2),
        ("0.25", 2),
        ("0.5", 2),
        ("1", 2),
        ("2.5", 2),
        ("5", 2),
        ("10", 2),
        ("30", 2),
        ("60", 2),
        ("120", 2),
        ("+Inf", 3),
    ]
    .iter()
    .map(|(le, n)| format!("group=\"pool\",upstream=\"a/m\",le=\"{le}\"}} {n}"))
    .collect();
    assert_eq!(buckets, expected);
    assert!(out.contains(
        "llmux_upstream_duration_seconds_sum{group=\"pool\",upstream=\"a/m\"} 200.073\n"
    ));
    assert!(
        out.contains("llmux_upstream_duration_seconds_count{group=\"pool\",upstream=\"a/m\"} 3\n")
    );
    // A series with no observation still has all its buckets, at zero.
    assert!(out.contains(
        "llmux_upstream_duration_seconds_bucket{group=\"\",upstream=\"b/x\",le=\"+Inf\"} 0\n"
    ));
}

#[test]
fn groups_breakers_fallbacks_and_rate_limits_render_what_was_counted() {
    let m = Metrics::default();
    m.retry("pool");
    m.retry("pool");
    m.hedge("pool", true);
    m.hedge("fast", false);
    m.fallback("small");
    m.breaker_call("a/m", BreakerCall::from(Outcome::Failure));
    m.breaker_call("a/m", BreakerCall::from(Outcome::Failure));
    m.breaker_call("a/m", BreakerCall::Rejected);
    m.breaker_call("a/m", BreakerCall::from(Outcome::RateLimited));
    m.breaker_transition("a/m", BreakerState::Closed, BreakerState::Open);
    m.breaker_transition("a/m", BreakerState::Open, BreakerState::HalfOpen);
    m.breaker_transition("a/m", BreakerState::HalfOpen, BreakerState::Closed);
    m.rate_limited(RateLimitScope::ClientIp);
    m.rate_limited(RateLimitScope::Member);
    m.rate_limited(RateLimitScope::Member);

    let out = m.render(&Registry::default(), Instant::now());
    assert_eq!(
        samples(&out, "llmux_retries_total"),
        [
            "llmux_retries_total{group=\"fast\"} 0",
            "llmux_retries_total{group=\"pool\"} 2",
        ]
    );
    assert_eq!(
        samples(&out, "llmux_hedges_total"),
        [
            "llmux_hedges_total{group=\"fast\",result=\"lost\"} 1",
            "llmux_hedges_total{group=\"pool\",result=\"won\"} 1",
        ]
    );
    assert_eq!(
        samples(&out, "llmux_fallbacks_total"),
        ["llmux_fallbacks_total{model=\"small\"} 1"]
    );
    assert_eq!(
        samples(&out, "llmux_circuitbreaker_state_changes_total"),
        [
            "llmux_circuitbreaker_state_changes_total{upstream=\"a/m\",from=\"closed\",to=\"open\"} 1",
            "llmux_circuitbreaker_state_changes_total{upstream=\"a/m\",from=\"open\",to=\"half_open\"} 1",
            "llmux_circuitbreaker_state_changes_total{upstream=\"a/m\",from=\"half_open\",to=\"closed\"} 1",
        ]
    );
    assert_eq!(
        samples(&out, "llmux_circuitbreaker_calls_total"),
        [
            "llmux_circuitbreaker_calls_total{upstream=\"a/m\",result=\"failure\"} 2",
            "llmux_circuitbreaker_calls_total{upstream=\"a/m\",result=\"rate_limited\"} 1",
            "llmux_circuitbreaker_calls_total{upstream=\"a/m\",result=\"rejected\"} 1",
        ]
    );
    assert_eq!(
        samples(&out, "llmux_ratelimit_total"),
        [
            "llmux_ratelimit_total{scope=\"client_ip\"} 1",
            "llmux_ratelimit_total{scope=\"forward\"} 0",
            "llmux_ratelimit_total{scope=\"member\"} 2",
        ]
    );
}

#[test]
fn gauges_read_in_flight_and_breaker_state_from_the_registry_at_now() {
    let registry = Registry::default();
    let cooldown = Duration::from_secs(30);
    let breaker = BreakerSettings {
        threshold: 0.5,
        window: Duration::from_secs(60),
        min_requests: 1,
        cooldown,
    };
    let mut staging = registry.stage();
    let a = staging.member("a/m", Some(breaker), MemberLimit::default());
    let _b = staging.member("b/m", None, MemberLimit::default());
    registry.commit(staging);
    let _one = a.stats.start();
    let _two = a.stats.start();
    let t0 = Instant::now();
    let br = a.breaker.as_ref().unwrap();
    br.admit(t0).unwrap();
    assert!(br.record(false, Outcome::Failure, t0).is_some());
    let m = Metrics::default();

    // (now, a's state gauge): open, then half-open once the cooldown has passed.
    for (now, state) in [(t0, 1), (t0 + cooldown, 2)] {
        let out = m.render(&registry, now);
        assert_eq!(
            samples(&out, "llmux_upstream_in_flight"),
            [
                "llmux_upstream_in_flight{upstream=\"a/m\"} 2",
                "llmux_upstream_in_flight{upstream=\"b/m\"} 0",
            ]
        );
        // b has no breaker, so no state.
        assert_eq!(
            samples(&out, "llmux_circuitbreaker_state"),
            [format!(
                "llmux_circuitbreaker_state{{upstream=\"a/m\"}} {state}"
            )]
        );
    }
}

#[test]
fn label_values_are_escaped() {
    let m = Metrics::default();
    m.fallback("a\"b\\c\nd");
    let out = m.render(&Registry::default(), Instant::now());
    assert_eq!(
        samples(&out, "llmux_fallbacks_total"),
        ["llmux_fallbacks_total{model=\"a\\\"b\\\\c\\nd\"} 1"]
    );
}

#[test]
fn a_family_shares_label_sets_and_folds_those_past_its_limit_into_one() {
    fn enc([a, b]: [&str; 2]) -> String {
        format!("a=\"{a}\",b=\"{b}\"")
    }
    let family: Family<2, Counter> = Family::new(2, enc, "a=\"_overflow\"");
    family.get(["x", "y"]).value.inc();
    family.get(["x", "y"]).value.inc();
    // Same parts, cut elsewhere: another set.
    family.get(["xy", ""]).value.inc();
    family.get(["p", "q"]).value.inc();
    family.get(["r", "s"]).value.inc();
    family.get(["x", "y"]).value.inc();
    let all: Vec<_> = family
        .all()
        .iter()
        .map(|e| (e.labels.clone(), e.value.get()))
        .collect();
    assert_eq!(
        all,
        [
            ("a=\"x\",b=\"y\"".to_owned(), 3),
            ("a=\"xy\",b=\"\"".to_owned(), 1),
            ("a=\"_overflow\"".to_owned(), 2),
        ]
    );
}

#[test]
fn error_labels_follow_declaration_order_and_transport_codes() {
    for (i, kind) in UpstreamError::ALL.iter().enumerate() {
        assert_eq!(*kind as usize, i);
    }
    let transport: [(GatewayError, UpstreamError); 3] = [
        (
            ErrorKind::UpstreamUnreachable {
                provider: "p".into(),
                detail: "refused".into(),
            }
            .into(),
            UpstreamError::Unreachable,
        ),
        (
            ErrorKind::UpstreamTimeout {
                provider: "p".into(),
                what: "send the response head",
                after: Duration::from_secs(1),
            }
            .into(),
            UpstreamError::Timeout,
        ),
        (
            ErrorKind::UpstreamBroken {
                provider: "p".into(),
                detail: "reset".into(),
            }
            .into(),
            UpstreamError::Broken,
        ),
    ];
    for (error, kind) in &transport {
        assert_eq!(UpstreamError::transport(error), Some(*kind));
        assert_eq!(kind.as_str(), error.code());
    }
    let not_transport: GatewayError = ErrorKind::Internal("x".into()).into();
    assert_eq!(UpstreamError::transport(&not_transport), None);
}
