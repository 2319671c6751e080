//! Tests of the record → row mapping and of the storing sink's fan-out.

use std::sync::Mutex;
use std::time::Duration;

use llmux_engine::snapshot::PricingRef;
use llmux_protocol::Usage;
use llmux_providers::ProviderKind;
use llmux_store::{Filter, UsageStore};

use super::*;

fn record() -> RequestRecord {
    RequestRecord {
        request_id: "req-1".into(),
        operation: "chat_completions",
        requested_model: "fast".into(),
        client_api: "anthropic-messages",
        provider: "openai".into(),
        pricing: PricingRef {
            kind: ProviderKind::OpenAi,
            preset: None,
            local: false,
        },
        upstream_model: "gpt-4.1".into(),
        status: 200,
        stream: true,
        ttft: Some(Duration::from_millis(200)),
        duration: Duration::from_millis(1200),
        usage: Some(Usage {
            prompt_tokens: 100,
            completion_tokens: 50,
            cached_tokens: 40,
            reasoning_tokens: 10,
            cache_write_tokens: 20,
        }),
        error: None,
        attempts: 2,
        cost_usd: Some(0.25),
        caller: llmux_engine::caller::Caller {
            key: Some(std::sync::Arc::new(llmux_engine::caller::KeyIdentity {
                id: "key_1".into(),
                name: "alice".into(),
            })),
            tags: vec!["team-a".into(), "batch".into()],
            client_ip: Some(std::net::IpAddr::from([10, 0, 0, 7])),
            admission: None,
        },
        request_body: None,
    }
}

#[test]
fn record_maps_to_row() {
    let row = to_row(&record(), 1_700_000_000_000);
    let expected = UsageRow {
        time_ms: 1_700_000_000_000,
        request_id: "req-1".into(),
        key_id: Some("key_1".into()),
        key_name: Some("alice".into()),
        tags: vec!["team-a".into(), "batch".into()],
        client_ip: Some("10.0.0.7".into()),
        client_host: None,
        client_api: "anthropic-messages".into(),
        provider: "openai".into(),
        member: None,
        requested_model: "fast".into(),
        resolved_model: "gpt-4.1".into(),
        status: 200,
        error_kind: None,
        attempts: 2,
        prompt_tokens: 100,
        completion_tokens: 50,
        cached_tokens: 40,
        cache_write_tokens: 20,
        reasoning_tokens: 10,
        ttft_ms: Some(200.0),
        duration_ms: 1200.0,
        // 50 tokens over the second between first byte and end.
        output_tokens_per_s: Some(50.0),
        cost_usd: Some(0.25),
        stream: true,
    };
    assert_eq!(row, expected);
}

#[test]
fn failed_record_without_usage_maps_to_zero_tokens_and_no_rate() {
    let mut r = record();
    r.status = 504;
    r.error = Some("upstream_timeout");
    r.usage = None;
    r.ttft = None;
    r.cost_usd = None;
    let row = to_row(&r, 5);
    assert_eq!(row.error_kind.as_deref(), Some("upstream_timeout"));
    assert_eq!(row.status, 504);
    assert_eq!((row.prompt_tokens, row.completion_tokens), (0, 0));
    assert_eq!(row.ttft_ms, None);
    assert_eq!(row.output_tokens_per_s, None);
    assert_eq!(row.cost_usd, None);
}

#[test]
fn output_rate_table() {
    let ms = Duration::from_millis;
    // (tokens, ttft, duration, expected)
    let cases = [
        (100, Some(ms(500)), ms(1500), Some(100.0)),
        (100, None, ms(2000), Some(50.0)),
        (0, Some(ms(500)), ms(1500), None),
        (100, Some(ms(1500)), ms(1500), None),
    ];
    for (tokens, ttft, duration, expected) in cases {
        assert_eq!(
            output_rate(tokens, ttft, duration),
            expected,
            "{tokens} {ttft:?}"
        );
    }
}

#[derive(Default)]
struct Collect(Mutex<Vec<String>>);
impl RecordSink for Collect {
    fn record(&self, r: RequestRecord) {
        self.0.lock().unwrap().push(r.request_id);
    }
}

#[test]
fn store_sink_stores_and_passes_on() {
    let dir = tempfile::tempdir().unwrap();
    let config = UsageConfig::default();
    let writer = Arc::new(open_writer(dir.path(), &config).unwrap().unwrap());
    let next = Arc::new(Collect::default());
    let sink = StoreSink::new(writer.clone(), next.clone());
    sink.record(record());
    writer.shutdown();
    assert_eq!(*next.0.lock().unwrap(), vec!["req-1".to_owned()]);
    let store = SqliteStore::open(db_path(dir.path())).unwrap();
    let page = store.recent(&Filter::default(), 0, 10).unwrap();
    assert_eq!(page.total, 1);
    assert_eq!(page.rows[0].request_id, "req-1");
    assert_eq!(page.rows[0].cost_usd, Some(0.25));
}

#[test]
fn disabled_opens_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let config = UsageConfig {
        enabled: false,
        retention_days: None,
        default_tag: String::new(),
        reverse_dns: false,
    };
    assert!(open_writer(dir.path(), &config).unwrap().is_none());
    assert!(!db_path(dir.path()).exists());
}

#[test]
fn unopenable_database_names_the_path() {
    let dir = tempfile::tempdir().unwrap();
    // A directory where the file should be: SQLite cannot open it.
    std::fs::create_dir(db_path(dir.path())).unwrap();
    let err = open_writer(dir.path(), &UsageConfig::default()).unwrap_err();
    let text = format!("{err:#}");
    assert!(
        text.contains(&db_path(dir.path()).display().to_string()),
        "{text}"
    );
}
