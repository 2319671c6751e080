//! Tests of the request record: emitted once, disconnects, and the cost set at finish.

use super::*;
use llmux_providers::ProviderKind;
use std::sync::Mutex;

#[derive(Default)]
struct Collect(Mutex<Vec<RequestRecord>>);
impl RecordSink for Collect {
    fn record(&self, r: RequestRecord) {
        self.0.lock().unwrap().push(r);
    }
}

fn paid() -> PricingRef {
    PricingRef {
        kind: ProviderKind::OpenAi,
        preset: None,
        local: false,
    }
}

fn blank() -> RequestRecord {
    RequestRecord {
        request_id: "r".into(),
        operation: "chat_completions",
        requested_model: "m".into(),
        client_api: "openai-chat",
        provider: "p".into(),
        pricing: paid(),
        upstream_model: "m".into(),
        status: 200,
        stream: true,
        ttft: None,
        duration: Duration::ZERO,
        usage: None,
        error: None,
        attempts: 1,
        cost_usd: None,
        caller: Default::default(),
        request_body: None,
    }
}

fn usage(prompt: u64, completion: u64) -> Usage {
    Usage {
        prompt_tokens: prompt,
        completion_tokens: completion,
        ..Usage::default()
    }
}

#[test]
fn emits_exactly_once() {
    let sink = Arc::new(Collect::default());
    let mut rec = Recorder::new(sink.clone(), Instant::now(), blank());
    rec.first_byte();
    rec.finish();
    rec.finish();
    drop(rec);
    let got = sink.0.lock().unwrap();
    assert_eq!(got.len(), 1);
    assert!(got[0].ttft.is_some());
    assert_eq!(got[0].error, None);
}

#[test]
fn drop_before_finish_counts_as_disconnect() {
    let sink = Arc::new(Collect::default());
    drop(Recorder::new(sink.clone(), Instant::now(), blank()));
    assert_eq!(sink.0.lock().unwrap()[0].error, Some("client_disconnected"));
}

#[test]
fn cost_is_set_once_at_finish() {
    let sink = Arc::new(Collect::default());
    let mut record = blank();
    record.upstream_model = "gpt-4.1".into();
    let mut rec = Recorder::new(sink.clone(), Instant::now(), record);
    rec.usage(usage(1000, 500));
    rec.finish();
    let got = sink.0.lock().unwrap();
    // gpt-4.1: $2 per million input, $8 per million output.
    let cost = got[0].cost_usd.unwrap();
    assert!((cost - 0.006).abs() < 1e-12, "{cost}");
}

#[test]
fn compute_cost_table() {
    let local = PricingRef {
        kind: ProviderKind::OpenAi,
        preset: None,
        local: true,
    };
    // (pricing, model, usage, expected)
    let cases = [
        (paid(), "gpt-4.1", Some(usage(1_000_000, 0)), Some(2.0)),
        (paid(), "no-such-model", Some(usage(10, 10)), None),
        (paid(), "gpt-4.1", None, None),
        (local, "no-such-model", Some(usage(10, 10)), Some(0.0)),
        (local, "no-such-model", None, Some(0.0)),
    ];
    for (pricing, model, u, expected) in cases {
        let mut r = blank();
        r.pricing = pricing;
        r.upstream_model = model.into();
        r.usage = u;
        assert_eq!(r.compute_cost(), expected, "{model} {u:?} {pricing:?}");
    }
}
