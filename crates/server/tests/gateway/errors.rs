//! Bad input and failing upstreams: a clear error in OpenAI's shape, the right status, and the
//! gateway keeps serving.

use serde_json::json;

use crate::harness::{chat, fixture, mock_provider, openai_error, Harness};

#[tokio::test]
async fn bad_requests_table() {
    let h = Harness::start().await;
    // (body, status, code, param, words the message must contain)
    type Case = (
        Vec<u8>,
        u16,
        &'static str,
        Option<&'static str>,
        &'static str,
    );
    let cases: Vec<Case> = vec![
        (
            b"{not json".to_vec(),
            400,
            "invalid_json",
            None,
            "not valid JSON",
        ),
        (b"".to_vec(), 400, "invalid_json", None, "ends before"),
        (
            b"[1,2]".to_vec(),
            400,
            "invalid_json",
            None,
            "must be a JSON object",
        ),
        (
            br#"{"messages":[]}"#.to_vec(),
            400,
            "invalid_field",
            Some("model"),
            "provide a model",
        ),
        (
            br#"{"model":42,"messages":[]}"#.to_vec(),
            400,
            "invalid_field",
            Some("model"),
            "must be a string, got a number",
        ),
        (
            br#"{"model":"mock-model","stream":"yes","messages":[]}"#.to_vec(),
            400,
            "invalid_field",
            Some("stream"),
            "true or false",
        ),
        (
            br#"{"model":"mock-model","messages":{"role":"user"}}"#.to_vec(),
            400,
            "invalid_field",
            Some("messages"),
            "must be a list",
        ),
        (
            br#"{"model":"mock-model"}"#.to_vec(),
            400,
            "invalid_field",
            Some("messages"),
            "`messages` is required",
        ),
        (
            br#"{"model":"mock-model","messages":[],"stream_options":3}"#.to_vec(),
            400,
            "invalid_field",
            Some("stream_options"),
            "must be an object",
        ),
        (
            br#"{"model":"gpt-9-turbo","messages":[]}"#.to_vec(),
            404,
            "model_not_found",
            Some("model"),
            "`gpt-9-turbo`",
        ),
    ];
    for (body, status, code, param, words) in cases {
        let resp = h
            .client
            .post(h.url("/v1/chat/completions"))
            .header("content-type", "application/json")
            .body(body.clone())
            .send()
            .await
            .unwrap();
        let label = String::from_utf8_lossy(&body).to_string();
        assert_eq!(resp.status(), status, "{label}");
        assert_eq!(resp.headers()["x-request-id"].len(), 32, "{label}");
        let e = openai_error(&resp.bytes().await.unwrap());
        assert_eq!(e["code"], code, "{label}: {e}");
        assert_eq!(e["param"].as_str(), param, "{label}: {e}");
        assert!(
            e["message"].as_str().unwrap().contains(words),
            "{label}: {e}"
        );
    }
    assert_eq!(
        h.mock.stats().requests,
        0,
        "nothing bad reached the upstream"
    );
    h.assert_still_serving().await;
}

#[tokio::test]
async fn unknown_model_message_says_how_to_list_models() {
    let h = Harness::start().await;
    let resp = h
        .post("/v1/chat/completions", &chat("nope"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    let e = openai_error(&resp.bytes().await.unwrap());
    assert_eq!(e["type"], "invalid_request_error");
    assert!(e["message"].as_str().unwrap().contains("GET /v1/models"));
}

#[tokio::test]
async fn body_over_the_limit_is_413() {
    let h = Harness::start().await;
    let big = format!(
        r#"{{"model":"mock-model","messages":[{{"role":"user","content":"{}"}}]}}"#,
        "x".repeat(20 << 20)
    );
    let resp = h
        .client
        .post(h.url("/v1/chat/completions"))
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 413);
    let e = openai_error(&resp.bytes().await.unwrap());
    assert_eq!(e["code"], "payload_too_large");
    assert!(e["message"].as_str().unwrap().contains("server.body_limit"));
    assert_eq!(h.mock.stats().requests, 0);
    h.assert_still_serving().await;
}

#[tokio::test]
async fn upstream_errors_pass_through_unchanged() {
    let h = Harness::start().await;
    // A captured real OpenAI 404 body and status, untouched.
    let resp = h
        .post("/v1/chat/completions", &chat("mock-model"))
        .header("x-mock-fixture", "openai-chat/error-404-unknown-model.json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    assert_eq!(
        resp.bytes().await.unwrap().as_ref(),
        fixture("openai-chat/error-404-unknown-model.json").as_slice()
    );

    let resp = h
        .post("/v1/chat/completions", &chat("mock-model"))
        .header("x-mock-fault", "429:7")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 429);
    assert_eq!(resp.headers()["retry-after"], "7");
    assert!(resp.headers().contains_key("x-request-id"));
    // The upstream's own body, unchanged (OpenAI says type "requests", code "rate_limit_exceeded").
    assert_eq!(
        openai_error(&resp.bytes().await.unwrap())["code"],
        "rate_limit_exceeded"
    );

    let resp = h
        .post("/v1/chat/completions", &chat("mock-model"))
        .header("x-mock-fault", "status:503")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 503);
    let records = h.records.wait(3).await;
    assert!(
        records.iter().all(|r| r.error == Some("upstream_status")),
        "{records:?}"
    );
    h.assert_still_serving().await;
}

