//! The admin listener's security on real sockets: the 401/403 matrix for token, password
//! (Basic) and login sessions, the failed-attempt limit (429 + Retry-After), `/metrics`
//! protection, the audit log with secrets redacted, the docs page, provider probes against
//! the mock, `/ready` with a failing store, and no provider key in any admin answer.

use std::sync::Arc;

use llmux_store::{
    AdminStore, Breakdown, Bucket, By, Filter, Page, SeriesPoint, SqliteStore, StoreError, Summary,
    UsageRow, UsageStore,
};
use llmux_testkit::mock::MockConfig;
use serde_json::{json, Value};

use crate::harness::Harness;

const TOKEN: &str = "adm-token-4f1c9e2a7b";
const PASSWORD: &str = "hunter2-but-longer";
const UPSTREAM_KEY: &str = "sk-upstream-secret-0001";

/// The mock as provider `mock`, a provider whose upstream answers 401 (`denied`), one that
/// nobody listens on (`down`), and admin credentials.
fn config(url: &str, extra_admin: &str) -> String {
    format!(
        r#"
admin:
  token: {TOKEN}
  password: {PASSWORD}
{extra_admin}
providers:
  mock:
    type: openai-compatible
    base_url: "{url}/v1"
    api_key: {UPSTREAM_KEY}
    models: [mock-model]
  denied:
    type: openai-compatible
    base_url: "{url}/v1"
    api_key: {UPSTREAM_KEY}
    models: [mock-model]
    headers: {{ x-mock-status: "401" }}
  down:
    type: openai-compatible
    base_url: "http://127.0.0.1:9/v1"
    api_key: {UPSTREAM_KEY}
    models: [mock-model]
"#
    )
}

async fn start() -> Harness {
    Harness::with_config(|url| config(url, "")).await
}

async fn send(
    h: &Harness,
    req: reqwest::RequestBuilder,
) -> (u16, reqwest::header::HeaderMap, String) {
    let _ = h;
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    (status, headers, r.text().await.unwrap())
}

fn get(h: &Harness, path: &str) -> reqwest::RequestBuilder {
    h.client.get(format!("{}{path}", h.admin))
}

fn post(h: &Harness, path: &str) -> reqwest::RequestBuilder {
    h.client.post(format!("{}{path}", h.admin))
}

