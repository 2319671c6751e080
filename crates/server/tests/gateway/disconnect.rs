//! A client that goes away cancels the upstream request at once.

use std::time::Duration;

use serde_json::json;

use crate::harness::{chat, Harness};

#[tokio::test]
async fn disconnect_while_waiting_for_the_upstream_head() {
    let h = Harness::start().await;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let result = client
        .post(h.url("/v1/chat/completions"))
        .header("x-mock-fault", "stall-before-headers")
        .json(&chat("mock-model"))
        .send()
        .await;
    assert!(result.is_err(), "the client gave up");
    assert!(
        h.mock.wait_cancelled(1, Duration::from_secs(5)).await,
        "upstream request still running after the client left: {:?}",
        h.mock.stats()
    );
    h.assert_still_serving().await;
}

#[tokio::test]
async fn disconnect_mid_stream() {
    let h = Harness::start().await;
    let resp = h
        .post(
            "/v1/chat/completions",
            &json!({"model": "mock-model", "stream": true, "messages": []}),
        )
        .header("x-mock-fault", "stall")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    drop(resp);
    assert!(
        h.mock.wait_cancelled(1, Duration::from_secs(5)).await,
        "{:?}",
        h.mock.stats()
    );
    let records = h.records.wait(1).await;
    assert_eq!(records[0].error, Some("client_disconnected"));
}
