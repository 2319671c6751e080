//! Request handling: recording, control headers, faults, and routing to scripted answers or
//! fixture replays.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::header::{HeaderValue, CACHE_CONTROL, CONTENT_TYPE, RETRY_AFTER};
use http::{request::Parts, Method, Request, Response, StatusCode};
use http_body_util::BodyExt;
use hyper::body::Incoming;

use super::body::{End, MockBody, Tracker};
use super::controls::{Controls, Fault};
use super::fixtures::{Fixture, FixtureError};
use super::native;
use super::scripted::{self, RequestFields, Script, DEFAULT_TEXT};
use super::{RecordedRequest, Shared, RECORD_CAPACITY};

const JSON: &str = "application/json";
const SSE: &str = "text/event-stream";
/// Body of the `malformed-json` fault.
const MALFORMED: &[u8] = b"{\"id\":\"chatcmpl-broken\",\"choi";

/// Service error that makes hyper close the connection without answering.
#[derive(Debug)]
pub(crate) struct ResetConnection;

impl std::fmt::Display for ResetConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("llmux-mock: connection closed without a response")
    }
}

impl std::error::Error for ResetConnection {}

/// A response before it becomes a [`MockBody`].
struct Reply {
    status: u16,
    content_type: &'static str,
    frames: Vec<Bytes>,
    streaming: bool,
    retry_after: Option<u64>,
}

impl Reply {
    fn json(status: u16, body: Bytes) -> Self {
        Self {
            status,
            content_type: JSON,
            frames: vec![body],
            streaming: false,
            retry_after: None,
        }
    }

    fn error(status: u16, message: &str, kind: &str, code: Option<&str>) -> Self {
        Self::json(status, scripted::openai_error(message, kind, code))
    }

    fn sse(frames: Vec<Bytes>) -> Self {
        Self {
            status: 200,
            content_type: SSE,
            frames,
            streaming: true,
            retry_after: None,
        }
    }

    fn fixture(f: &Fixture) -> Self {
        Self {
            status: f.status,
            content_type: f.content_type,
            frames: f.frames.clone(),
            streaming: f.streaming,
            retry_after: None,
        }
    }

