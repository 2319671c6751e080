//! What the upstream sees: auth of every type, header operations, the configured User-Agent
//! (per provider and per group), and traffic through a configured outbound proxy.

use llmux_testkit::mock::{MockUpstream, RecordedRequest};

use crate::harness::{chat, Harness};

/// Sends a chat request for `model` with the client headers given; returns what the mock saw.
async fn seen(
    h: &Harness,
    mock: &MockUpstream,
    model: &str,
    headers: &[(&str, &str)],
) -> RecordedRequest {
    let mut req = h.post("/v1/chat/completions", &chat(model));
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    let resp = req.send().await.unwrap();
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
    mock.last_request().expect("the upstream got the request")
}

#[tokio::test]
async fn header_operations_and_user_agent_reach_the_upstream() {
    let h = Harness::with_config(|url| {
        format!(
            r#"
providers:
  ops:
    type: openai-compatible
    base_url: "{url}/v1"
    api_key: sk-ops-key-0001
    models: [mock-model]
    headers: {{ X-Team: infra, X-Env: prod }}
    header_ops:
      - {{ op: insert, name: x-trace, value: from-llmux }}
      - {{ op: insert, name: x-tenant, value: t-default }}
      - {{ op: replace, name: x-env, value: staging }}
      - {{ op: replace, name: x-client-tag, value: forced }}
      - {{ op: remove, name: x-team }}
      - {{ op: remove, name: x-debug }}
    http: {{ user_agent: "acme-gateway/2.0" }}
  plain:
    type: openai-compatible
    base_url: "{url}/v1"
    api_key: sk-plain-key-0002
    models: [other-model]
"#
        )
    })
    .await;
    let client = [
        ("user-agent", "client-sdk/1.0"),
        ("x-trace", "from-client"),
        ("x-client-tag", "mine"),
        ("x-debug", "1"),
    ];
    let up = seen(&h, &h.mock, "ops/mock-model", &client).await;
    assert_eq!(up.header("authorization"), Some("Bearer sk-ops-key-0001"));
    assert_eq!(
        up.header("user-agent"),
        Some("acme-gateway/2.0"),
        "configured UA wins"
    );
    assert_eq!(
        up.header("x-trace"),
        Some("from-client"),
        "insert keeps the client's"
    );
    assert_eq!(
        up.header("x-tenant"),
        Some("t-default"),
        "insert adds when absent"
    );
    assert_eq!(
        up.header("x-env"),
        Some("staging"),
        "replace beats `headers:`"
    );
    assert_eq!(
        up.header("x-client-tag"),
        Some("forced"),
        "replace beats the client"
    );
    assert_eq!(up.header("x-team"), None, "remove drops a `headers:` entry");
    assert_eq!(up.header("x-debug"), None, "remove drops a client header");
    // Without settings, the client's User-Agent goes upstream as before.
    let up = seen(&h, &h.mock, "plain/other-model", &client).await;
    assert_eq!(up.header("user-agent"), Some("client-sdk/1.0"));
    assert_eq!(up.header("x-tenant"), None, "ops belong to their provider");
}

#[tokio::test]
async fn every_auth_type_sends_its_own_header() {
    let h = Harness::with_config(|url| {
        format!(
            r#"
providers:
  bearer: {{ type: openai-compatible, base_url: "{url}/v1", api_key: sk-bearer-01, models: [m1] }}
  custom: {{ type: openai-compatible, base_url: "{url}/v1", api_key: k-custom-02, auth: "header:X-Internal-Key", models: [m2] }}
  basic:
    type: openai-compatible
    base_url: "{url}/v1"
    auth: {{ type: basic, username: Aladdin, password: open sesame }}
    models: [m3]
  none: {{ type: openai-compatible, base_url: "{url}/v1", api_key: k-unsent-04, auth: none, models: [m4] }}
  claude:
    type: anthropic
    base_url: "{url}/v1"
    api_key: sk-ant-05
    models: [claude-sonnet-4-5]
    header_ops: [{{ op: replace, name: anthropic-version, value: "2024-02-02" }}]
"#
        )
    })
    .await;
    let m = &h.mock;
    let up = seen(&h, m, "m1", &[]).await;
    assert_eq!(up.header("authorization"), Some("Bearer sk-bearer-01"));
    let up = seen(&h, m, "m2", &[]).await;
    assert_eq!(up.header("x-internal-key"), Some("k-custom-02"));
    assert_eq!(up.header("authorization"), None);
    let up = seen(&h, m, "m3", &[]).await;
    assert_eq!(
        up.header("authorization"),
        Some("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==")
    );
    let up = seen(&h, m, "m4", &[]).await;
    assert_eq!(up.header("authorization"), None);
    assert!(up.headers.iter().all(|(_, v)| !v.contains("k-unsent-04")));
    // Translated calls get the operations too: they replace the default version header.
    let up = seen(&h, m, "claude-sonnet-4-5", &[]).await;
    assert_eq!(up.path, "/v1/messages");
    assert_eq!(up.header("x-api-key"), Some("sk-ant-05"));
    assert_eq!(up.header("anthropic-version"), Some("2024-02-02"));
}

