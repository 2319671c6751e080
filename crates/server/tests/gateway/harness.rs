//! Starts a mock upstream and a gateway in-process, on ephemeral loopback ports.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use llmux_engine::config::{Config, Env};
use llmux_engine::metrics::{Metrics, MetricsSink};
use llmux_engine::record::{RecordSink, RequestRecord};
use llmux_engine::{Gateway, Snapshot};
use llmux_server::{admin_auth, AppState, Listeners};
use llmux_store::{AdminStore, UsageStore};
use llmux_testkit::mock::{MockConfig, MockUpstream};
use tokio::sync::oneshot;

/// Collects request records.
#[derive(Default)]
pub struct Records(pub Mutex<Vec<RequestRecord>>);

impl RecordSink for Records {
    fn record(&self, r: RequestRecord) {
        self.0.lock().unwrap().push(r);
    }
}

impl Records {
    /// Waits until `n` records arrived (they are emitted when a body finishes).
    pub async fn wait(&self, n: usize) -> Vec<RequestRecord> {
        for _ in 0..200 {
            {
                let got = self.0.lock().unwrap();
                if got.len() >= n {
                    return got.clone();
                }
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        self.0.lock().unwrap().clone()
    }
}

pub struct Harness {
    pub mock: MockUpstream,
    pub base: String,
    pub admin: String,
    pub records: Arc<Records>,
    pub client: reqwest::Client,
    pub gateway: Arc<Gateway>,
    /// Base URL of each forward listener, by name.
    pub forwards: Vec<(String, String)>,
    _stop: oneshot::Sender<()>,
}

/// The default test config: provider `mock` (OpenAI-compatible, with a key) at the mock.
pub fn mock_provider(url: &str) -> String {
    format!(
        r#"
providers:
  mock:
    type: openai-compatible
    base_url: "{url}/v1"
    api_key: sk-upstream-secret-0001
    models: [mock-model, mock-embed]
    headers: {{ X-Team: infra }}
"#
    )
}

impl Harness {
    /// Mock + gateway with the default provider config.
    pub async fn start() -> Harness {
        Self::with_config(mock_provider).await
    }

    /// Mock + gateway; `yaml` builds the config from the mock's URL.
    pub async fn with_config(yaml: impl FnOnce(&str) -> String) -> Harness {
        Self::with_mock(MockConfig::default(), yaml).await
    }

    pub async fn with_mock(mock_config: MockConfig, yaml: impl FnOnce(&str) -> String) -> Harness {
        Self::with_store(mock_config, yaml, None).await
    }

    /// Mock + gateway whose admin API reads usage from `usage` (`None`: usage off).
    pub async fn with_store(
        mock_config: MockConfig,
        yaml: impl FnOnce(&str) -> String,
        usage: Option<Arc<dyn UsageStore>>,
    ) -> Harness {
        Self::with_parts(mock_config, yaml, usage, None).await
    }

    /// Mock + gateway whose admin listener keeps its audit log (and password hash) in
    /// `admin_store`; admin credentials come from the config's `admin:` section, on a
    /// loopback listener (open when it has none).
    pub async fn with_parts(
        mock_config: MockConfig,
        yaml: impl FnOnce(&str) -> String,
        usage: Option<Arc<dyn UsageStore>>,
        admin_store: Option<Arc<dyn AdminStore>>,
    ) -> Harness {
        Self::with_all(mock_config, yaml, usage, admin_store, None).await
    }

    /// [`Harness::with_parts`] with a key store behind `/api/v1/keys`.
    pub async fn with_all(
        mock_config: MockConfig,
        yaml: impl FnOnce(&str) -> String,
        usage: Option<Arc<dyn UsageStore>>,
        admin_store: Option<Arc<dyn AdminStore>>,
        keys: Option<Arc<dyn llmux_store::KeyStore>>,
    ) -> Harness {
        let mock = MockUpstream::start(mock_config).await.unwrap();
        let text = yaml(&mock.url());
        let config = Config::load(Some(("test.yaml", &text)), &Env::default())
            .unwrap_or_else(|e| panic!("{e}"));
        let (auth, _) = admin_auth::setup(&config.admin, true, admin_store.as_deref(), 0).unwrap();
        let admin_plane = Arc::new(admin_auth::AdminPlane {
            auth,
            store: admin_store,
        });
        let records = Arc::new(Records::default());
        // As `llmux serve` chains it: metrics first, then (here) the collected records.
        let metrics = Arc::new(Metrics::default());
        let sink = Arc::new(MetricsSink::new(metrics.clone(), records.clone()));
        let gateway = Arc::new(Gateway::with_metrics(
            Snapshot::build(config).unwrap(),
            sink,
            metrics,
        ));
        let mut listeners = Listeners::bind(
            "127.0.0.1:0".parse().unwrap(),
            "127.0.0.1:0".parse().unwrap(),
        )
        .await
        .unwrap();
        listeners
            .bind_forwards(&gateway.snapshot().config.server.forwards)
            .unwrap();
        let forwards = listeners
            .forward_addrs()
            .unwrap()
            .into_iter()
            .map(|(name, addr)| (name, format!("http://{addr}")))
            .collect();
        let base = format!("http://{}", listeners.data_addr().unwrap());
        let admin = format!("http://{}", listeners.admin_addr().unwrap());
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(llmux_server::run(
            AppState {
                gateway: gateway.clone(),
                usage,
                discovery: None,
                config: None,
                admin: admin_plane,
                keys,
            },
            listeners,
            async {
                let _ = stopped.await;
            },
            Duration::from_secs(1),
        ));
        Harness {
            mock,
            base,
            admin,
            records,
            client: reqwest::Client::builder().no_proxy().build().unwrap(),
            gateway,
            forwards,
            _stop: stop,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// GETs a data-plane path and parses its JSON answer.
    pub async fn get_json(&self, path: &str) -> serde_json::Value {
        self.client
            .get(self.url(path))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// The admin listener's Prometheus exposition, as text.
    pub async fn metrics_text(&self) -> String {
        self.client
            .get(format!("{}/metrics", self.admin))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    /// POSTs a JSON body to the data plane.
    pub fn post(&self, path: &str, body: &serde_json::Value) -> reqwest::RequestBuilder {
        self.client.post(self.url(path)).json(body)
    }

    /// Asserts the gateway still answers a plain request for `model`.
    pub async fn assert_still_serving_model(&self, model: &str) {
        let resp = self
            .post("/v1/chat/completions", &chat(model))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "gateway stopped serving {model}");
    }

    /// Asserts the gateway still answers normally.
    pub async fn assert_still_serving(&self) {
        let health = self
            .client
            .get(format!("{}/health", self.admin))
            .send()
            .await
            .unwrap();
        assert_eq!(health.status(), 200);
        let resp = self
            .post("/v1/chat/completions", &chat("mock-model"))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "gateway stopped serving");
        let v: serde_json::Value = resp.json().await.unwrap();
        assert_eq!(
            v["choices"][0]["message"]["content"],
            "Hello from llmux-mock."
        );
    }
}

/// A minimal chat request.
pub fn chat(model: &str) -> serde_json::Value {
    serde_json::json!({"model": model, "messages": [{"role": "user", "content": "hi"}]})
}

/// Reads a vendored provider fixture.
pub fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/../../tests/fixtures/providers/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

/// Parses an OpenAI error body and checks its shape.
pub fn openai_error(body: &[u8]) -> serde_json::Value {
    let v: serde_json::Value = serde_json::from_slice(body)
        .unwrap_or_else(|_| panic!("not JSON: {}", String::from_utf8_lossy(body)));
    let e = &v["error"];
    assert!(e["message"].is_string(), "error.message missing: {v}");
    assert!(e["type"].is_string(), "error.type missing: {v}");
    e.clone()
}
