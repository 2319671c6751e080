//! The discovery admin routes of a server whose process runs no discovery: mounted, and a
//! 404 saying so rather than a 5xx or a bare 404.

use crate::harness::Harness;

#[tokio::test]
async fn without_discovery_both_routes_say_it_is_not_running() {
    let h = Harness::start().await;
    let c = reqwest::Client::new();
    let answers = [
        c.get(format!("{}/api/v1/discovery", h.admin))
            .send()
            .await
            .unwrap(),
        c.post(format!("{}/api/v1/discovery/scan", h.admin))
            .send()
            .await
            .unwrap(),
    ];
    for resp in answers {
        assert_eq!(resp.status(), 404);
        let body: serde_json::Value = resp.json().await.unwrap();
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains("discovery is not running"), "{message}");
    }
}
