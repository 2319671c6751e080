//! Fake local model servers for discovery tests: an Ollama, LM Studio, vLLM or LiteLLM that
//! answers only its model-list endpoints, with the `owned_by` each really sends, a model list
//! that can change while it runs, and a silent kind that accepts connections and never answers.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use llmux_testkit::model_server::{FakeModelServer, ServerKind};
//! let ollama = FakeModelServer::start(ServerKind::Ollama, &["llama3.2"]).await?;
//! ollama.set_models(&["llama3.2", "qwen3"]); // a model was pulled
//! # Ok(()) }
//! ```

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::Full;
use hyper::{Request, Response};
use tokio::net::TcpListener;
use tokio::task::{JoinHandle, JoinSet};

/// Which server a [`FakeModelServer`] pretends to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerKind {
    /// `GET /api/tags`, and `GET /v1/models` with `owned_by: library` (as Ollama does).
    Ollama,
    /// `GET /v1/models` with `owned_by: organization_owner`.
    LmStudio,
    /// `GET /v1/models` with `owned_by: vllm` and `max_model_len`.
    Vllm,
    /// `GET /v1/models` with `owned_by: openai`.
    LiteLlm,
    /// `GET /v1/models` with `owned_by: someone` (an unknown OpenAI-compatible server).
    Generic,
    /// Accepts connections and reads requests, but never answers.
    Silent,
}

/// A running fake server; dropping it stops it.
pub struct FakeModelServer {
    addr: SocketAddr,
    models: Arc<Mutex<Vec<String>>>,
    requests: Arc<Mutex<Vec<String>>>,
    task: JoinHandle<()>,
}

impl FakeModelServer {
    /// Starts on `127.0.0.1` with an OS-assigned port.
    pub async fn start(kind: ServerKind, models: &[&str]) -> std::io::Result<FakeModelServer> {
        let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
        let addr = listener.local_addr()?;
        let models = Arc::new(Mutex::new(
            models.iter().map(|m| (*m).to_owned()).collect::<Vec<_>>(),
        ));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let task = tokio::spawn(accept(listener, kind, models.clone(), requests.clone()));
        Ok(FakeModelServer {
            addr,
            models,
            requests,
            task,
        })
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Replaces the listed models (a model pulled or removed).
    pub fn set_models(&self, models: &[&str]) {
        *self.models.lock().unwrap_or_else(|e| e.into_inner()) =
            models.iter().map(|m| (*m).to_owned()).collect();
    }

    /// Paths requested so far, oldest first.
    pub fn requests(&self) -> Vec<String> {
        self.requests
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

impl Drop for FakeModelServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn accept(
    listener: TcpListener,
    kind: ServerKind,
    models: Arc<Mutex<Vec<String>>>,
    requests: Arc<Mutex<Vec<String>>>,
) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let (models, requests) = (models.clone(), requests.clone());
                connections.spawn(async move {
                    let service = hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
                        let (models, requests) = (models.clone(), requests.clone());
                        async move { answer(kind, &models, &requests, req.uri().path()).await }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                        .await;
                });
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

async fn answer(
    kind: ServerKind,
    models: &Mutex<Vec<String>>,
    requests: &Mutex<Vec<String>>,
    path: &str,
) -> Result<Response<Full<Bytes>>, Infallible> {
    requests
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(path.to_owned());
    if kind == ServerKind::Silent {
        std::future::pending::<()>().await;
    }
    let list = models.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let body = match (kind, path) {
        (ServerKind::Ollama, "/api/tags") => {
            let items: Vec<serde_json::Value> = list
                .iter()
                .map(|m| serde_json::json!({"name": m, "model": m, "size": 1}))
                .collect();
            Some(serde_json::json!({ "models": items }))
        }
        (_, "/v1/models") => {
            let owner = match kind {
                ServerKind::Ollama => "library",
                ServerKind::LmStudio => "organization_owner",
                ServerKind::Vllm => "vllm",
                ServerKind::LiteLlm => "openai",
                ServerKind::Generic | ServerKind::Silent => "someone",
            };
            let items: Vec<serde_json::Value> = list
                .iter()
                .map(|m| {
                    let mut item =
                        serde_json::json!({"id": m, "object": "model", "owned_by": owner});
                    if kind == ServerKind::Vllm {
                        item["max_model_len"] = serde_json::json!(8192);
                    }
                    item
                })
                .collect();
            Some(serde_json::json!({ "object": "list", "data": items }))
        }
        _ => None,
    };
    let (status, text) = match body {
        Some(v) => (200, v.to_string()),
        None => (404, r#"{"error":"not found"}"#.to_owned()),
    };
    let mut resp = Response::new(Full::new(Bytes::from(text)));
    *resp.status_mut() = hyper::StatusCode::from_u16(status).unwrap_or_default();
    resp.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    Ok(resp)
}