#[tokio::test]
async fn credentials_matrix_401_403_and_allowed() {
    let h = start().await;
    let doc = "/api/v1/openapi.json";
    for open in ["/health", "/ready", "/metrics", "/api/v1/docs"] {
        let (status, _, body) = send(&h, get(&h, open)).await;
        assert_eq!(status, 200, "{open}: {body}");
    }
    let (status, headers, body) = send(&h, get(&h, doc)).await;
    assert_eq!(status, 401, "{body}");
    assert!(headers["www-authenticate"]
        .to_str()
        .unwrap()
        .starts_with("Bearer"));
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["error"]["code"], "unauthorized");
    let wrong = [
        get(&h, doc).bearer_auth("adm-token-4f1c9e2a7c"),
        get(&h, doc).basic_auth("admin", Some("hunter3")),
        get(&h, doc).basic_auth("root", Some(PASSWORD)),
    ];
    for req in wrong {
        let (status, _, body) = send(&h, req).await;
        assert_eq!(status, 403, "{body}");
        let body: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(body["error"]["code"], "forbidden");
    }
    let (status, _, body) = send(&h, get(&h, doc).bearer_auth(TOKEN)).await;
    assert_eq!(status, 200, "{body}");
    let (status, _, _) = send(&h, get(&h, doc).basic_auth("admin", Some(PASSWORD))).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn login_gives_a_session_that_works_as_bearer() {
    let h = start().await;
    let (status, _, body) = send(
        &h,
        post(&h, "/api/v1/login").json(&json!({"password": "nope"})),
    )
    .await;
    assert_eq!(status, 403, "{body}");
    let (status, _, body) = send(
        &h,
        post(&h, "/api/v1/login").json(&json!({"password": PASSWORD})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let body: Value = serde_json::from_str(&body).unwrap();
    let session = body["token"].as_str().unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_ne!(session, PASSWORD);
    let (status, _, _) = send(&h, get(&h, "/api/v1/openapi.json").bearer_auth(session)).await;
    assert_eq!(status, 200);
    let (status, _, _) = send(&h, post(&h, "/api/v1/login").body("not json")).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn failed_attempts_are_limited_with_retry_after() {
    let h = start().await;
    let doc = "/api/v1/openapi.json";
    for i in 0..llmux_server::admin_auth::FAILURE_BURST {
        let (status, _, _) = send(&h, get(&h, doc).bearer_auth("guess")).await;
        assert_eq!(status, 403, "attempt {i}");
    }
    let (status, headers, body) = send(&h, get(&h, doc).bearer_auth("guess")).await;
    assert_eq!(status, 429, "{body}");
    let wait: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=6).contains(&wait), "{wait}");
    // Blocked means blocked: the right token and the right password wait too.
    let (status, _, _) = send(&h, get(&h, doc).bearer_auth(TOKEN)).await;
    assert_eq!(status, 429);
    let (status, _, _) = send(
        &h,
        post(&h, "/api/v1/login").json(&json!({"password": PASSWORD})),
    )
    .await;
    assert_eq!(status, 429);
    // Liveness is never limited.
    assert_eq!(send(&h, get(&h, "/health")).await.0, 200);
}

#[tokio::test]
async fn metrics_can_be_protected() {
    let h = Harness::with_config(|url| config(url, "  protect_metrics: true")).await;
    assert_eq!(send(&h, get(&h, "/metrics")).await.0, 401);
    assert_eq!(
        send(&h, get(&h, "/metrics").bearer_auth(TOKEN)).await.0,
        200
    );
    assert_eq!(send(&h, get(&h, "/health")).await.0, 200);
}

#[tokio::test]
async fn no_credentials_on_loopback_is_open() {
    let h = Harness::start().await;
    let (status, _, body) = send(&h, get(&h, "/api/v1/openapi.json")).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn mutating_calls_are_audited_with_secrets_redacted() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(dir.path().join("llmux.db")).unwrap());
    let admin_store: Arc<dyn AdminStore> = store.clone();
    let h = Harness::with_parts(
        MockConfig::default(),
        |url| config(url, ""),
        None,
        Some(admin_store),
    )
    .await;
    let (status, _, _) = send(
        &h,
        post(&h, "/api/v1/providers/mock/test").bearer_auth(TOKEN),
    )
    .await;
    assert_eq!(status, 200);
    let (_, _, login) = send(
        &h,
        post(&h, "/api/v1/login").json(&json!({"password": PASSWORD})),
    )
    .await;
    let session: Value = serde_json::from_str(&login).unwrap();
    let session = session["token"].as_str().unwrap().to_owned();
    let (status, _, _) = send(
        &h,
        post(&h, "/api/v1/login").json(&json!({"password": "wrong"})),
    )
    .await;
    assert_eq!(status, 403);
    // Reads are not audited.
    send(&h, get(&h, "/api/v1/audit").bearer_auth(&session)).await;

    let (status, _, text) = send(&h, get(&h, "/api/v1/audit?limit=10").bearer_auth(TOKEN)).await;
    assert_eq!(status, 200, "{text}");
    assert!(
        !text.contains(&session),
        "the session token is never shown: {text}"
    );
    assert!(!text.contains(PASSWORD) && !text.contains(UPSTREAM_KEY));
    let page: Value = serde_json::from_str(&text).unwrap();
    let entries = page["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 3, "{text}");
    let (failed, ok_login, probe) = (&entries[0], &entries[1], &entries[2]);
    assert_eq!(
        (probe["who"].as_str(), probe["method"].as_str()),
        (Some("token"), Some("POST"))
    );
    assert_eq!(probe["path"], "/api/v1/providers/mock/test");
    assert_eq!(probe["status"], 200);
    assert_eq!(probe["client_ip"], "127.0.0.1");
    assert_eq!(ok_login["after"]["token"], "[redacted]");
    assert_eq!(ok_login["after"]["user"], "admin");
    assert_eq!(
        (failed["status"].as_u64(), failed["who"].as_str()),
        (Some(403), Some("anonymous"))
    );
    // Paging with the cursor.
    let (_, _, text) = send(&h, get(&h, "/api/v1/audit?limit=2").bearer_auth(TOKEN)).await;
    let first: Value = serde_json::from_str(&text).unwrap();
    let next = first["next_before"].as_i64().unwrap();
    let (_, _, text) = send(
        &h,
        get(&h, &format!("/api/v1/audit?limit=2&before={next}")).bearer_auth(TOKEN),
    )
    .await;
    let second: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(second["entries"][0]["path"], "/api/v1/providers/mock/test");
    assert_eq!(second["next_before"], Value::Null);
    assert_eq!(
        send(&h, get(&h, "/api/v1/audit?limit=0").bearer_auth(TOKEN))
            .await
            .0,
        400
    );
    assert_eq!(store.audit_list(100, None).unwrap().len(), 3);
}

#[tokio::test]
async fn docs_page_is_served_and_references_only_local_urls() {
    let h = start().await;
    let (status, headers, page) = send(&h, get(&h, "/api/v1/docs")).await;
    assert_eq!(status, 200);
    assert!(headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    assert!(headers["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("default-src 'self'"));
    assert!(
        page.contains("fetch(\"openapi.json\""),
        "renders the served document"
    );
    for remote in ["http://", "https://", "src=\"//", "href=\"//", "@import"] {
        assert!(!page.contains(remote), "the page references {remote}");
    }
    assert!(
        !page.contains("<script src") && !page.contains("<link"),
        "everything inline"
    );
}

#[tokio::test]
async fn provider_test_ok_failing_down_and_unknown() {
    let h = start().await;
    let probe = |id: &str| post(&h, &format!("/api/v1/providers/{id}/test")).bearer_auth(TOKEN);
    let (status, _, text) = send(&h, probe("mock")).await;
    assert_eq!(status, 200, "{text}");
    let ok: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        (ok["ok"].as_bool(), ok["status"].as_u64()),
        (Some(true), Some(200)),
        "{text}"
    );
    assert_eq!(ok["error"], Value::Null);
    assert_eq!(ok["method"], "list_models");
    assert!(
        ok["models_seen"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m == "mock-model"),
        "{text}"
    );
    let seen = h.mock.last_request().unwrap();
    assert!(seen.path.ends_with("/v1/models"), "{}", seen.path);
    assert_eq!(
        seen.header("authorization"),
        Some(format!("Bearer {UPSTREAM_KEY}").as_str())
    );

    let (status, _, text) = send(&h, probe("denied")).await;
    assert_eq!(status, 200, "{text}");
    let denied: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        (denied["ok"].as_bool(), denied["status"].as_u64()),
        (Some(false), Some(401)),
        "{text}"
    );
    assert!(denied["error"].as_str().unwrap().contains("401"), "{text}");

    let (_, _, text) = send(&h, probe("down")).await;
    let down: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        (down["ok"].as_bool(), &down["status"]),
        (Some(false), &Value::Null),
        "{text}"
    );
    assert!(!down["error"].as_str().unwrap().is_empty());

    let (status, _, _) = send(&h, probe("nope")).await;
    assert_eq!(status, 404);
    assert_eq!(
        send(&h, post(&h, "/api/v1/providers/mock/test")).await.0,
        401
    );
}

#[tokio::test]
async fn no_admin_answer_contains_a_provider_key() {
    let h = start().await;
    let mut answers = Vec::new();
    for path in [
        "/health",
        "/ready",
        "/metrics",
        "/api/v1/docs",
        "/api/v1/openapi.json",
        "/api/v1/audit",
        "/api/v1/usage/summary",
    ] {
        answers.push(send(&h, get(&h, path).bearer_auth(TOKEN)).await.2);
    }
    for id in ["mock", "denied", "down", "nope"] {
        let req = post(&h, &format!("/api/v1/providers/{id}/test")).bearer_auth(TOKEN);
        answers.push(send(&h, req).await.2);
    }
    for a in &answers {
        assert!(
            !a.contains(UPSTREAM_KEY) && !a.contains("upstream-secret"),
            "{a}"
        );
        assert!(!a.contains(TOKEN) && !a.contains(PASSWORD), "{a}");
    }
}

/// A usage store whose every query fails, for `/ready`.
struct Broken;

fn broken<T>() -> Result<T, StoreError> {
    Err(StoreError::InvalidValue("the disk is on fire".into()))
}

impl UsageStore for Broken {
    fn insert_batch(&self, _: &[UsageRow]) -> Result<(), StoreError> {
        broken()
    }
    fn summary(&self, _: &Filter) -> Result<Summary, StoreError> {
        broken()
    }
    fn series(&self, _: &Filter, _: Bucket) -> Result<Vec<SeriesPoint>, StoreError> {
        broken()
    }
    fn breakdown(&self, _: &Filter, _: By) -> Result<Vec<Breakdown>, StoreError> {
        broken()
    }
    fn recent(&self, _: &Filter, _: u32, _: u32) -> Result<Page, StoreError> {
        broken()
    }
    fn purge_before(&self, _: i64) -> Result<u64, StoreError> {
        broken()
    }
}

#[tokio::test]
async fn ready_is_503_with_the_reason_when_the_store_fails() {
    let h = Harness::with_store(
        MockConfig::default(),
        crate::harness::mock_provider,
        Some(Arc::new(Broken)),
    )
    .await;
    let (status, _, body) = send(&h, get(&h, "/ready")).await;
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("the disk is on fire"), "{body}");
    let dir = tempfile::tempdir().unwrap();
    let good = Arc::new(SqliteStore::open(dir.path().join("u.db")).unwrap());
    let h = Harness::with_store(
        MockConfig::default(),
        crate::harness::mock_provider,
        Some(good),
    )
    .await;
    let (status, _, body) = send(&h, get(&h, "/ready")).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"usage_store\":true"), "{body}");
}
