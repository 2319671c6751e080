//! Mock LLM upstream server.
//!
//! [`MockUpstream::start`] binds a tiny hyper server (HTTP/1.1 keep-alive and HTTP/2) that
//! answers like the OpenAI, Anthropic, Gemini and Ollama APIs:
//!
//! - `POST …/chat/completions`, `…/completions`, `…/embeddings`, `GET …/models[/{id}]`:
//!   scripted OpenAI answers echoing the request's `model` (stream and non-stream, with
//!   `stream_options.include_usage`).
//! - `POST …/responses`, `…/messages`, `…:generateContent`, `…:streamGenerateContent`,
//!   `…/api/chat`, `…/api/generate`: replay of the captured fixtures in
//!   [`MockConfig::fixtures_dir`]. `GET …/api/tags` and `…/api/version` are scripted.
//! - `GET /_mock/requests`, `DELETE /_mock/requests`, `GET /_mock/stats`: control endpoints.
//!
//! Any request may steer the answer with `x-mock-*` headers (fixture replay, delays, chunk
//! count, text, faults): see [`MockUpstream`].
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use llmux_testkit::mock::{MockConfig, MockUpstream};
//! let mock = MockUpstream::start(MockConfig::default()).await?;
//! let base_url = format!("{}/v1", mock.url()); // point the gateway's provider here
//! // … send traffic (optionally with `x-mock-fault: reset-mid-stream` etc.) …
//! assert_eq!(mock.stats().cancelled, 0);
//! # let _ = base_url; Ok(()) }
//! ```

mod body;
mod controls;
mod fixtures;
mod handler;
mod native;
mod scripted;

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::Bytes;
use serde::Serialize;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

use body::Counters;
use fixtures::FixtureCache;

/// How many requests [`MockUpstream::requests`] keeps (the most recent ones).
const RECORD_CAPACITY: usize = 1000;

/// Configuration of a [`MockUpstream`]. Per-request `x-mock-*` headers override most fields.
#[derive(Debug, Clone)]
pub struct MockConfig {
    /// Root of the fixture files (`x-mock-fixture` paths and replay endpoints are relative to it).
    /// Default: env `LLMUX_MOCK_FIXTURES`, else the workspace's `tests/fixtures/providers`.
    pub fixtures_dir: PathBuf,
    /// Number of content chunks in a scripted stream (default 3).
    pub stream_chunks: usize,
    /// Delay before the response head (default 0).
    pub delay: Duration,
    /// Delay between stream frames (default 0).
    pub chunk_delay: Duration,
    /// Models listed by `GET /v1/models` and `GET /api/tags` (default `mock-model`, `mock-embed`).
    pub models: Vec<String>,
    /// Keep received requests (a ring of the last 1000). Default true; benchmarks turn it off.
    pub record: bool,
}

impl Default for MockConfig {
    fn default() -> Self {
        let fixtures_dir = std::env::var_os("LLMUX_MOCK_FIXTURES")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                PathBuf::from(concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/../../tests/fixtures/providers"
                ))
            });
        Self {
            fixtures_dir,
            stream_chunks: 3,
            delay: Duration::ZERO,
            chunk_delay: Duration::ZERO,
            models: vec!["mock-model".to_owned(), "mock-embed".to_owned()],
            record: true,
        }
    }
}

/// One request the mock received (control endpoints under `/_mock/` are not recorded).
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    /// HTTP method, e.g. `POST`.
    pub method: String,
    /// Path plus `?query` if the request had one.
    pub path: String,
    /// Headers in arrival order; names are lowercase.
    pub headers: Vec<(String, String)>,
    /// The raw request body.
    pub body: Bytes,
}

impl RecordedRequest {
    /// Value of the first header called `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body parsed as JSON, or `Value::Null` if it is not JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

impl Serialize for RecordedRequest {
    /// Serialized for `GET /_mock/requests`: the body as a (lossy) UTF-8 string.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Wire<'a> {
            method: &'a str,
            path: &'a str,
            headers: &'a [(String, String)],
            body: std::borrow::Cow<'a, str>,
        }
        Wire {
            method: &self.method,
            path: &self.path,
            headers: &self.headers,
            body: String::from_utf8_lossy(&self.body),
        }
        .serialize(serializer)
    }
}

/// Counters of a [`MockUpstream`] (control endpoints are not counted).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct MockStats {
    /// Requests received.
    pub requests: u64,
    /// Responses whose body was sent completely.
    pub completed: u64,
    /// Responses abandoned because the client went away (during the delay before the head,
    /// or while the body was still streaming).
    pub cancelled: u64,
}

/// State shared by the server tasks and the [`MockUpstream`] handle.
pub(crate) struct Shared {
    pub(crate) config: MockConfig,
    /// Default `x-mock-*` controls, used when a request does not carry the header.
    pub(crate) defaults: std::sync::RwLock<Vec<(String, String)>>,
    pub(crate) counters: Arc<Counters>,
    pub(crate) recorded: Mutex<VecDeque<RecordedRequest>>,
    pub(crate) fixtures: FixtureCache,
    /// Pre-rendered `GET /v1/models` body.
    pub(crate) models_json: Bytes,
    /// Pre-rendered `GET /api/tags` body.
    pub(crate) tags_json: Bytes,
}

impl Shared {
    pub(crate) fn recorded(&self) -> MutexGuard<'_, VecDeque<RecordedRequest>> {
        self.recorded.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn stats(&self) -> MockStats {
        MockStats {
            requests: self.counters.requests.load(Ordering::Relaxed),
            completed: self.counters.completed.load(Ordering::Relaxed),
            cancelled: self.counters.cancelled.load(Ordering::Relaxed),
        }
    }
}

