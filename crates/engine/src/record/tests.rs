//! Tests of the request record: emitted once, disconnects, and the cost set at finish.

use super::*;
use crate::pricing::{Price, PriceOverride};
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

fn builtin() -> Arc<Pricing> {
    Arc::new(Pricing::builtin())
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
    let mut rec = Recorder::new(sink.clone(), Instant::now(), blank(), builtin());
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
    drop(Recorder::new(
        sink.clone(),
        Instant::now(),
        blank(),
        builtin(),
    ));
    assert_eq!(sink.0.lock().unwrap()[0].error, Some("client_disconnected"));
}

#[test]
fn cost_is_set_once_at_finish() {
    let sink = Arc::new(Collect::default());
    let mut record = blank();
    record.upstream_model = "gpt-4.1".into();
    let mut rec = Recorder::new(sink.clone(), Instant::now(), record, builtin());
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
        assert_eq!(
            r.compute_cost(&Pricing::builtin(), None),
            expected,
            "{model} {u:?} {pricing:?}"
        );
    }
}

#[test]
fn reported_cost_wins_and_answer_cost_is_the_recorded_one() {
    let sink = Arc::new(Collect::default());
    let mut record = blank();
    record.stream = false;
    record.upstream_model = "gpt-4.1".into();
    let mut rec = Recorder::new(sink.clone(), Instant::now(), record, builtin());
    rec.usage(usage(1000, 500));
    // gpt-4.1: 1000 x $2 + 500 x $8 per million.
    let computed = rec.answer_cost().unwrap();
    assert!((computed - 0.006).abs() < 1e-12, "{computed}");
    rec.reported_cost(0.0042);
    assert_eq!(rec.answer_cost(), Some(0.0042));
    rec.finish();
    assert_eq!(sink.0.lock().unwrap()[0].cost_usd, Some(0.0042));
}

#[test]
fn answer_cost_is_none_for_streams_and_failures() {
    let mut streamed = blank();
    streamed.upstream_model = "gpt-4.1".into();
    let mut rec = Recorder::new(
        Arc::new(Collect::default()),
        Instant::now(),
        streamed,
        builtin(),
    );
    rec.usage(usage(10, 10));
    assert_eq!(
        rec.answer_cost(),
        None,
        "streams carry their cost in the record only"
    );
    rec.discard();

    let mut failed = blank();
    failed.stream = false;
    failed.status = 502;
    failed.upstream_model = "gpt-4.1".into();
    let mut rec = Recorder::new(
        Arc::new(Collect::default()),
        Instant::now(),
        failed,
        builtin(),
    );
    rec.usage(usage(10, 10));
    assert_eq!(rec.answer_cost(), None);
    rec.discard();
}

#[test]
fn configured_prices_reach_the_record() {
    // A virtual model's price beats a provider/model override, which beats a model one,
    // which beats the table and a local provider's 0.
    let prices = Pricing::builtin()
        .with_overrides([
            ("gpt-4.1".to_owned(), Price::new(1.0, 1.0, 1.0, 1.0)),
            ("p/gpt-4.1".to_owned(), Price::new(3.0, 3.0, 3.0, 3.0)),
        ])
        .with_virtual_models([(
            "cheap".to_owned(),
            PriceOverride {
                input: Some(0.5),
                output: Some(0.5),
                ..PriceOverride::default()
            },
        )]);
    let local = PricingRef {
        local: true,
        ..paid()
    };
    // (provider id, requested, local, expected for 1M prompt + 1M completion tokens)
    let cases = [
        ("p", "gpt-4.1", false, 6.0),
        ("q", "gpt-4.1", false, 2.0),
        ("q", "gpt-4.1", true, 2.0),
        ("p", "cheap", true, 1.0),
    ];
    for (provider, requested, is_local, want) in cases {
        let mut r = blank();
        r.provider = provider.into();
        r.requested_model = requested.into();
        r.upstream_model = "gpt-4.1".into();
        r.pricing = if is_local { local } else { paid() };
        r.usage = Some(usage(1_000_000, 1_000_000));
        let got = r.compute_cost(&prices, None).unwrap();
        assert!((got - want).abs() < 1e-9, "{provider} {requested}: {got}");
    }
}
