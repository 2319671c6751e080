//! Client auth through real HTTP: `proxy_key` refuses a missing, wrong, revoked, expired,
//! wrong-model or spent key with the right status in each client API's own error shape,
//! admits a valid key from wherever each SDK puts it, and records who it was; `passthrough`
//! sends the client's own key upstream; tags come from seed 004's sources.

use std::time::{Duration, SystemTime};

use llmux_engine::keys::{key_from_bytes, KeyRecord};
use serde_json::json;

use crate::harness::{chat, Harness};

/// (key sent, status, OpenAI code, Anthropic type, Gemini status, words of the message).
type Refusal<'a> = (Option<&'a str>, u16, &'a str, &'a str, &'a str, &'a str);
/// (path, query prefix for the key, header carrying the key).
type Placement<'a> = (&'a str, &'a str, Option<(&'a str, String)>);
/// (bearer token, X-Proxy-Tag, model, expected tags).
type TagCase<'a> = (Option<&'a str>, Option<&'a str>, &'a str, &'a [&'a str]);

fn config(mode: &str) -> impl FnOnce(&str) -> String + '_ {
    move |url| {
        format!(
            "auth: {{mode: {mode}}}\nusage: {{default_tag: fallback}}\nproviders:\n  mock:\n    type: openai-compatible\n    base_url: \"{url}/v1\"\n    api_key: sk-upstream-configured-0001\n    models: [mock-model, other-model]\n"
        )
    }
}

/// A key with seed `n`: (secret, record). Tweak the record before loading it.
fn key(n: u8) -> (String, KeyRecord) {
    let made = key_from_bytes(&[n; 24], &[n; 9]);
    let record = KeyRecord {
        id: made.id,
        name: format!("user-{n}"),
        hash: made.hash,
        prefix: made.prefix,
        models: Vec::new(),
        rpm: None,
        tpm: None,
        budget_usd: None,
        spent_usd: 0.0,
        expires_at: None,
        revoked: false,
        tags: Vec::new(),
        created_at: SystemTime::UNIX_EPOCH,
    };
    (made.secret, record)
}

