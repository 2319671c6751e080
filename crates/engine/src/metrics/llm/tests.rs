//! LLM family tests: records count into the right series (tokens, cost, histograms, status
//! classes), generation speed per kind of answer, the active gauge through every recorder
//! path (finished, discarded, held and abandoned, dropped armed), and the usage row counters.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use llmux_protocol::Usage;
use llmux_providers::ProviderKind;

use super::*;
use crate::caller::{Caller, KeyIdentity};
use crate::record::Recorder;
use crate::routing::group::Registry;
use crate::snapshot::PricingRef;

fn record(model: &str, status: u16, stream: bool, key: Option<&str>) -> RequestRecord {
    RequestRecord {
        request_id: "req-1".into(),
        operation: "chat_completions",
        requested_model: "alias".into(),
        client_api: "openai-chat",
        provider: "openai".into(),
        pricing: PricingRef {
            kind: ProviderKind::OpenAi,
            preset: None,
            local: false,
        },
        upstream_model: model.into(),
        status,
        stream,
        ttft: Some(Duration::from_millis(200)),
        duration: Duration::from_millis(1200),
        usage: Some(Usage {
            prompt_tokens: 100,
            completion_tokens: 50,
            cached_tokens: 20,
            reasoning_tokens: 5,
            cache_write_tokens: 0,
        }),
        error: None,
        attempts: 1,
        cost_usd: Some(0.25),
        caller: Caller {
            key: key.map(|name| {
                Arc::new(KeyIdentity {
                    id: "key_123".into(),
                    name: name.into(),
                })
            }),
            tags: vec!["tag-never-a-label".into()],
            client_ip: None,
            admission: None,
        },
        request_body: None,
    }
}

fn value_of(out: &str, series: &str) -> f64 {
    let line = out
        .lines()
        .find(|l| l.starts_with(series) && l[series.len()..].starts_with(' '))
        .unwrap_or_else(|| panic!("{series} missing in\n{out}"));
    line[series.len() + 1..].parse().unwrap()
}

#[test]
fn records_count_into_their_model_provider_and_key_series() {
    let m = Metrics::default();
    m.count_record(&record("gpt-x", 200, true, Some("alice")));
    m.count_record(&record("gpt-x", 200, false, Some("alice")));
    let mut failed = record("gpt-x", 502, true, Some("alice"));
    failed.usage = None;
    failed.cost_usd = None;
    failed.ttft = None;
    failed.error = Some("upstream_status");
    m.count_record(&failed);
    m.count_record(&record("gpt-x", 200, true, None));
    let out = m.render(&Registry::default(), Instant::now());
    assert!(!out.contains("req-1") && !out.contains("key_123") && !out.contains("tag-never"));

    let alice = "model=\"gpt-x\",provider=\"openai\",key=\"alice\"";
    let anon = "model=\"gpt-x\",provider=\"openai\",key=\"\"";
    for (series, expected) in [
        (
            format!("llmux_llm_requests_total{{{alice},status_class=\"2xx\"}}"),
            2.0,
        ),
        (
            format!("llmux_llm_requests_total{{{alice},status_class=\"5xx\"}}"),
            1.0,
        ),
        (
            format!("llmux_llm_requests_total{{{anon},status_class=\"2xx\"}}"),
            1.0,
        ),
        (format!("llmux_llm_input_tokens_total{{{alice}}}"), 200.0),
        (format!("llmux_llm_output_tokens_total{{{alice}}}"), 100.0),
        (format!("llmux_llm_cached_tokens_total{{{alice}}}"), 40.0),
        (format!("llmux_llm_reasoning_tokens_total{{{alice}}}"), 10.0),
        (format!("llmux_llm_cost_usd_total{{{alice}}}"), 0.5),
        (format!("llmux_llm_cost_usd_total{{{anon}}}"), 0.25),
        // The failed request had no first token: two TTFTs, three durations.
        (
            format!("llmux_llm_time_to_first_token_seconds_count{{{alice}}}"),
            2.0,
        ),
        (
            format!("llmux_llm_time_to_first_token_seconds_bucket{{{alice},le=\"0.1\"}}"),
            0.0,
        ),
        (
            format!("llmux_llm_time_to_first_token_seconds_bucket{{{alice},le=\"0.25\"}}"),
            2.0,
        ),
        (
            format!("llmux_llm_request_duration_seconds_count{{{alice}}}"),
            3.0,
        ),
        (
            format!("llmux_llm_request_duration_seconds_sum{{{alice}}}"),
            3.6,
        ),
        // Stream: 50 tokens over 1.0 s after the first; whole answer: 50 over 1.2 s.
        (
            format!("llmux_llm_generation_tokens_per_second_count{{{alice}}}"),
            2.0,
        ),
        (
            format!("llmux_llm_generation_tokens_per_second_bucket{{{alice},le=\"30\"}}"),
            0.0,
        ),
        (
            format!("llmux_llm_generation_tokens_per_second_bucket{{{alice},le=\"50\"}}"),
            2.0,
        ),
        ("llmux_llm_active_requests".to_owned(), 0.0),
    ] {
        let got = value_of(&out, &series);
        assert!(
            (got - expected).abs() < 1e-9,
            "{series}: {got} != {expected}"
        );
    }
    assert!(!out.contains(&format!("{alice},status_class=\"4xx\"")));
}