/// A running mock upstream. Dropping the handle shuts the server down (listener and all
/// open connections).
///
/// Per-request control headers (also settable as server-wide defaults, see
/// [`MockUpstream::start_on_with_defaults`]):
///
/// - `x-mock-fixture: <path under fixtures_dir>`: reply with that file (status from
///   `x-mock-status`, else `NNN` for `error-NNN-*` files, else 200).
/// - `x-mock-status: NNN`: override the status of any reply.
/// - `x-mock-delay-ms`, `x-mock-chunk-delay-ms`, `x-mock-chunks`, `x-mock-text`.
/// - `x-mock-fault: status:NNN | 429[:SECS] | reset-before-headers | reset-mid-stream |
///   stall | stall-before-headers | truncate | malformed-json | context-length`.
/// - `x-mock-fault-rate: 0.0..1.0`: the fault hits only that share of requests, at random.
/// - `x-mock-delay-rate: 0.0..1.0`: `x-mock-delay-ms` applies only to that share (a slow tail).
pub struct MockUpstream {
    addr: SocketAddr,
    shared: Arc<Shared>,
    server: JoinHandle<()>,
}

impl MockUpstream {
    /// Start on `127.0.0.1` with an OS-assigned port.
    pub async fn start(config: MockConfig) -> std::io::Result<MockUpstream> {
        Self::start_on(SocketAddr::from(([127, 0, 0, 1], 0)), config).await
    }

    /// Start on `addr` (port 0 picks a free port; see [`MockUpstream::addr`]).
    pub async fn start_on(addr: SocketAddr, config: MockConfig) -> std::io::Result<MockUpstream> {
        Self::start_on_with_defaults(addr, config, Vec::new()).await
    }

    /// Like [`MockUpstream::start_on`], with server-wide default control headers:
    /// `(name, value)` pairs such as `("x-mock-fault", "stall")` that apply to every request
    /// not carrying that header itself. Used by the `llmux-mock` binary's CLI flags.
    /// An invalid default value is an `InvalidInput` error.
    pub async fn start_on_with_defaults(
        addr: SocketAddr,
        config: MockConfig,
        defaults: Vec<(String, String)>,
    ) -> std::io::Result<MockUpstream> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let defaults: Vec<(String, String)> = defaults
            .into_iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v))
            .collect();
        controls::Controls::parse(&http::HeaderMap::new(), &defaults)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
        let shared = Arc::new(Shared {
            models_json: scripted::models_list(&config.models),
            tags_json: scripted::ollama_tags(&config.models),
            fixtures: FixtureCache::new(config.fixtures_dir.clone()),
            config,
            defaults: std::sync::RwLock::new(defaults),
            counters: Arc::new(Counters::default()),
            recorded: Mutex::new(VecDeque::new()),
        });
        let server = tokio::spawn(accept_loop(listener, shared.clone()));
        Ok(MockUpstream {
            addr,
            shared,
            server,
        })
    }

    /// Replaces the server-wide default control headers (lowercase names), e.g. to make a
    /// healthy upstream start failing and recover later. An invalid value is an error and
    /// leaves the old defaults.
    pub fn set_defaults(&self, defaults: Vec<(String, String)>) -> Result<(), String> {
        let defaults: Vec<(String, String)> = defaults
            .into_iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v))
            .collect();
        controls::Controls::parse(&http::HeaderMap::new(), &defaults)?;
        *self
            .shared
            .defaults
            .write()
            .unwrap_or_else(|e| e.into_inner()) = defaults;
        Ok(())
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Base URL, e.g. `http://127.0.0.1:PORT` (no trailing slash).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Recorded requests, oldest first (at most the last 1000).
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.recorded().iter().cloned().collect()
    }

    /// The most recent recorded request.
    pub fn last_request(&self) -> Option<RecordedRequest> {
        self.shared.recorded().back().cloned()
    }

    /// Forget the recorded requests (counters are kept).
    pub fn clear(&self) {
        self.shared.recorded().clear();
    }

    /// Current counters.
    pub fn stats(&self) -> MockStats {
        self.shared.stats()
    }

    /// Wait until `stats().cancelled >= n`; false if `timeout` passes first.
    pub async fn wait_cancelled(&self, n: u64, timeout: Duration) -> bool {
        let counters = &self.shared.counters;
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = counters.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if counters.cancelled.load(Ordering::Acquire) >= n {
                return true;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return counters.cancelled.load(Ordering::Acquire) >= n;
            }
        }
    }
}

impl Drop for MockUpstream {
    fn drop(&mut self) {
        // Aborting the accept loop drops its JoinSet, which aborts every connection task.
        self.server.abort();
    }
}

impl std::fmt::Debug for MockUpstream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockUpstream")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    connections.spawn(serve_connection(stream, shared.clone()));
                }
                // Typically EMFILE under load: back off briefly instead of spinning.
                Err(_) => tokio::time::sleep(Duration::from_millis(5)).await,
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

async fn serve_connection(stream: TcpStream, shared: Arc<Shared>) {
    let _ = stream.set_nodelay(true);
    let service = hyper::service::service_fn(move |req| handler::handle(shared.clone(), req));
    let builder =
        hyper_util::server::conn::auto::Builder::new(hyper_util::rt::TokioExecutor::new());
    let _ = builder
        .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
        .await;
}
