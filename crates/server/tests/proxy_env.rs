//! Outbound requests honour HTTP_PROXY and NO_PROXY. Its own test binary: it changes the
//! process environment, which no other test may see.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

#[path = "gateway/harness.rs"]
#[allow(dead_code)]
mod harness;

use harness::{chat, Harness};

#[tokio::test]
async fn http_proxy_and_no_proxy_from_the_environment() {
    // The mock plays the proxy: a request for an unresolvable host can only succeed through it.
    let proxy = llmux_testkit::mock::MockUpstream::start(Default::default())
        .await
        .unwrap();
    std::env::set_var("HTTP_PROXY", proxy.url());
    std::env::remove_var("NO_PROXY");
    let config = |_: &str| {
        "providers:\n  far: { type: openai-compatible, base_url: 'http://upstream.invalid/v1', models: [m] }\n".to_owned()
    };
    let h = Harness::with_config(config).await;
    let resp = h
        .post("/v1/chat/completions", &chat("m"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let seen = proxy
        .last_request()
        .expect("request went through the proxy");
    assert_eq!(seen.header("host"), Some("upstream.invalid"));

    std::env::set_var("NO_PROXY", "upstream.invalid");
    let h = Harness::with_config(config).await;
    let resp = h
        .post("/v1/chat/completions", &chat("m"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.status(),
        502,
        "direct connection to an unresolvable host"
    );
    assert_eq!(proxy.requests().len(), 1, "NO_PROXY bypassed the proxy");
    std::env::remove_var("HTTP_PROXY");
    std::env::remove_var("NO_PROXY");
}
