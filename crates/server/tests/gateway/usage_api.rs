//! The usage query API on the admin listener: a temp SQLite store with four known rows, every
//! endpoint with combined filters (exact numbers), bad parameters, usage off, and the OpenAPI
//! document against the router's routes.

use std::sync::Arc;

use llmux_store::{SqliteStore, UsageRow, UsageStore};
use llmux_testkit::mock::MockConfig;
use serde_json::{json, Value};

use crate::harness::{mock_provider, Harness};

/// 2026-11-22T14:00:00Z in ms.
const T0: i64 = 1_795_356_000_000;
const MIN: i64 = 60_000;
const HOUR: i64 = 60 * MIN;

#[allow(clippy::too_many_arguments)]
fn row(
    id: &str,
    time_ms: i64,
    key: Option<(&str, &str)>,
    tags: &[&str],
    provider: &str,
    model: &str,
    status: u16,
    tokens: (u64, u64),
    cost_usd: Option<f64>,
    duration_ms: f64,
    ttft_ms: Option<f64>,
) -> UsageRow {
    UsageRow {
        time_ms,
        request_id: id.into(),
        key_id: key.map(|k| k.0.into()),
        key_name: key.map(|k| k.1.into()),
        tags: tags.iter().map(|t| (*t).to_owned()).collect(),
        client_api: "openai".into(),
        provider: provider.into(),
        requested_model: model.into(),
        resolved_model: model.into(),
        status,
        attempts: 1,
        prompt_tokens: tokens.0,
        completion_tokens: tokens.1,
        cost_usd,
        duration_ms,
        ttft_ms,
        ..UsageRow::default()
    }
}

/// A gateway whose admin API reads a temp store holding r1..r4.
async fn start() -> (tempfile::TempDir, Harness) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("llmux.db")).unwrap();
    let alice = Some(("k1", "alice"));
    store
        .insert_batch(&[
            row(
                "r1",
                T0 + 10 * MIN,
                alice,
                &["team-a", "prod"],
                "p1",
                "m1",
                200,
                (100, 10),
                Some(0.5),
                100.0,
                Some(20.0),
            ),
            row(
                "r2",
                T0 + 20 * MIN,
                alice,
                &["team-a"],
                "p1",
                "m2",
                500,
                (50, 0),
                None,
                300.0,
                None,
            ),
            row(
                "r3",
                T0 + HOUR + 5 * MIN,
                Some(("k2", "bob")),
                &["prod"],
                "p2",
                "m1",
                200,
                (200, 30),
                Some(0.25),
                200.0,
                Some(40.0),
            ),
            row(
                "r4",
                T0 + 24 * HOUR,
                None,
                &[],
                "p2",
                "m1",
                429,
                (0, 0),
                None,
                50.0,
                None,
            ),
        ])
        .unwrap();
    let store: Arc<dyn UsageStore> = Arc::new(store);
    let h = Harness::with_store(MockConfig::default(), mock_provider, Some(store)).await;
    (dir, h)
}

async fn get(h: &Harness, path: &str) -> (u16, Value) {
    let resp = h
        .client
        .get(format!("{}{path}", h.admin))
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap())
}

async fn ok(h: &Harness, path: &str) -> Value {
    let (status, body) = get(h, path).await;
    assert_eq!(status, 200, "{path}: {body}");
    body
}

#[tokio::test]
async fn summary_totals_and_combined_filters() {
    let (_dir, h) = start().await;
    let all = ok(&h, "/api/v1/usage/summary").await;
    assert_eq!(
        all["summary"],
        json!({
            "requests": 4, "errors": 2, "prompt_tokens": 350, "completion_tokens": 40,
            "cached_tokens": 0, "cache_write_tokens": 0, "reasoning_tokens": 0,
            "cost_usd": 0.75, "unpriced_requests": 2,
            "avg_duration_ms": 162.5, "avg_ttft_ms": 30.0,
        })
    );
    // RFC 3339 with an offset and unix seconds combine with tag and status: only r1.
    let one = ok(
        &h,
        "/api/v1/usage/summary?from=2026-11-22T15:00:00%2B01:00&to=1795363200&tag=team-a&status=2xx",
    )
    .await;
    assert_eq!(one["summary"]["requests"], 1);
    assert_eq!(one["summary"]["prompt_tokens"], 100);
    assert_eq!(one["summary"]["cost_usd"], 0.5);
    let keyed = ok(
        &h,
        "/api/v1/usage/summary?provider=p1&model=m2&key=k1&status=5xx",
    )
    .await;
    assert_eq!(keyed["summary"]["requests"], 1);
    assert_eq!(keyed["summary"]["errors"], 1);
    assert_eq!(keyed["summary"]["avg_ttft_ms"], Value::Null);
    let none = ok(&h, "/api/v1/usage/summary?provider=p1&model=m1&status=5xx").await;
    assert_eq!(none["summary"]["requests"], 0);
    assert_eq!(none["summary"]["avg_duration_ms"], Value::Null);
}