#[test]
fn generation_speed_per_kind_of_answer() {
    let base = record("m", 200, true, None);
    let cases: Vec<(&str, RequestRecord, Option<f64>)> = vec![
        ("stream: after the first token", base.clone(), Some(50.0)),
        (
            "whole answer: over the duration",
            RequestRecord {
                stream: false,
                ..base.clone()
            },
            Some(50.0 / 1.2),
        ),
        (
            "stream without a first token",
            RequestRecord {
                ttft: None,
                ..base.clone()
            },
            Some(50.0 / 1.2),
        ),
        (
            "failed",
            RequestRecord {
                status: 500,
                ..base.clone()
            },
            None,
        ),
        (
            "broke off",
            RequestRecord {
                error: Some("upstream_broken"),
                ..base.clone()
            },
            None,
        ),
        (
            "no usage",
            RequestRecord {
                usage: None,
                ..base.clone()
            },
            None,
        ),
        (
            "no output",
            RequestRecord {
                usage: Some(Usage::default()),
                ..base.clone()
            },
            None,
        ),
        (
            "too short",
            RequestRecord {
                duration: Duration::from_millis(200),
                ..base.clone()
            },
            None,
        ),
    ];
    for (name, r, expected) in cases {
        let got = generation_speed(&r);
        match (got, expected) {
            (Some(g), Some(e)) => assert!((g - e).abs() < 1e-9, "{name}: {g} != {e}"),
            (g, e) => assert_eq!(g, e, "{name}"),
        }
    }
}

#[derive(Default)]
struct Collect(Mutex<Vec<RequestRecord>>);
impl RecordSink for Collect {
    fn record(&self, r: RequestRecord) {
        self.0.lock().unwrap().push(r);
    }
}

#[test]
fn the_active_gauge_follows_every_recorder_path_back_to_zero() {
    let metrics = Arc::new(Metrics::default());
    let collect = Arc::new(Collect::default());
    let sink: Arc<dyn RecordSink> = Arc::new(MetricsSink::new(metrics.clone(), collect.clone()));
    let active = || metrics.llm.active.get();
    let new = || {
        Recorder::new(
            sink.clone(),
            Instant::now(),
            record("m", 200, true, None),
            Default::default(),
        )
    };

    // (path, records emitted by it)
    type Path = fn(Recorder);
    let paths: [(&str, Path, usize); 5] = [
        ("finished", |mut r| r.finish(), 1),
        ("discarded (retried elsewhere)", |mut r| r.discard(), 0),
        (
            "held, then abandoned (lost hedge)",
            |mut r| {
                r.hold();
                drop(r)
            },
            0,
        ),
        (
            "held, armed, finished",
            |mut r| {
                r.hold();
                r.arm();
                r.finish()
            },
            1,
        ),
        ("dropped armed (client went away)", drop, 1),
    ];
    for (name, path, emitted) in paths {
        let before = collect.0.lock().unwrap().len();
        let r = new();
        let other = new();
        assert_eq!(active(), 2, "{name}: two open");
        path(r);
        assert_eq!(active(), 1, "{name}: back by one");
        drop(other.into_discarded());
        assert_eq!(active(), 0, "{name}");
        assert_eq!(collect.0.lock().unwrap().len() - before, emitted, "{name}");
    }
    // Finished twice, then dropped: one record, one unit given back.
    let mut r = new();
    r.finish();
    r.finish();
    drop(r);
    assert_eq!(active(), 0);
    // Every emitted record was counted before being passed on.
    let out = metrics.render(&Registry::default(), Instant::now());
    let n = collect.0.lock().unwrap().len();
    assert_eq!(
        value_of(&out, "llmux_llm_requests_total{model=\"m\",provider=\"openai\",key=\"\",status_class=\"2xx\"}"),
        n as f64
    );
}

trait Discarded {
    fn into_discarded(self) -> Self;
}
impl Discarded for Recorder {
    fn into_discarded(mut self) -> Self {
        self.discard();
        self
    }
}

struct Rows(AtomicU64);
impl RowCounts for Rows {
    fn written(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
    fn dropped(&self) -> u64 {
        2
    }
    fn failed(&self) -> u64 {
        1
    }
}

#[test]
fn usage_rows_are_read_at_scrape_time() {
    let m = Metrics::default();
    let rows = Arc::new(Rows(AtomicU64::new(7)));
    m.watch_usage_rows(rows.clone());
    let out = m.render(&Registry::default(), Instant::now());
    assert!(out.contains(
        "# TYPE llmux_usage_rows_written_total counter\nllmux_usage_rows_written_total 7\n"
    ));
    assert!(out.contains("\nllmux_usage_rows_dropped_total 2\n"));
    assert!(out.contains("\nllmux_usage_rows_failed_total 1\n"));
    rows.0.store(9, Ordering::Relaxed);
    let out = m.render(&Registry::default(), Instant::now());
    assert!(out.contains("\nllmux_usage_rows_written_total 9\n"));
}
