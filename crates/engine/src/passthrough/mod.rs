//! Same-dialect calls (OpenAI client → OpenAI-family provider): the fast path. The body gets
//! minimal edits, the response streams through untouched while a tap reads usage and timing.

mod body;
mod request;
mod whole;

use std::time::Instant;

use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::{Method, Response, StatusCode};
use llmux_protocol::Dialect;
use llmux_providers::Operation;

pub use body::{ErrorEvent, Mode, PassthroughBody};
pub use request::{inspect, prepare, Inspected, Prepared, Target};

use crate::error::{ErrorKind, GatewayError};
use crate::gateway::Gateway;
use crate::record::{Recorder, RequestRecord};
use crate::upstream;

/// An inbound chat request, as the server hands it over.
pub struct Inbound {
    /// The client's API.
    pub dialect: Dialect,
    /// Which endpoint.
    pub op: Operation,
    /// Client headers.
    pub headers: HeaderMap,
    /// The raw body.
    pub body: Bytes,
    /// The request id.
    pub request_id: HeaderValue,
    /// Renders a mid-stream error event in the client's dialect.
    pub error_event: ErrorEvent,
    /// Model and streaming as the URL says them (Gemini), instead of the body.
    pub path: Option<PathTarget>,
    /// A group the listener's path rules chose; it serves the request whatever model the
    /// body names.
    pub group: Option<String>,
    /// Who sent it (key, tags, address), for the record.
    pub caller: crate::caller::Caller,
    /// The llmux key the request was admitted with (auth `proxy_key`).
    pub key: Option<std::sync::Arc<crate::access::KeyEntry>>,
    /// The client's own provider key, sent upstream instead of the configured one (auth
    /// `passthrough`).
    pub client_credential: Option<String>,
}

/// What a URL says about a request whose body has no `model` (Gemini's
/// `/models/{model}:streamGenerateContent?alt=sse`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathTarget {
    /// The model named in the path.
    pub model: String,
    /// Whether the method streams (`:streamGenerateContent`).
    pub stream: bool,
    /// Whether the stream is SSE (`alt=sse`) rather than one JSON array.
    pub sse: bool,
}

/// Header names llmux adds to responses.
pub mod headers {
    /// `provider/model` that served the request.
    pub const UPSTREAM: &str = "x-llmux-upstream";
    /// Parameters removed because the upstream model rejects them.
    pub const DROPPED_PARAMS: &str = "x-llmux-dropped-params";
    /// Cost of a non-streamed answer in USD (absent when unknown).
    pub const COST: &str = "x-llmux-cost-usd";
}

/// Client headers never forwarded upstream: hop-by-hop, framing, and every credential (the
/// provider's own key is added instead).
fn forwardable(name: &HeaderName) -> bool {
    !matches!(
        name.as_str(),
        "host"
            | "connection"
            | "keep-alive"
            | "proxy-connection"
            | "proxy-authorization"
            | "te"
            | "trailer"
            | "transfer-encoding"
            | "upgrade"
            | "content-length"
            | "accept-encoding"
            | "authorization"
            | "x-api-key"
            | "api-key"
            | "x-goog-api-key"
            | "cookie"
            | "x-proxy-tag"
    )
}

/// Upstream response headers never passed back: hop-by-hop ones.
fn returnable(name: &HeaderName) -> bool {
    !matches!(
        name.as_str(),
        "connection"
            | "keep-alive"
            | "proxy-connection"
            | "te"
            | "trailer"
            | "transfer-encoding"
            | "upgrade"
    )
}

/// The headers of an upstream request: the client's forwardable headers, then the provider's
/// own (its key, configured extras), the JSON content type and the request id.
pub(crate) fn upstream_headers(
    inbound: &Inbound,
    provider: &crate::snapshot::Provider,
) -> HeaderMap {
    let mut out = HeaderMap::with_capacity(inbound.headers.len() + provider.headers.len() + 2);
    for (name, value) in &inbound.headers {
        if forwardable(name) {
            out.append(name.clone(), value.clone());
        }
    }
    add_provider_headers(&mut out, provider, &inbound.request_id);
    if let Some(key) = &inbound.client_credential {
        // The client's key replaces the configured one, in the provider's own scheme.
        if let Some((name, value)) = provider.auth.header(key) {
            out.insert(name, value);
        }
    }
    out
}

/// Adds what every request to `provider` carries, over anything already in `out`: its key and
/// configured headers, the JSON content type and the request id.
pub(crate) fn add_provider_headers(
    out: &mut HeaderMap,
    provider: &crate::snapshot::Provider,
    request_id: &HeaderValue,
) {
    for (name, value) in &provider.headers {
        out.insert(name.clone(), value.clone());
    }
    out.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    out.insert(HeaderName::from_static("x-request-id"), request_id.clone());
}

/// How the inbound request names its model and whether it streams by default.
pub(crate) fn client_target(inbound: &Inbound) -> request::Target<'_> {
    request::Target {
        dialect: inbound.dialect,
        path: inbound.path.as_ref(),
    }
}