/// (client API, path, body) of one small request per client API.
fn requests() -> Vec<(&'static str, &'static str, serde_json::Value)> {
    let msgs = json!([{"role": "user", "content": "hi"}]);
    vec![
        ("openai", "/v1/chat/completions", chat("mock-model")),
        (
            "anthropic",
            "/v1/messages",
            json!({"model": "mock-model", "max_tokens": 5, "messages": msgs}),
        ),
        (
            "gemini",
            "/v1beta/models/mock-model:generateContent",
            json!({"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}),
        ),
        (
            "ollama",
            "/api/chat",
            json!({"model": "mock-model", "messages": msgs, "stream": false}),
        ),
    ]
}

/// The error message and type/status a client API's error body carries.
fn error_of(api: &str, v: &serde_json::Value) -> (String, String) {
    match api {
        "openai" => (
            v["error"]["message"].as_str().unwrap().to_owned(),
            v["error"]["code"].as_str().unwrap().to_owned(),
        ),
        "anthropic" => {
            assert_eq!(v["type"], "error", "{v}");
            (
                v["error"]["message"].as_str().unwrap().to_owned(),
                v["error"]["type"].as_str().unwrap().to_owned(),
            )
        }
        "gemini" => (
            v["error"]["message"].as_str().unwrap().to_owned(),
            v["error"]["status"].as_str().unwrap().to_owned(),
        ),
        _ => (v["error"].as_str().unwrap().to_owned(), String::new()),
    }
}

async fn send(
    h: &Harness,
    path: &str,
    body: &serde_json::Value,
    key: Option<&str>,
) -> reqwest::Response {
    let mut req = h.client.post(h.url(path)).json(body);
    if path == "/v1/messages" {
        req = req.header("anthropic-version", "2023-06-01");
    }
    if let Some(k) = key {
        req = req.bearer_auth(k);
    }
    req.send().await.unwrap()
}

#[tokio::test]
async fn proxy_key_refusals_have_the_right_status_in_every_client_shape() {
    let h = Harness::with_config(config("proxy_key")).await;
    let (revoked, mut r1) = key(1);
    r1.revoked = true;
    let (expired, mut r2) = key(2);
    r2.expires_at = Some(SystemTime::now() - Duration::from_secs(1));
    let (narrow, mut r3) = key(3);
    r3.models = vec!["other-*".into()];
    let (spent, mut r4) = key(4);
    r4.budget_usd = Some(1.0);
    r4.spent_usd = 1.0;
    h.gateway.keys().load(vec![r1, r2, r3, r4]);
    let (unknown, _) = key(9);
    // (key, status, openai code, anthropic type, gemini status, words in the message)
    let cases: [Refusal; 6] = [
        (
            None,
            401,
            "missing_api_key",
            "authentication_error",
            "UNAUTHENTICATED",
            "no API key",
        ),
        (
            Some(&unknown),
            401,
            "invalid_api_key",
            "authentication_error",
            "UNAUTHENTICATED",
            "not valid",
        ),
        (
            Some(&revoked),
            401,
            "revoked_api_key",
            "authentication_error",
            "UNAUTHENTICATED",
            "revoked",
        ),
        (
            Some(&expired),
            401,
            "expired_api_key",
            "authentication_error",
            "UNAUTHENTICATED",
            "expired",
        ),
        (
            Some(&narrow),
            403,
            "model_not_allowed",
            "permission_error",
            "PERMISSION_DENIED",
            "may not use the model `mock-model`",
        ),
        (
            Some(&spent),
            429,
            "insufficient_quota",
            "rate_limit_error",
            "RESOURCE_EXHAUSTED",
            "budget",
        ),
    ];
    for (key, status, code, anthropic, gemini, words) in cases {
        for (api, path, body) in requests() {
            let resp = send(&h, path, &body, key).await;
            assert_eq!(resp.status(), status, "{api} with {words}");
            let v: serde_json::Value = resp.json().await.unwrap();
            let (message, kind) = error_of(api, &v);
            assert!(message.contains(words), "{api}: {message}");
            // The presented secret is never echoed.
            if let Some(k) = key {
                assert!(!v.to_string().contains(k), "{api} echoed the key: {v}");
            }
            match api {
                "openai" => assert_eq!(kind, code, "{v}"),
                "anthropic" => assert_eq!(kind, anthropic, "{v}"),
                "gemini" => assert_eq!(kind, gemini, "{v}"),
                _ => {}
            }
        }
    }
    assert!(
        h.mock.requests().is_empty(),
        "nothing refused reached the upstream"
    );
    // Every refusal has its usage record: no provider, no cost, the status and the reason;
    // the key's identity once the key was known.
    let records = h.records.wait(cases.len() * 4).await;
    for (i, r) in records.iter().enumerate() {
        let (_, status, code, ..) = cases[i / 4];
        assert_eq!((r.status, r.error), (status, Some(code)), "{r:?}");
        assert!(r.provider.is_empty() && r.cost_usd.is_none() && r.usage.is_none());
        let known = i / 4 >= 2; // every key but the missing and the unknown one
        assert_eq!(r.caller.key_name().is_some(), known, "{r:?}");
    }
    // The refusals cost nothing: a good key is served as usual.
    let (good, record) = key(7);
    h.gateway.keys().load(vec![record]);
    let resp = send(&h, "/v1/chat/completions", &chat("mock-model"), Some(&good)).await;
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn a_valid_key_works_from_every_header_its_sdk_uses_and_is_recorded() {
    let h = Harness::with_config(config("proxy_key")).await;
    let (secret, mut record) = key(5);
    record.tags = vec!["team-a".into()];
    let id = record.id.clone();
    h.gateway.keys().load(vec![record]);
    let placements: [Placement; 5] = [
        (
            "/v1/chat/completions",
            "",
            Some(("authorization", format!("Bearer {secret}"))),
        ),
        (
            "/v1/chat/completions",
            "",
            Some(("x-api-key", secret.clone())),
        ),
        (
            "/v1/chat/completions",
            "",
            Some(("api-key", secret.clone())),
        ),
        (
            "/v1beta/models/mock-model:generateContent",
            "",
            Some(("x-goog-api-key", secret.clone())),
        ),
        ("/v1beta/models/mock-model:generateContent", "?key=", None),
    ];
    let gemini = json!({"contents": [{"role": "user", "parts": [{"text": "hi"}]}]});
    for (path, query, header) in &placements {
        let body = if path.starts_with("/v1beta") {
            gemini.clone()
        } else {
            chat("mock-model")
        };
        let url = if query.is_empty() {
            h.url(path)
        } else {
            format!("{}{query}{secret}", h.url(path))
        };
        let mut req = h.client.post(url).json(&body);
        if let Some((name, value)) = header {
            req = req.header(*name, value);
        }
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status(), 200, "{path} {header:?}");
        resp.bytes().await.unwrap();
    }
    let records = h.records.wait(5).await;
    for r in &records {
        assert_eq!(r.caller.key_id(), Some(id.as_str()));
        assert_eq!(r.caller.key_name(), Some("user-5"));
        assert_eq!(r.caller.tags, vec!["team-a".to_owned()], "the key's tags");
    }
    // The llmux key never goes upstream: the provider's own key does.
    for req in h.mock.requests() {
        assert_eq!(
            req.header("authorization"),
            Some("Bearer sk-upstream-configured-0001")
        );
        assert!(req.header("x-api-key").is_none() && req.header("x-goog-api-key").is_none());
    }
}

#[tokio::test]
async fn a_key_over_its_requests_per_minute_gets_429_with_retry_after() {
    let h = Harness::with_config(config("proxy_key")).await;
    let (secret, mut record) = key(6);
    record.rpm = Some(2);
    h.gateway.keys().load(vec![record]);
    for _ in 0..2 {
        let resp = send(
            &h,
            "/v1/chat/completions",
            &chat("mock-model"),
            Some(&secret),
        )
        .await;
        assert_eq!(resp.status(), 200);
        resp.bytes().await.unwrap();
    }
    let resp = send(
        &h,
        "/v1/chat/completions",
        &chat("mock-model"),
        Some(&secret),
    )
    .await;
    assert_eq!(resp.status(), 429);
    let wait: u64 = resp.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=61).contains(&wait), "{wait}");
    let v: serde_json::Value = resp.json().await.unwrap();
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("key `user-6`"),
        "{v}"
    );
}