#[tokio::test]
async fn a_group_user_agent_applies_to_its_members_only() {
    let h = Harness::with_config(|url| {
        format!(
            r#"
providers:
  p: {{ type: openai-compatible, base_url: "{url}/v1", api_key: sk-p-01, models: [mock-model], http: {{ user_agent: provider-ua/1 }} }}
groups:
  team:
    members: [p/mock-model]
    http: {{ user_agent: team-ua/2 }}
"#
        )
    })
    .await;
    let up = seen(&h, &h.mock, "team", &[("user-agent", "sdk/3")]).await;
    assert_eq!(up.header("user-agent"), Some("team-ua/2"));
    assert_eq!(
        up.header("authorization"),
        Some("Bearer sk-p-01"),
        "the copy keeps the key"
    );
    let up = seen(&h, &h.mock, "p/mock-model", &[("user-agent", "sdk/3")]).await;
    assert_eq!(up.header("user-agent"), Some("provider-ua/1"));
}

#[tokio::test]
async fn a_configured_proxy_carries_the_traffic_with_its_credentials() {
    // A second mock plays the plain-HTTP proxy: it records the absolute-form requests.
    let proxy = MockUpstream::start(Default::default()).await.unwrap();
    let proxy_url = proxy
        .url()
        .replacen("http://", "http://proxy-user:pr0xy-pass@", 1);
    let h = Harness::with_config(|url| {
        format!(
            r#"
providers:
  far:
    type: openai-compatible
    base_url: "http://upstream.invalid/v1"
    api_key: sk-far-01
    models: [far-model]
    http: {{ proxy: "{proxy_url}", user_agent: far-ua/1 }}
  near: {{ type: openai-compatible, base_url: "{url}/v1", models: [mock-model] }}
groups:
  via-proxy:
    members: [near/mock-model]
    http: {{ proxy: "{proxy_url}" }}
"#
        )
    })
    .await;
    // An unresolvable host answers only through the proxy.
    let up = seen(&h, &proxy, "far-model", &[]).await;
    assert_eq!(up.header("host"), Some("upstream.invalid"));
    // base64("proxy-user:pr0xy-pass")
    assert_eq!(
        up.header("proxy-authorization"),
        Some("Basic cHJveHktdXNlcjpwcjB4eS1wYXNz")
    );
    assert_eq!(up.header("authorization"), Some("Bearer sk-far-01"));
    assert_eq!(up.header("user-agent"), Some("far-ua/1"));
    // The group's proxy carries its members' traffic; the provider itself goes direct.
    let before = proxy.requests().len();
    let up = seen(&h, &proxy, "via-proxy", &[]).await;
    assert_eq!(proxy.requests().len(), before + 1);
    assert_eq!(
        up.header("host"),
        Some(h.mock.url().trim_start_matches("http://"))
    );
    assert!(
        h.mock.requests().is_empty(),
        "nothing reached the upstream directly"
    );
    let up = seen(&h, &h.mock, "near/mock-model", &[]).await;
    assert_eq!(up.header("proxy-authorization"), None);
    assert_eq!(
        proxy.requests().len(),
        before + 1,
        "direct: not through the proxy"
    );
}