#[tokio::test]
async fn series_by_hour_and_day() {
    let (_dir, h) = start().await;
    let hourly = ok(&h, "/api/v1/usage/series?bucket=hour").await;
    assert_eq!(hourly["bucket"], "hour");
    let points: Vec<(i64, u64)> = hourly["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["start_ms"].as_i64().unwrap(),
                p["summary"]["requests"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(points, vec![(T0, 2), (T0 + HOUR, 1), (T0 + 24 * HOUR, 1)]);
    // Day buckets start at UTC midnight: 14:00Z is 14 hours into the day.
    let daily = ok(&h, "/api/v1/usage/series?bucket=day&model=m1").await;
    let day0 = T0 - 14 * HOUR;
    assert_eq!(daily["points"][0]["start_ms"], day0);
    assert_eq!(daily["points"][0]["summary"]["requests"], 2);
    assert_eq!(daily["points"][0]["summary"]["completion_tokens"], 40);
    assert_eq!(daily["points"][1]["start_ms"], day0 + 24 * HOUR);
    assert_eq!(daily["points"][1]["summary"]["requests"], 1);
    assert_eq!(daily["points"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn breakdowns_by_tag_key_and_provider() {
    let (_dir, h) = start().await;
    let tags = ok(&h, "/api/v1/usage/breakdown?by=tag&status=2xx").await;
    assert_eq!(tags["by"], "tag");
    let groups: Vec<(Value, Value)> = tags["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| (g["value"].clone(), g["summary"]["requests"].clone()))
        .collect();
    assert_eq!(
        groups,
        vec![(json!("prod"), json!(2)), (json!("team-a"), json!(1))]
    );
    let keys = ok(
        &h,
        "/api/v1/usage/breakdown?by=key&from=1795356000&to=2026-11-22T16:00:00Z",
    )
    .await;
    assert_eq!(keys["groups"][0]["value"], "k1");
    assert_eq!(keys["groups"][0]["label"], "alice");
    assert_eq!(keys["groups"][0]["summary"]["requests"], 2);
    assert_eq!(keys["groups"][1]["value"], "k2");
    assert_eq!(keys["groups"][1]["label"], "bob");
    assert_eq!(keys["groups"].as_array().unwrap().len(), 2);
    let providers = ok(&h, "/api/v1/usage/breakdown?by=provider&model=m1").await;
    assert_eq!(providers["groups"][0]["value"], "p2");
    assert_eq!(providers["groups"][0]["summary"]["requests"], 2);
    assert_eq!(providers["groups"][0]["summary"]["cost_usd"], 0.25);
    assert_eq!(providers["groups"][1]["value"], "p1");
}

#[tokio::test]
async fn requests_page_newest_first() {
    let (_dir, h) = start().await;
    let ids = |v: &Value| -> Vec<String> {
        v["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["request_id"].as_str().unwrap().to_owned())
            .collect()
    };
    let first = ok(&h, "/api/v1/usage/requests?per_page=3").await;
    assert_eq!(
        (first["total"].clone(), first["page"].clone()),
        (json!(4), json!(1))
    );
    assert_eq!(ids(&first), ["r4", "r3", "r2"]);
    let second = ok(&h, "/api/v1/usage/requests?per_page=3&page=2").await;
    assert_eq!(ids(&second), ["r1"]);
    let failed = ok(&h, "/api/v1/usage/requests?status=5xx&tag=team-a").await;
    assert_eq!(failed["total"], 1);
    let r2 = &failed["rows"][0];
    assert_eq!(r2["request_id"], "r2");
    assert_eq!(r2["status"], 500);
    assert_eq!(r2["key_name"], "alice");
    assert_eq!(r2["tags"], json!(["team-a"]));
    assert_eq!(r2["cost_usd"], Value::Null);
    assert_eq!(r2["time_ms"], T0 + 20 * MIN);
}

#[tokio::test]
async fn bad_parameters_are_400_naming_them() {
    let (_dir, h) = start().await;
    let table = [
        ("/api/v1/usage/summary?from=yesterday", "from"),
        ("/api/v1/usage/summary?to=2026-11-22", "to"),
        ("/api/v1/usage/summary?status=404", "status"),
        ("/api/v1/usage/summary?colour=red", "colour"),
        ("/api/v1/usage/summary?bucket=day", "bucket"),
        ("/api/v1/usage/series?bucket=week", "bucket"),
        ("/api/v1/usage/breakdown", "by"),
        ("/api/v1/usage/breakdown?by=colour", "by"),
        ("/api/v1/usage/requests?per_page=0", "per_page"),
        ("/api/v1/usage/requests?page=x", "page"),
        ("/api/v1/usage/requests?tag=a&tag=b", "tag"),
    ];
    for (path, parameter) in table {
        let (status, body) = get(&h, path).await;
        assert_eq!(status, 400, "{path}: {body}");
        assert_eq!(body["error"]["parameter"], parameter, "{path}: {body}");
        assert!(body["error"]["message"]
            .as_str()
            .unwrap()
            .contains(parameter));
        assert!(!body["error"]["accepted"].as_str().unwrap().is_empty());
    }
}

#[tokio::test]
async fn usage_off_is_404_saying_how_to_enable() {
    let h = Harness::start().await;
    for path in llmux_server::usage_api::ROUTES {
        let (status, body) = get(&h, path).await;
        assert_eq!(status, 404, "{path}");
        assert!(body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("usage: {enabled: true}"));
    }
}

#[tokio::test]
async fn openapi_lists_every_usage_route() {
    let (_dir, h) = start().await;
    let doc = ok(&h, "/api/v1/openapi.json").await;
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().unwrap();
    let documented: Vec<&String> = paths
        .keys()
        .filter(|p| p.starts_with("/api/v1/usage"))
        .collect();
    // Both ways: every mounted route is documented, and every documented one answers.
    for route in llmux_server::usage_api::ROUTES {
        assert!(
            paths.contains_key(*route),
            "{route} missing from the OpenAPI document"
        );
    }
    assert_eq!(documented.len(), llmux_server::usage_api::ROUTES.len());
    for path in documented {
        let query = if path.ends_with("breakdown") {
            "?by=model"
        } else {
            ""
        };
        let (status, body) = get(&h, &format!("{path}{query}")).await;
        assert_eq!(status, 200, "{path}: {body}");
    }
    let file: Value = serde_json::from_str(llmux_server::usage_api::OPENAPI).unwrap();
    assert_eq!(doc, file);
}