#[tokio::test]
async fn passthrough_sends_the_clients_own_key_upstream() {
    let h = Harness::with_config(config("passthrough")).await;
    let resp = send(&h, "/v1/chat/completions", &chat("mock-model"), None).await;
    assert_eq!(resp.status(), 401, "passthrough needs the client's key");
    let resp = send(
        &h,
        "/v1/chat/completions",
        &chat("mock-model"),
        Some("sk-client-own-key-1"),
    )
    .await;
    assert_eq!(resp.status(), 200);
    resp.bytes().await.unwrap();
    let upstream = h.mock.last_request().unwrap();
    assert_eq!(
        upstream.header("authorization"),
        Some("Bearer sk-client-own-key-1")
    );
}

#[tokio::test]
async fn tags_come_from_the_first_source_that_has_one() {
    let h = Harness::with_config(config("none")).await;
    // (bearer, X-Proxy-Tag, model, expected tags)
    let cases: [TagCase; 5] = [
        (
            Some("alice"),
            Some("ignored"),
            "mock-model@also-ignored",
            &["alice"],
        ),
        (
            Some("sk-looks-like-a-real-key"),
            Some("team-b,batch"),
            "mock-model",
            &["team-b", "batch"],
        ),
        (None, None, "mock-model@carol", &["carol"]),
        (None, None, "mock-model", &["fallback"]),
        (Some("sk-secret"), None, "mock-model", &["fallback"]),
    ];
    for (i, (bearer, header, model, _)) in cases.iter().enumerate() {
        let mut req = h
            .client
            .post(h.url("/v1/chat/completions"))
            .json(&chat(model));
        if let Some(b) = bearer {
            req = req.bearer_auth(b);
        }
        if let Some(t) = header {
            req = req.header("x-proxy-tag", *t);
        }
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status(), 200, "case {i}");
        resp.bytes().await.unwrap();
        // The model goes upstream without its tag.
        assert_eq!(
            h.mock.last_request().unwrap().json()["model"],
            "mock-model",
            "case {i}"
        );
    }
    let records = h.records.wait(cases.len()).await;
    for (r, (_, _, _, want)) in records.iter().zip(cases.iter()) {
        assert_eq!(r.caller.tags, want.to_vec(), "{r:?}");
        assert_eq!(r.requested_model, "mock-model");
    }
    // A present but invalid tag is a 400 that says which source and what is wrong.
    let resp = h
        .client
        .post(h.url("/v1/chat/completions"))
        .header("x-proxy-tag", "bad tag!")
        .json(&chat("mock-model"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let v: serde_json::Value = resp.json().await.unwrap();
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("X-Proxy-Tag"),
        "{v}"
    );
}