impl Gateway {
    /// One attempt at serving `inbound` on `route`: by passthrough when the provider speaks
    /// the client's API, by translation through the canonical model otherwise. `inspected` is
    /// the body's inspection when the caller has it (the first attempt), else it is redone.
    pub(crate) async fn attempt(
        &self,
        inbound: &Inbound,
        inspected: Option<Inspected<'_>>,
        route: &crate::snapshot::Route<'_>,
        requested_model: &str,
        started: Instant,
    ) -> Result<Response<PassthroughBody>, GatewayError> {
        let provider = route.provider;
        let client = inbound.dialect;
        let provider_dialect = provider.kind.dialect();
        if provider_dialect != client && !provider.speaks(client) {
            if crate::translate::supported(client, inbound.op, provider_dialect) {
                // Boxed: the translation's state is large, and inline it would make every
                // passthrough attempt's future (moved several times per request) as large.
                let translated =
                    self.translate(inbound, route, requested_model.to_owned(), started);
                return Box::pin(translated).await;
            }
            return Err(ErrorKind::UnsupportedTranslation {
                model: requested_model.to_owned(),
                provider: provider.id.clone(),
                provider_dialect: provider_dialect.as_str(),
                client_dialect: client.as_str(),
            }
            .into());
        }
        let inspected = match inspected {
            Some(i) => i,
            None => inspect(&inbound.body, inbound.op, client_target(inbound))?,
        };
        let route = route.clone();
        let prepared = prepare(&inbound.body, inspected, inbound.op, &route)?;

        let out_headers = upstream_headers(inbound, provider);

        let url = match &inbound.path {
            Some(path) => provider.gemini_url(route.model, path.stream, path.sse),
            None if client == Dialect::OpenAiResponses => provider.responses_url(),
            None => provider.url(inbound.op, route.model),
        };
        let response = upstream::send_within(
            provider,
            route.timeouts.first_byte,
            Method::POST,
            &url,
            out_headers,
            prepared.body,
        )
        .await?;

        let status = response.status;
        let content_type = response
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let is_sse = content_type.starts_with("text/event-stream");
        // Streams that are not SSE (Ollama's NDJSON, Gemini's JSON array) have no total
        // deadline either: only the idle timeout applies between chunks.
        let is_stream = is_sse || prepared.stream;
        let mode = if !status.is_success() {
            Mode::Raw
        } else if is_sse {
            Mode::Sse {
                strip_usage: prepared.strip_usage,
                error_event: inbound.error_event,
                usage_tap: crate::translate::usage_tap(client),
            }
        } else {
            Mode::Json {
                usage: crate::translate::tail_usage(client),
            }
        };
        let mut record = RequestRecord::for_route(
            &inbound.request_id,
            inbound.dialect,
            inbound.op,
            requested_model.to_owned(),
            &route,
            status.as_u16(),
            is_stream,
            &inbound.caller,
        );
        record.error = (!status.is_success()).then_some("upstream_status");
        if self.captures_bodies() {
            record.request_body = Some(inbound.body.clone());
        }
        let mut recorder = Recorder::new(self.sink(), started, record, self.pricing());
        let mut response_headers = response.headers;
        let total = (!is_stream).then_some(route.timeouts.total);
        // A whole JSON answer is read before its head, so its cost can go in a header.
        // Streams that are not SSE (Ollama's NDJSON, Gemini's JSON array) keep flowing.
        let (upstream_body, mode) = match mode {
            Mode::Json { .. } if !is_stream => {
                recorder.hold(); // a failed read is this attempt's error, not a record
                let answer = whole::read(&provider.id, response.body, route.timeouts.total).await?;
                recorder.arm();
                if let Some(at) = answer.first_byte {
                    recorder.first_byte_at(at);
                }
                whole::record_usage(&mut recorder, client, &answer.bytes);
                (upstream::UpstreamBody::Full(Some(answer.bytes)), Mode::Raw)
            }
            other => (response.body, other),
        };
        let mut body = PassthroughBody::new(
            upstream_body,
            mode,
            provider.id.clone(),
            route.timeouts.idle,
            total,
            recorder,
        );
        if is_sse && status.is_success() {
            // Until its first event the attempt may still be replaced (or lose a hedge).
            body.recorder().hold();
            body.peek().await?;
            body.recorder().arm();
        }

        response_headers.retain_returnable();
        if is_sse && prepared.strip_usage {
            response_headers.remove(header::CONTENT_LENGTH);
        }
        if let Ok(v) = HeaderValue::from_str(&format!("{}/{}", provider.id, route.model)) {
            response_headers.insert(HeaderName::from_static(headers::UPSTREAM), v);
        }
        if !prepared.dropped.is_empty() {
            if let Ok(v) = HeaderValue::from_str(&prepared.dropped.join(",")) {
                response_headers.insert(HeaderName::from_static(headers::DROPPED_PARAMS), v);
            }
        }
        let mut response = Response::new(body);
        *response.status_mut() =
            StatusCode::from_u16(status.as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
        *response.headers_mut() = response_headers;
        Ok(response)
    }
}

/// Removes hop-by-hop headers in place.
trait RetainReturnable {
    fn retain_returnable(&mut self);
}

impl RetainReturnable for HeaderMap {
    fn retain_returnable(&mut self) {
        let drop: Vec<HeaderName> = self.keys().filter(|n| !returnable(n)).cloned().collect();
        for name in drop {
            self.remove(name);
        }
    }
}
