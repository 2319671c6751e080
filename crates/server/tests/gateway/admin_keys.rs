//! `/api/v1/keys` through real HTTP: a key made through the admin API is shown once and works
//! on the data plane at once; limits change live; revocation is immediate; bad bodies are 400s
//! naming the field; no answer but the creating one ever holds the key.

use std::sync::Arc;

use llmux_store::{KeyStore, SqliteStore};
use llmux_testkit::mock::MockConfig;
use serde_json::{json, Value};

use crate::harness::{chat, Harness};

async fn harness(dir: &tempfile::TempDir) -> Harness {
    let store: Arc<dyn KeyStore> = Arc::new(SqliteStore::open(dir.path().join("keys.db")).unwrap());
    Harness::with_all(
        MockConfig::default(),
        |url| format!("auth: {{mode: proxy_key}}\nproviders:\n  mock:\n    type: openai-compatible\n    base_url: \"{url}/v1\"\n    models: [mock-model]\n"),
        None,
        None,
        Some(store),
    )
    .await
}

async fn admin(
    h: &Harness,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, String) {
    let mut req = h.client.request(method, format!("{}{path}", h.admin));
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

async fn use_key(h: &Harness, key: &str) -> (u16, Value) {
    let resp = h
        .client
        .post(h.url("/v1/chat/completions"))
        .bearer_auth(key)
        .json(&chat("mock-model"))
        .send()
        .await
        .unwrap();
    (
        resp.status().as_u16(),
        resp.json().await.unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn keys_are_made_changed_and_revoked_live_through_the_admin_api() {
    let dir = tempfile::tempdir().unwrap();
    let h = harness(&dir).await;
    use reqwest::Method;
    let (status, body) = admin(
        &h,
        Method::POST,
        "/api/v1/keys",
        Some(json!({"name": "alice", "models": ["mock-*"], "tags": ["team-a"]})),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let made: Value = serde_json::from_str(&body).unwrap();
    let key = made["key"].as_str().unwrap().to_owned();
    let id = made["id"].as_str().unwrap().to_owned();
    assert!(
        key.starts_with("llmux-") && made.get("hash").is_none(),
        "{made}"
    );
    assert_eq!(made["status"], "active");

    // Works at once: the gateway's ring was reloaded by the change.
    assert_eq!(use_key(&h, &key).await.0, 200);

    // Listing and reading never show the key.
    for path in ["/api/v1/keys".to_owned(), format!("/api/v1/keys/{id}")] {
        let (status, body) = admin(&h, Method::GET, &path, None).await;
        assert_eq!(status, 200);
        assert!(!body.contains(&key), "{path} showed the key");
        assert!(body.contains("alice") && body.contains(&made["prefix"].as_str().unwrap()[..10]));
    }

    // Limits change live.
    let (status, body) = admin(
        &h,
        Method::PATCH,
        &format!("/api/v1/keys/{id}"),
        Some(json!({"rpm": 1})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(serde_json::from_str::<Value>(&body).unwrap()["rpm"], 1);
    let first = use_key(&h, &key).await.0;
    let second = use_key(&h, &key).await.0;
    assert_eq!((first, second), (200, 429), "one request a minute");

    // Bad bodies: 400 naming the field.
    let bad: [(Method, String, Value, &str); 4] = [
        (
            Method::POST,
            "/api/v1/keys".into(),
            json!({"models": ["a"]}),
            "name",
        ),
        (
            Method::POST,
            "/api/v1/keys".into(),
            json!({"name": "b", "budget_usd": -1}),
            "budget_usd",
        ),
        (
            Method::POST,
            "/api/v1/keys".into(),
            json!({"name": "b", "tags": ["no spaces"]}),
            "tags",
        ),
        (
            Method::PATCH,
            format!("/api/v1/keys/{id}"),
            json!({"name": "renamed"}),
            "name",
        ),
    ];
    for (method, path, body, field) in bad {
        let (status, text) = admin(&h, method, &path, Some(body)).await;
        assert_eq!(status, 400, "{text}");
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["errors"][0]["path"], field, "{v}");
    }
    assert_eq!(
        admin(&h, Method::GET, "/api/v1/keys/key_nope", None)
            .await
            .0,
        404
    );

    // Revocation counts at once.
    assert_eq!(
        admin(&h, Method::DELETE, &format!("/api/v1/keys/{id}"), None)
            .await
            .0,
        204
    );
    let (status, v) = use_key(&h, &key).await;
    assert_eq!(
        (status, v["error"]["code"].as_str()),
        (401, Some("revoked_api_key"))
    );
    let (_, body) = admin(&h, Method::GET, &format!("/api/v1/keys/{id}"), None).await;
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()["status"],
        "revoked"
    );
}
