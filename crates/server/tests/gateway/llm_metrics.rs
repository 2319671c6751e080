//! `GET /metrics` after known traffic through the data plane: the HTTP families (by listener,
//! method, route template and status class; errors by status and code; durations; in-flight)
//! and the LLM families counted from records (requests, tokens equal to the fixtures' usage,
//! TTFT and duration histograms, active requests) show exact values, and the gauges are back
//! to zero once the responses are over.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::harness::{chat, Harness};

/// The value of the sample line `series` (labels included), if present.
fn value(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

/// Scrapes until no request is in flight or active any more (a response's counting happens
/// when the server drops its body, just after the client has it).
async fn settled_scrape(h: &Harness) -> String {
    let deadline = Instant::now() + Duration::from_secs(3);
    loop {
        let text = h.metrics_text().await;
        let busy = text.lines().any(|l| {
            (l.starts_with("llmux_http_requests_in_flight{")
                || l.starts_with("llmux_llm_active_requests "))
                && !l.ends_with(" 0")
        });
        if !busy || Instant::now() > deadline {
            return text;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// POSTs `body` with the mock replaying `fixture`; returns the status once the body is read.
async fn send(h: &Harness, path: &str, body: &serde_json::Value, fixture: &str) -> u16 {
    let resp = h
        .post(path, body)
        .header("x-mock-fixture", fixture)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    resp.bytes().await.unwrap();
    status
}

#[tokio::test]
async fn a_scrape_after_known_traffic_shows_exact_http_and_llm_figures() {
    let h = Harness::start().await;
    let chat_path = "/v1/chat/completions";
    let stream = json!({"model": "mock-model", "stream": true,
        "messages": [{"role": "user", "content": "hi"}]});
    let plain = chat("mock-model");
    // (body, fixture, status): usage 16/363, 27/267 (192 reasoning), 12/100 (100 reasoning).
    let traffic = [
        (&plain, "openai-chat/nonstream-text.json", 200),
        (&plain, "openai-chat/nonstream-reasoning-usage.json", 200),
        (&stream, "openai-chat/stream-finish-length-usage.sse", 200),
        (
            &plain,
            "openai-chat/error-400-unsupported-parameter.json",
            400,
        ),
    ];
    for (body, fixture, status) in traffic {
        assert_eq!(
            send(&h, chat_path, body, fixture).await,
            status,
            "{fixture}"
        );
    }
    // A path no route serves: counted under `unmatched`, never under its raw path.
    let resp = h
        .post("/v1/no/such/route/abc123", &plain)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    resp.bytes().await.unwrap();
    let records = h.records.wait(4).await;
    assert_eq!(records.len(), 4);

    let text = settled_scrape(&h).await;
    assert!(!text.contains("abc123"), "a raw path in the labels");
    let route = r#"listener="main",method="POST",route="/v1/chat/completions""#;
    let unmatched = r#"listener="main",method="POST",route="unmatched""#;
    let llm = r#"model="mock-model",provider="mock",key="""#;
    // Every answer, the upstream's 400 included, had a first body byte.
    assert!(records.iter().all(|r| r.ttft.is_some()), "{records:?}");
    let cost: f64 = records.iter().filter_map(|r| r.cost_usd).sum();
    let expected: Vec<(String, f64)> = vec![
        (format!("llmux_http_requests_total{{{route},status_class=\"2xx\"}}"), 3.0),
        (format!("llmux_http_requests_total{{{route},status_class=\"4xx\"}}"), 1.0),
        (format!("llmux_http_requests_total{{{unmatched},status_class=\"4xx\"}}"), 1.0),
        (format!("llmux_http_request_errors_total{{{unmatched},status=\"404\",error=\"unknown_url\"}}"), 1.0),
        (format!("llmux_http_request_duration_seconds_count{{{route}}}"), 4.0),
        (format!("llmux_http_request_duration_seconds_count{{{unmatched}}}"), 1.0),
        ("llmux_http_requests_in_flight{listener=\"main\"}".to_owned(), 0.0),
        (format!("llmux_llm_requests_total{{{llm},status_class=\"2xx\"}}"), 3.0),
        (format!("llmux_llm_requests_total{{{llm},status_class=\"4xx\"}}"), 1.0),
        (format!("llmux_llm_input_tokens_total{{{llm}}}"), 55.0),
        (format!("llmux_llm_output_tokens_total{{{llm}}}"), 730.0),
        (format!("llmux_llm_reasoning_tokens_total{{{llm}}}"), 292.0),
        (format!("llmux_llm_cached_tokens_total{{{llm}}}"), 0.0),
        (format!("llmux_llm_time_to_first_token_seconds_count{{{llm}}}"), 4.0),
        (format!("llmux_llm_request_duration_seconds_count{{{llm}}}"), 4.0),
        (format!("llmux_llm_cost_usd_total{{{llm}}}"), cost),
        ("llmux_llm_active_requests".to_owned(), 0.0),
    ];
    for (series, want) in &expected {
        assert_eq!(value(&text, series), Some(*want), "{series} in\n{text}");
    }
    // The upstream's 400 is an error response of the chat route, whatever its error label.
    let errors: f64 = text
        .lines()
        .filter(|l| {
            l.starts_with(&format!(
                "llmux_http_request_errors_total{{{route},status=\"400\""
            ))
        })
        .map(|l| l.rsplit(' ').next().unwrap().parse::<f64>().unwrap())
        .sum();
    assert_eq!(errors, 1.0, "{text}");
    assert!(!text.contains(r#"status_class="5xx""#), "{text}");
}

#[tokio::test]
async fn a_forward_listener_counts_under_its_own_name() {
    let h = Harness::with_config(|url| {
        format!(
            "server:\n  forwards:\n    - name: tenant\n      listen: 127.0.0.1:0\n      default_group: pool\n{}groups:\n  pool: {{members: [mock/mock-model]}}\n",
            crate::harness::mock_provider(url)
        )
    })
    .await;
    let tenant = h
        .forwards
        .iter()
        .find(|(n, _)| n == "tenant")
        .unwrap()
        .1
        .clone();
    for _ in 0..2 {
        let resp = h
            .client
            .post(format!("{tenant}/v1/chat/completions"))
            .json(&chat("anything"))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        resp.bytes().await.unwrap();
    }
    h.records.wait(2).await;
    let text = settled_scrape(&h).await;
    let series = r#"llmux_http_requests_total{listener="tenant",method="POST",route="/v1/chat/completions",status_class="2xx"}"#;
    assert_eq!(value(&text, series), Some(2.0), "{text}");
    assert_eq!(
        value(&text, r#"llmux_http_requests_in_flight{listener="tenant"}"#),
        Some(0.0)
    );
    assert!(!text.contains(r#"listener="main",method="POST""#), "{text}");
}

/// Counts of a usage writer that never ran, so the usage row families are exported.
struct NoRows;

impl llmux_engine::metrics::RowCounts for NoRows {
    fn written(&self) -> u64 {
        0
    }
    fn dropped(&self) -> u64 {
        0
    }
    fn failed(&self) -> u64 {
        0
    }
}

/// The metric names in a PromQL expression (`llmux_...` words).
fn metric_names(expr: &str) -> Vec<&str> {
    let mut names = Vec::new();
    let mut rest = expr;
    while let Some(at) = rest.find("llmux_") {
        let tail = &rest[at..];
        let end = tail
            .find(|c: char| !(c.is_ascii_lowercase() || c == '_'))
            .unwrap_or(tail.len());
        names.push(&tail[..end]);
        rest = &tail[end..];
    }
    names
}

#[tokio::test]
async fn every_dashboard_panel_queries_families_llmux_exports() {
    let dashboard: serde_json::Value = serde_json::from_slice(
        &std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../deploy/grafana/llmux-dashboard.json"
        ))
        .unwrap(),
    )
    .unwrap();
    assert!(dashboard["schemaVersion"].as_u64().unwrap() >= 36);
    let h = Harness::start().await;
    h.gateway
        .metrics()
        .watch_usage_rows(std::sync::Arc::new(NoRows));
    let text = h.metrics_text().await;
    // name -> type, from the `# TYPE` lines.
    let families: std::collections::HashMap<&str, &str> = text
        .lines()
        .filter_map(|l| {
            let mut w = l.strip_prefix("# TYPE ")?.split(' ');
            Some((w.next()?, w.next()?))
        })
        .collect();
    let panels = dashboard["panels"].as_array().unwrap();
    let mut queried = 0;
    for panel in panels.iter().filter(|p| p["type"] != "row") {
        let title = panel["title"].as_str().unwrap();
        assert_eq!(panel["datasource"]["uid"], "${DS_PROMETHEUS}", "{title}");
        let targets = panel["targets"].as_array().unwrap();
        assert!(!targets.is_empty(), "{title}: no query");
        for expr in targets.iter().map(|t| t["expr"].as_str().unwrap()) {
            let names = metric_names(expr);
            assert!(!names.is_empty(), "{title}: `{expr}` names no llmux metric");
            for name in names {
                let known = families.contains_key(name)
                    || name
                        .strip_suffix("_bucket")
                        .is_some_and(|base| families.get(base) == Some(&"histogram"));
                assert!(known, "{title}: `{name}` is not exported");
                queried += 1;
            }
        }
    }
    assert!(queried >= 9, "{queried}");
    for title in [
        "Requests/s by model",
        "Error rate by status class",
        "Time to first token p50 / p99",
        "Request duration p50 / p99",
        "Output tokens/s by model",
        "Cost per hour by model (USD)",
        "Active requests",
        "Upstream errors/s",
        "Circuit breaker state (0 closed, 1 open, 2 half-open)",
    ] {
        assert!(
            panels.iter().any(|p| p["title"] == title),
            "no panel `{title}`"
        );
    }
}