#[tokio::test]
async fn two_hundred_concurrent_requests_never_overspend_a_budget_for_ten() {
    // Output at $1 a token, input free: a request's estimate is exactly its `max_tokens`.
    let h = Harness::with_config(|url| {
        format!(
            "auth: {{mode: proxy_key}}\npricing:\n  mock/mock-model: {{input: 0, output: 1000000}}\nproviders:\n  mock:\n    type: openai-compatible\n    base_url: \"{url}/v1\"\n    models: [mock-model]\n"
        )
    })
    .await;
    // One request with an unlimited key tells what an answer costs.
    let (probe, probe_record) = key(10);
    h.gateway.keys().load(vec![probe_record.clone()]);
    let resp = send(
        &h,
        "/v1/chat/completions",
        &chat("mock-model"),
        Some(&probe),
    )
    .await;
    assert_eq!(resp.status(), 200);
    let cost: f64 = resp.headers()["x-llmux-cost-usd"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    resp.bytes().await.unwrap();
    let tokens = h.records.wait(1).await[0].usage.unwrap().completion_tokens;
    assert_eq!(cost, tokens as f64, "one dollar per output token");

    let (secret, mut record) = key(11);
    record.budget_usd = Some(10.0 * cost);
    h.gateway.keys().load(vec![probe_record, record]);
    let mut body = chat("mock-model");
    body["max_tokens"] = json!(tokens); // the estimate is the real cost
    let sends = (0..200).map(|_| send(&h, "/v1/chat/completions", &body, Some(&secret)));
    let responses = futures_util::future::join_all(sends).await;
    let mut ok = 0;
    for resp in responses {
        match resp.status().as_u16() {
            200 => ok += 1,
            429 => {
                let v: serde_json::Value = resp.json().await.unwrap();
                assert_eq!(v["error"]["code"], "insufficient_quota", "{v}");
            }
            other => panic!("unexpected status {other}"),
        }
    }
    assert_eq!(ok, 10, "exactly the ten the budget holds");
    let entry = h.gateway.keys().find(&secret).unwrap();
    assert!(
        (entry.spent_usd() - 10.0 * cost).abs() < 1e-6,
        "{}",
        entry.spent_usd()
    );
    // Spent: the next one is refused before it is sent.
    let before = h.mock.requests().len();
    let resp = send(&h, "/v1/chat/completions", &body, Some(&secret)).await;
    assert_eq!(resp.status(), 429);
    assert_eq!(h.mock.requests().len(), before);
}
