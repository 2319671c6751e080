//! HTTP family tests: status classes and method folding are bounded, and what the middleware
//! counts renders exactly (requests by class, the duration histogram, errors, in-flight).

use std::time::Duration;

use super::*;
use crate::metrics::Metrics;

fn lines_of<'a>(out: &'a str, name: &str) -> Vec<&'a str> {
    out.lines()
        .filter(|l| {
            l.strip_prefix(name)
                .is_some_and(|rest| rest.starts_with('{') || rest.starts_with(' '))
        })
        .collect()
}

#[test]
fn status_classes_cover_every_code_and_stay_bounded() {
    for (status, class) in [
        (0, "1xx"),
        (100, "1xx"),
        (200, "2xx"),
        (299, "2xx"),
        (304, "3xx"),
        (404, "4xx"),
        (429, "4xx"),
        (500, "5xx"),
        (599, "5xx"),
        (999, "5xx"),
    ] {
        assert_eq!(status_class(status), class, "{status}");
    }
}

#[test]
fn extension_methods_fold_into_other() {
    for (method, label) in [
        ("GET", "GET"),
        ("POST", "POST"),
        ("OPTIONS", "OPTIONS"),
        ("PURGE", "other"),
        ("X-RANDOM-123", "other"),
    ] {
        let m = http::Method::from_bytes(method.as_bytes()).unwrap();
        assert_eq!(method_label(&m), label, "{method}");
    }
}

#[test]
fn requests_errors_durations_and_in_flight_render_what_was_counted() {
    let m = Metrics::default();
    let chat = m.http_route("main", "POST", "/v1/chat/completions");
    chat.finish(200, Duration::from_millis(30));
    chat.finish(200, Duration::from_millis(300));
    chat.finish(502, Duration::from_secs(3));
    m.http_error(
        ["main", "POST", "/v1/chat/completions"],
        "502",
        "upstream_status",
    )
    .inc();
    let missing = m.http_route("fw", "GET", "unmatched");
    missing.finish(404, Duration::from_millis(1));
    m.http_error(["fw", "GET", "unmatched"], "404", "unknown_url")
        .inc();
    let main = m.http_in_flight("main");
    let held = main.enter();
    let done = main.enter();
    drop(done);
    let fw = m.http_in_flight("fw");
    drop(fw.enter());

    let out = m.render(
        &crate::routing::group::Registry::default(),
        std::time::Instant::now(),
    );
    let chat_labels = "listener=\"main\",method=\"POST\",route=\"/v1/chat/completions\"";
    let fw_labels = "listener=\"fw\",method=\"GET\",route=\"unmatched\"";
    assert_eq!(
        lines_of(&out, "llmux_http_requests_total"),
        [
            format!("llmux_http_requests_total{{{fw_labels},status_class=\"4xx\"}} 1"),
            format!("llmux_http_requests_total{{{chat_labels},status_class=\"2xx\"}} 2"),
            format!("llmux_http_requests_total{{{chat_labels},status_class=\"5xx\"}} 1"),
        ]
    );
    assert_eq!(
        lines_of(&out, "llmux_http_request_errors_total"),
        [
            format!("llmux_http_request_errors_total{{{fw_labels},status=\"404\",error=\"unknown_url\"}} 1"),
            format!("llmux_http_request_errors_total{{{chat_labels},status=\"502\",error=\"upstream_status\"}} 1"),
        ]
    );
    let h = "llmux_http_request_duration_seconds";
    for (line, expected) in [
        (format!("{h}_bucket{{{chat_labels},le=\"0.025\"}}"), 0),
        (format!("{h}_bucket{{{chat_labels},le=\"0.05\"}}"), 1),
        (format!("{h}_bucket{{{chat_labels},le=\"0.5\"}}"), 2),
        (format!("{h}_bucket{{{chat_labels},le=\"5\"}}"), 3),
        (format!("{h}_bucket{{{chat_labels},le=\"+Inf\"}}"), 3),
        (format!("{h}_sum{{{chat_labels}}}"), 3),
        (format!("{h}_count{{{chat_labels}}}"), 3),
        (format!("{h}_count{{{fw_labels}}}"), 1),
    ] {
        let sum_line = line.contains("_sum");
        let found = out
            .lines()
            .find(|l| l.starts_with(&format!("{line} ")))
            .unwrap_or_else(|| panic!("{line} missing in\n{out}"));
        let value: f64 = found.rsplit(' ').next().unwrap().parse().unwrap();
        if sum_line {
            assert!((value - 3.33).abs() < 1e-9, "{found}");
        } else {
            assert_eq!(value, f64::from(expected), "{found}");
        }
    }
    assert_eq!(
        lines_of(&out, "llmux_http_requests_in_flight"),
        [
            "llmux_http_requests_in_flight{listener=\"fw\"} 0",
            "llmux_http_requests_in_flight{listener=\"main\"} 1",
        ]
    );
    drop(held);
    let out = m.render(
        &crate::routing::group::Registry::default(),
        std::time::Instant::now(),
    );
    assert!(out.contains("llmux_http_requests_in_flight{listener=\"main\"} 0\n"));
}

#[test]
fn a_label_set_already_seen_is_the_same_series() {
    let m = Metrics::default();
    let a = m.http_route("main", "POST", "/v1/messages");
    let b = m.http_route("main", "POST", "/v1/messages");
    assert!(Arc::ptr_eq(&a.0, &b.0));
    let c = m.http_route("main", "GET", "/v1/messages");
    assert!(!Arc::ptr_eq(&a.0, &c.0));
}