    fn into_response(
        self,
        chunk_delay: Duration,
        end: End,
        tracker: Tracker,
    ) -> Response<MockBody> {
        let body = MockBody::new(self.frames, chunk_delay, end, self.streaming, tracker);
        let mut response = Response::new(body);
        *response.status_mut() =
            StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let headers = response.headers_mut();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(self.content_type));
        if self.content_type == SSE {
            headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        }
        if let Some(secs) = self.retry_after {
            headers.insert(RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

/// The hyper service function.
pub(crate) async fn handle(
    shared: Arc<Shared>,
    req: Request<Incoming>,
) -> Result<Response<MockBody>, ResetConnection> {
    let (parts, body) = req.into_parts();
    let body = body
        .collect()
        .await
        .map_err(|_| ResetConnection)?
        .to_bytes();
    let path = parts.uri.path();
    if path.starts_with("/_mock/") {
        return Ok(control(&shared, &parts.method, path));
    }
    let seq = shared.counters.requests.fetch_add(1, Ordering::Relaxed) + 1;
    if shared.config.record {
        record(&shared, &parts, &body);
    }
    // From here on, dropping this future (client gone) counts as cancelled.
    let mut tracker = Tracker::new(shared.counters.clone());
    let parsed = {
        let defaults = shared.defaults.read().unwrap_or_else(|e| e.into_inner());
        Controls::parse(&parts.headers, &defaults)
    };
    let controls = match parsed {
        Ok(c) => c,
        Err(msg) => {
            let reply = Reply::error(400, &msg, "invalid_request_error", None);
            return Ok(reply.into_response(Duration::ZERO, End::Finish, tracker));
        }
    };
    if controls.fault == Some(Fault::ResetBeforeHeaders) {
        tracker.disarm();
        return Err(ResetConnection);
    }
    let delay = controls.delay.unwrap_or(shared.config.delay);
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    if controls.fault == Some(Fault::StallBeforeHeaders) {
        std::future::pending::<()>().await;
    }
    let target = parts.uri.path_and_query().map_or(path, |pq| pq.as_str());
    let mut reply = reply(&shared, &parts.method, target, &body, &controls, seq).await;
    let fault_status = matches!(controls.fault, Some(Fault::Status(_) | Fault::RateLimit(_)));
    if let (Some(status), false) = (controls.status, fault_status) {
        reply.status = status;
    }
    let end = match controls.fault {
        Some(Fault::ResetMidStream) => {
            reply.frames.truncate(2);
            End::Reset
        }
        Some(Fault::Stall) => {
            reply.frames.truncate(1);
            End::Stall
        }
        Some(Fault::Truncate) => {
            reply.frames.truncate(2);
            End::Finish
        }
        _ => End::Finish,
    };
    let chunk_delay = controls.chunk_delay.unwrap_or(shared.config.chunk_delay);
    Ok(reply.into_response(chunk_delay, end, tracker))
}

/// Faults that replace the answer, then `x-mock-fixture`, then routing by path.
async fn reply(
    shared: &Shared,
    method: &Method,
    path: &str,
    body: &[u8],
    controls: &Controls,
    seq: u64,
) -> Reply {
    match controls.fault {
        Some(Fault::Status(code)) => {
            return Reply::error(code, &format!("mock fault {code}"), "server_error", None)
        }
        Some(Fault::ContextLength) => {
            return Reply::error(
                400,
                "This model's maximum context length is 8192 tokens. However, your messages resulted in 9000 tokens. Please reduce the length of the messages.",
                "invalid_request_error",
                Some("context_length_exceeded"),
            )
        }
        Some(Fault::RateLimit(secs)) => {
            let mut r = Reply::error(
                429,
                "Rate limit reached (llmux-mock fault). Please try again later.",
                "requests",
                Some("rate_limit_exceeded"),
            );
            r.retry_after = Some(secs);
            return r;
        }
        Some(Fault::MalformedJson) => return Reply::json(200, Bytes::from_static(MALFORMED)),
        _ => {}
    }
    if let Some(rel) = &controls.fixture {
        return fixture(shared, rel).await;
    }
    route(shared, method, path, body, controls, seq).await
}

async fn fixture(shared: &Shared, rel: &str) -> Reply {
    match shared.fixtures.get(rel).await {
        Ok(f) => Reply::fixture(&f),
        Err(FixtureError::BadPath(msg)) => Reply::error(400, &msg, "invalid_request_error", None),
        Err(FixtureError::Missing(msg)) => Reply::error(500, &msg, "server_error", None),
    }
}

/// The id of the captured `openai-responses/nonstream-text.json`: the response the mock
/// serves on `GET`/`DELETE /v1/responses/{id}` (other ids are 404, as at OpenAI).
const STORED_RESPONSE_ID: &str = "resp_68c2e8c147ac819491bcd667055eadbc02e845978fbbb592";

async fn route(
    shared: &Shared,
    method: &Method,
    path: &str,
    body: &[u8],
    controls: &Controls,
    seq: u64,
) -> Reply {
    let (path, query) = path.split_once('?').unwrap_or((path, ""));
    let p = path.trim_end_matches('/');
    let fields = RequestFields::parse(body);
    let script = || Script {
        model: fields.model(),
        text: controls.text.as_deref().unwrap_or(DEFAULT_TEXT),
        chunks: controls.chunks.unwrap_or(shared.config.stream_chunks),
        n: fields.n(),
        include_usage: fields.include_usage(),
        seq,
    };
    let stream = fields.stream == Some(true);
    let by_stream = |streamed: &str, whole: &str| if stream { streamed } else { whole }.to_owned();
    let replay = if p.ends_with("/chat/completions") {
        let s = script();
        return if stream {
            Reply::sse(s.chat_stream())
        } else {
            Reply::json(200, s.chat_json())
        };
    } else if p.ends_with("/completions") {
        let s = script();
        return if stream {
            Reply::sse(s.completion_stream())
        } else {
            Reply::json(200, s.completion_json())
        };
    } else if p.ends_with("/embeddings") {
        return match scripted::embeddings(body) {
            Ok(b) => Reply::json(200, b),
            Err(msg) => Reply::error(400, &msg, "invalid_request_error", None),
        };
    } else if let Some(id) = p
        .rsplit_once("/responses/")
        .map(|(_, id)| id)
        .filter(|id| *id == STORED_RESPONSE_ID)
    {
        // The one response this "OpenAI" holds: the captured one (read or deleted).
        if method == Method::DELETE {
            let body =
                format!("{{\"id\":\"{id}\",\"object\":\"response.deleted\",\"deleted\":true}}");
            return Reply::json(200, Bytes::from(body));
        }
        "openai-responses/nonstream-text.json".to_owned()
    } else if p.ends_with("/responses") {
        by_stream(
            "openai-responses/stream-text.sse",
            "openai-responses/nonstream-text.json",
        )
    } else if p.ends_with("/messages/count_tokens") {
        return Reply::json(200, Bytes::from_static(b"{\"input_tokens\":9}"));
    } else if p.ends_with("/messages") {
        // A stream with `x-mock-text` or `x-mock-chunks` (header, or `--text`) is scripted;
        // without them the captured fixture is replayed.
        if stream && (controls.text.is_some() || controls.chunks.is_some()) {
            return Reply::sse(script().messages_stream());
        }
        by_stream("anthropic/stream-text.sse", "anthropic/nonstream-text.json")
    } else if p.ends_with(":streamGenerateContent") {
        if !query.split('&').any(|kv| kv == "alt=sse") {
            let mut reply = fixture(shared, "gemini/stream-text.sse").await;
            reply.frames = native::sse_to_json_array(&reply.frames);
            reply.content_type = JSON;
            return reply;
        }
        "gemini/stream-text.sse".to_owned()
    } else if p.ends_with(":countTokens") {
        return Reply::json(200, native::gemini_count(body));
    } else if p.ends_with(":batchEmbedContents") || p.ends_with(":embedContent") {
        return match native::gemini_embed(body, p.ends_with(":batchEmbedContents")) {
            Ok(b) => Reply::json(200, b),
            Err(msg) => Reply::error(400, &msg, "INVALID_ARGUMENT", None),
        };
    } else if p.ends_with("/api/embed") {
        return match native::ollama_embed(body) {
            Ok(b) => Reply::json(200, b),
            Err(msg) => Reply::error(400, &msg, "invalid_request_error", None),
        };
    } else if p.ends_with(":generateContent") {
        "gemini/nonstream-text.json".to_owned()
    } else if p.ends_with("/api/chat") {
        // Ollama streams unless told otherwise.
        let streamed = fields.stream != Some(false);
        if streamed {
            "ollama/chat-stream.ndjson"
        } else {
            "ollama/chat-nonstream.json"
        }
        .to_owned()
    } else if p.ends_with("/api/generate") {
        let streamed = fields.stream != Some(false);
        if streamed {
            "ollama/generate-stream.ndjson"
        } else {
            "ollama/generate-nonstream.json"
        }
        .to_owned()
    } else if p.ends_with("/api/tags") {
        return Reply::json(200, shared.tags_json.clone());
    } else if p.ends_with("/api/version") {
        return Reply::json(200, Bytes::from_static(b"{\"version\":\"0.6.0\"}"));
    } else if p.ends_with("/models") && method == Method::GET {
        return Reply::json(200, shared.models_json.clone());
    } else if let (Some(i), true) = (p.find("/models/"), method == Method::GET) {
        let id = &p[i + "/models/".len()..];
        return if shared.config.models.iter().any(|m| m == id) {
            Reply::json(200, Bytes::from(scripted::model_object(id)))
        } else {
            Reply::error(
                404,
                &format!("The model '{id}' does not exist"),
                "invalid_request_error",
                Some("model_not_found"),
            )
        };
    } else {
        return Reply::error(
            404,
            &format!("Invalid URL ({method} {path})"),
            "invalid_request_error",
            Some("unknown_url"),
        );
    };
    fixture(shared, &replay).await
}

fn record(shared: &Shared, parts: &Parts, body: &Bytes) {
    let request = RecordedRequest {
        method: parts.method.to_string(),
        path: parts
            .uri
            .path_and_query()
            .map_or_else(|| parts.uri.path().to_owned(), |pq| pq.as_str().to_owned()),
        headers: parts
            .headers
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body: body.clone(),
    };
    let mut recorded = shared.recorded();
    if recorded.len() >= RECORD_CAPACITY {
        recorded.pop_front();
    }
    recorded.push_back(request);
}

/// `/_mock/*` control endpoints.
fn control(shared: &Shared, method: &Method, path: &str) -> Response<MockBody> {
    let reply = match (method, path.trim_end_matches('/')) {
        (&Method::GET, "/_mock/requests") => {
            let json = serde_json::to_vec(&*shared.recorded());
            match json {
                Ok(v) => Reply::json(200, Bytes::from(v)),
                Err(e) => Reply::error(500, &e.to_string(), "server_error", None),
            }
        }
        (&Method::DELETE, "/_mock/requests") => {
            shared.recorded().clear();
            Reply::json(200, Bytes::from_static(b"{\"cleared\":true}"))
        }
        (&Method::GET, "/_mock/stats") => match serde_json::to_vec(&shared.stats()) {
            Ok(v) => Reply::json(200, Bytes::from(v)),
            Err(e) => Reply::error(500, &e.to_string(), "server_error", None),
        },
        _ => Reply::error(
            404,
            &format!("Invalid URL ({method} {path})"),
            "invalid_request_error",
            Some("unknown_url"),
        ),
    };
    reply.into_response(Duration::ZERO, End::Finish, Tracker::none())
}