#[tokio::test]
async fn malformed_upstream_json_reaches_the_client_as_sent() {
    let h = Harness::start().await;
    let resp = h
        .post("/v1/chat/completions", &chat("mock-model"))
        .header("x-mock-fault", "malformed-json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.bytes().await.unwrap().as_ref(),
        br#"{"id":"chatcmpl-broken","choi"#
    );
    h.assert_still_serving().await;
}

#[tokio::test]
async fn unreachable_upstream_is_502() {
    // A port nothing listens on.
    let free = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let h = Harness::with_config(|url| {
        format!(
            "{}  dead:\n    type: openai-compatible\n    base_url: \"http://{free}/v1\"\n",
            mock_provider(url)
        )
    })
    .await;
    let resp = h
        .post("/v1/chat/completions", &chat("dead/m"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 502);
    let e = openai_error(&resp.bytes().await.unwrap());
    assert_eq!(e["code"], "upstream_unreachable");
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("could not reach provider `dead`"),
        "{e}"
    );
    h.assert_still_serving().await;
}

#[tokio::test]
async fn upstream_reset_before_headers_is_502() {
    let h = Harness::start().await;
    let resp = h
        .post("/v1/chat/completions", &chat("mock-model"))
        .header("x-mock-fault", "reset-before-headers")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 502);
    assert_eq!(
        openai_error(&resp.bytes().await.unwrap())["code"],
        "upstream_broken"
    );
    h.assert_still_serving().await;
}

#[tokio::test]
async fn slow_first_byte_is_504() {
    let h = Harness::with_config(|url| {
        format!(
            "{}    timeouts: {{ first_byte: 200ms }}\n",
            mock_provider(url)
        )
    })
    .await;
    let resp = h
        .post("/v1/chat/completions", &chat("mock-model"))
        .header("x-mock-fault", "stall-before-headers")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 504);
    let e = openai_error(&resp.bytes().await.unwrap());
    assert_eq!(e["code"], "upstream_timeout");
    assert!(
        e["message"].as_str().unwrap().contains("within 200ms"),
        "{e}"
    );
    assert!(
        h.mock
            .wait_cancelled(1, std::time::Duration::from_secs(5))
            .await,
        "upstream request abandoned"
    );
}

#[tokio::test]
async fn provider_of_another_protocol_is_refused_clearly() {
    // Legacy completions have no form in Anthropic's API: a clear 400 naming both protocols.
    let h = Harness::with_config(|url| {
        format!(
            "{}  claude:\n    type: anthropic\n    base_url: \"{url}/v1\"\n    models: [claude-x]\n",
            mock_provider(url)
        )
    })
    .await;
    let resp = h
        .post(
            "/v1/completions",
            &json!({"model": "claude-x", "prompt": "Say hi"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let e = openai_error(&resp.bytes().await.unwrap());
    assert_eq!(e["code"], "unsupported_translation");
    let message = e["message"].as_str().unwrap();
    assert!(
        message.contains("anthropic") && message.contains("openai-chat"),
        "{e}"
    );
    assert_eq!(h.mock.stats().requests, 0);
}

#[tokio::test]
async fn unknown_routes_are_openai_404s() {
    let h = Harness::start().await;
    for (method, path, status) in [
        ("GET", "/v1/nothing", 404),
        ("POST", "/v2/chat/completions", 404),
        ("GET", "/v1/chat/completions", 405),
    ] {
        let resp = h
            .client
            .request(method.parse().unwrap(), h.url(path))
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), status, "{method} {path}");
        assert!(resp.headers().contains_key("x-request-id"));
        let e = openai_error(&resp.bytes().await.unwrap());
        assert!(e["message"].as_str().unwrap().contains(path), "{e}");
    }
}
