//! Calls where the client's and the provider's protocols differ: the request is decoded into
//! the canonical model and encoded for the provider; the answer comes back the same way, event
//! by event for streams. Every pair of the five dialects (OpenAI Chat, OpenAI Responses,
//! Anthropic Messages, Gemini, Ollama) works, in both directions.

use std::time::Instant;

use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::{Method, Response, StatusCode};
use http_body_util::BodyExt;
use llmux_protocol::canonical::{forced_tool, ChatRequest, ChatResponse, Loss, StreamEvent};
use llmux_protocol::dialects::Framing;
use llmux_protocol::dialects::{
    anthropic, gemini, ollama, openai_chat, openai_responses, DecodeError, StreamDecode,
    StreamEncode,
};
use llmux_protocol::{Dialect, RawObject};
use llmux_providers::{openai as openai_quirks, Operation};

use crate::error::{ErrorKind, GatewayError};
use crate::gateway::Gateway;
use crate::passthrough::{headers as llmux_headers, Inbound, Mode, PassthroughBody};
use crate::record::{Recorder, RequestRecord};
use crate::snapshot::Route;
use crate::upstream::{self, UpstreamBody};

/// Largest provider answer (or error body) read whole for translation.
const MAX_BODY: usize = 64 << 20;

/// The codec of one dialect, as plain functions.
pub(crate) struct Codec {
    pub(crate) decode_request: fn(&[u8]) -> Result<ChatRequest, DecodeError>,
    pub(crate) encode_request: fn(&ChatRequest) -> Result<Vec<u8>, Loss>,
    decode_response: fn(&[u8]) -> Result<ChatResponse, DecodeError>,
    encode_response: fn(&ChatResponse) -> Vec<u8>,
    stream_decoder: fn() -> Box<dyn StreamDecode>,
    stream_encoder: fn(bool) -> Box<dyn StreamEncode>,
}

/// The dialects that have a codec, in registration order.
pub(crate) fn codec(dialect: Dialect) -> Option<Codec> {
    match dialect {
        Dialect::OpenAiChat => Some(Codec {
            decode_request: openai_chat::decode_request,
            encode_request: openai_chat::encode_request,
            decode_response: openai_chat::decode_response,
            encode_response: openai_chat::encode_response,
            stream_decoder: || Box::new(openai_chat::StreamDecoder::new()),
            stream_encoder: |usage| Box::new(openai_chat::StreamEncoder::new(usage)),
        }),
        Dialect::Anthropic => Some(Codec {
            decode_request: anthropic::decode_request,
            encode_request: anthropic::encode_request,
            decode_response: anthropic::decode_response,
            encode_response: anthropic::encode_response,
            stream_decoder: || Box::new(anthropic::StreamDecoder::new()),
            stream_encoder: |_| Box::new(anthropic::StreamEncoder::new()),
        }),
        Dialect::Gemini => Some(Codec {
            decode_request: gemini::decode_request,
            encode_request: gemini::encode_request,
            decode_response: gemini::decode_response,
            encode_response: gemini::encode_response,
            stream_decoder: || Box::new(gemini::StreamDecoder::new()),
            stream_encoder: |_| Box::new(gemini::StreamEncoder::new()),
        }),
        Dialect::Ollama => Some(Codec {
            decode_request: ollama::decode_request,
            encode_request: ollama::encode_request,
            decode_response: ollama::decode_response,
            encode_response: ollama::encode_response,
            stream_decoder: || Box::new(ollama::StreamDecoder::new()),
            stream_encoder: |_| Box::new(ollama::StreamEncoder::new()),
        }),
        Dialect::OpenAiResponses => Some(Codec {
            decode_request: openai_responses::decode_request,
            encode_request: openai_responses::encode_request,
            decode_response: openai_responses::decode_response,
            encode_response: openai_responses::encode_response,
            stream_decoder: || Box::new(openai_responses::StreamDecoder::new()),
            stream_encoder: |_| Box::new(openai_responses::StreamEncoder::new()),
        }),
    }
}

/// The codec for the client's side of a call: the dialect's own, except for endpoints that
/// are chat calls in another shape (Ollama's `/api/generate`).
fn client_codec(dialect: Dialect, op: Operation) -> Option<Codec> {
    let mut codec = codec(dialect)?;
    if dialect == Dialect::Ollama && op == Operation::Completions {
        codec.decode_request = ollama::decode_generate_request;
        codec.encode_response = ollama::encode_generate_response;
        codec.stream_encoder = |_| Box::new(ollama::GenerateStreamEncoder::new());
    }
    Some(codec)
}

/// A decoder that reads usage from a same-dialect SSE stream whose usage is spread over
/// several events; `None` for the OpenAI family, whose usage chunk a byte search finds.
pub(crate) fn usage_tap(dialect: Dialect) -> Option<Box<dyn StreamDecode>> {
    match dialect {
        Dialect::OpenAiChat => None,
        other => codec(other).map(|c| (c.stream_decoder)()),
    }
}

/// Reads usage from the end of a same-dialect, non-SSE answer.
pub(crate) fn tail_usage(dialect: Dialect) -> fn(&[u8]) -> Option<llmux_protocol::Usage> {
    match dialect {
        Dialect::Anthropic => anthropic::tail_usage,
        Dialect::Gemini => gemini::tail_usage,
        Dialect::Ollama => ollama::tail_usage,
        Dialect::OpenAiResponses => openai_responses::tail_usage,
        Dialect::OpenAiChat => llmux_protocol::openai::tail_usage,
    }
}

/// Decodes a client's chat request into the canonical model.
pub(crate) fn decode_client_request(
    dialect: Dialect,
    op: Operation,
    body: &[u8],
) -> Result<ChatRequest, GatewayError> {
    let codec = client_codec(dialect, op).ok_or_else(|| {
        GatewayError::from(ErrorKind::Internal(format!(
            "no codec for {}",
            dialect.as_str()
        )))
    })?;
    (codec.decode_request)(body)
        .map_err(|e| GatewayError::from(ErrorKind::InvalidRequest(e.message)))
}

/// Whether a `client` request to endpoint `op` can be served by a `provider` of another
/// dialect: chat calls, in any shape a client API has for them.
pub(crate) fn supported(client: Dialect, op: Operation, provider: Dialect) -> bool {
    let chat_like = op == Operation::ChatCompletions
        || (client == Dialect::Ollama && op == Operation::Completions);
    chat_like && client_codec(client, op).is_some() && codec(provider).is_some()
}

impl Gateway {
    /// Serves a request whose provider speaks another dialect.
    pub(crate) async fn translate(
        &self,
        inbound: &Inbound,
        route: &Route<'_>,
        requested_model: String,
        started: Instant,
    ) -> Result<Response<PassthroughBody>, GatewayError> {
        let provider = route.provider;
        let unsupported = || -> GatewayError {
            ErrorKind::UnsupportedTranslation {
                model: route.model.to_owned(),
                provider: provider.id.clone(),
                provider_dialect: provider.kind.dialect().as_str(),
                client_dialect: inbound.dialect.as_str(),
            }
            .into()
        };
        let client = client_codec(inbound.dialect, inbound.op).ok_or_else(unsupported)?;
        let upstream_codec = codec(provider.kind.dialect()).ok_or_else(unsupported)?;
        // Profiles are written in the client's dialect: apply them before decoding.
        let mut object = RawObject::parse(&inbound.body)
            .map_err(|e| GatewayError::from(ErrorKind::InvalidJson(e.0)))?;
        if let Some(profile) = route.profile {
            profile.apply(&mut object)?;
        }
        let dropped = crate::dropped::dropped(inbound.dialect, inbound.op, &object);
        // Re-encoded only when a profile changed it.
        let edited;
        let decode_from: &[u8] = if route.profile.is_some() {
            edited = object.to_vec();
            &edited
        } else {
            &inbound.body
        };
        let mut request = decode_client_request(inbound.dialect, inbound.op, decode_from)?;
        // Responses clients chain turns by id: llmux holds the conversation.
        let responses_client = inbound.dialect == Dialect::OpenAiResponses;
        if responses_client {
            self.responses()
                .splice_previous(&inbound.body, &mut request)?;
        }
        let store = responses_client && crate::responses::wants_store(&inbound.body);
        let echo = responses_client.then(|| openai_responses::RequestEcho::from_request(&request));
        request.model = route.model.to_owned();
        if let Some(path) = &inbound.path {
            request.stream = path.stream;
            request.stream_usage = true;
        }
        let mut body = (upstream_codec.encode_request)(&request).map_err(|loss| {
            GatewayError::from(ErrorKind::Untranslatable {
                provider: provider.id.clone(),
                loss: loss.to_string(),
            })
        })?;
        if provider.kind.dialect() == Dialect::OpenAiChat {
            body = openai_fixups(provider, route.model, body);
        }

        // Anthropic has no response_format: its encoder forces a JSON tool, whose call
        // becomes the answer's text again on the way back.
        let forced_tool = provider.kind.dialect() == Dialect::Anthropic
            && forced_tool::wants_forced_tool(&request);
        let out_headers = crate::passthrough::upstream_headers(inbound, provider);
        let url = provider.chat_url(route.model, request.stream);
        let response = upstream::send_within(
            provider,
            route.timeouts.first_byte,
            Method::POST,
            &url,
            out_headers,
            Bytes::from(body),
        )
        .await?;

        if !response.status.is_success() {
            return Err(provider_error(&provider.id, response).await);
        }
        let mut record = RequestRecord::for_route(
            &inbound.request_id,
            inbound.dialect,
            inbound.op,
            requested_model,
            route,
            200,
            request.stream,
            &inbound.caller,
        );
        if self.captures_bodies() {
            record.request_body = Some(inbound.body.clone());
        }
        let mut recorder = Recorder::new(self.sink(), started, record, self.pricing());
        let mut headers = HeaderMap::new();
        if let Ok(v) = HeaderValue::from_str(&format!("{}/{}", provider.id, route.model)) {
            headers.insert(HeaderName::from_static(llmux_headers::UPSTREAM), v);
        }
        if !dropped.is_empty() {
            if let Ok(v) = HeaderValue::from_str(&dropped.join(",")) {
                headers.insert(HeaderName::from_static(llmux_headers::DROPPED_PARAMS), v);
            }
        }
        let body = if request.stream {
            let mut encoder: Box<dyn StreamEncode> = match (&inbound.path, echo) {
                (Some(path), _) if !path.sse => Box::new(gemini::StreamEncoder::json_array()),
                (_, Some(echo)) => Box::new(openai_responses::StreamEncoder::with_request(echo)),
                _ => (client.stream_encoder)(request.stream_usage),
            };
            if store {
                encoder = Box::new(crate::responses::StoringEncoder::new(
                    encoder,
                    self.responses().clone(),
                    request.messages.clone(),
                ));
            }
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(encoder.content_type()),
            );
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
            let mut decoder = (upstream_codec.stream_decoder)();
            if forced_tool {
                decoder = Box::new(UnwrapForcedTool {
                    inner: decoder,
                    unwrap: forced_tool::UnwrapStream::new(),
                    scratch: Vec::new(),
                });
            }
            let mode = Mode::Translate {
                decoder,
                encoder,
                error_event: inbound.error_event,
            };
            let mut body = PassthroughBody::new(
                response.body,
                mode,
                provider.id.clone(),
                route.timeouts.idle,
                None,
                recorder,
            );
            // Until its first event the attempt may still be replaced (or lose a hedge).
            body.recorder().hold();
            body.peek().await?;
            body.recorder().arm();
            body
        } else {
            let bytes = read_all(&provider.id, response.body, route.timeouts.total).await?;
            recorder.first_byte();
            let mut answer = (upstream_codec.decode_response)(&bytes).map_err(|e| {
                GatewayError::from(ErrorKind::UpstreamBroken {
                    provider: provider.id.clone(),
                    detail: format!("unreadable answer: {e}"),
                })
            })?;
            if forced_tool {
                forced_tool::unwrap_response(&mut answer);
            }
            if let Some(usage) = answer.usage {
                recorder.usage(usage);
            }
            if recorder.wants_reported_cost() {
                if let Some(cost) = llmux_protocol::openai::reported_cost(&bytes) {
                    recorder.reported_cost(cost);
                }
            }
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            let encoded = match &echo {
                Some(echo) => Bytes::from(openai_responses::encode_response_with(&answer, echo)),
                None => Bytes::from((client.encode_response)(&answer)),
            };
            if store {
                self.responses()
                    .save(request.messages.clone(), &answer, encoded.clone());
            }
            PassthroughBody::new(
                UpstreamBody::Full(Some(encoded)),
                Mode::Raw,
                provider.id.clone(),
                provider.timeouts.idle,
                None,
                recorder,
            )
        };
        let mut resp = Response::new(body);
        *resp.status_mut() = StatusCode::OK;
        *resp.headers_mut() = headers;
        Ok(resp)
    }
}

/// The same provider quirks as on the passthrough path: reasoning models take
/// `max_completion_tokens` and reject sampling parameters; some OpenAI-compatible servers
/// reject `stream_options`.
fn openai_fixups(provider: &crate::snapshot::Provider, model: &str, body: Vec<u8>) -> Vec<u8> {
    let reasoning = provider.quirks.reasoning_params && openai_quirks::is_reasoning_model(model);
    if !reasoning && provider.quirks.stream_usage {
        return body;
    }
    let Ok(mut object) = RawObject::parse(&body) else {
        return body;
    };
    if reasoning {
        openai_quirks::fix_reasoning_request(&mut object);
    }
    if !provider.quirks.stream_usage {
        object.remove("stream_options");
    }
    object.to_vec()
}

/// Reads a whole provider body, bounded in size and time.
pub(crate) async fn read_all(
    provider: &str,
    body: UpstreamBody,
    total: std::time::Duration,
) -> Result<Bytes, GatewayError> {
    let limited = http_body_util::Limited::new(body, MAX_BODY);
    match tokio::time::timeout(total, limited.collect()).await {
        Err(_) => Err(ErrorKind::UpstreamTimeout {
            provider: provider.to_owned(),
            what: "finish the response",
            after: total,
        }
        .into()),
        Ok(Err(e)) => Err(ErrorKind::UpstreamBroken {
            provider: provider.to_owned(),
            detail: e.to_string(),
        }
        .into()),
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
    }
}

/// A provider's error answer, as an error the client's dialect can render. A rejected
/// provider key becomes a gateway-side problem (502), never a 401 that blames the client.
pub(crate) async fn provider_error(
    provider: &str,
    response: upstream::UpstreamResponse,
) -> GatewayError {
    let status = response.status.as_u16();
    let retry_after = response
        .headers
        .get(header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = read_all(provider, response.body, std::time::Duration::from_secs(30))
        .await
        .unwrap_or_default();
    let detail = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v["error"]["message"].as_str().map(str::to_owned))
        .unwrap_or_else(|| String::from_utf8_lossy(&body[..body.len().min(500)]).into_owned());
    let message = if status == 401 || status == 403 {
        format!("the provider rejected llmux's API key ({detail}); check the key configured for `{provider}`")
    } else {
        detail
    };
    ErrorKind::UpstreamStatus {
        provider: provider.to_owned(),
        status,
        message,
        retry_after,
    }
    .into()
}

/// A provider stream decoder whose forced JSON tool call is turned back into text.
struct UnwrapForcedTool {
    inner: Box<dyn StreamDecode>,
    unwrap: forced_tool::UnwrapStream,
    scratch: Vec<StreamEvent>,
}

impl UnwrapForcedTool {
    fn drain(&mut self, out: &mut Vec<StreamEvent>) {
        for ev in self.scratch.drain(..) {
            self.unwrap.map(ev, out);
        }
    }
}

impl StreamDecode for UnwrapForcedTool {
    fn framing(&self) -> Framing {
        self.inner.framing()
    }
    fn push(&mut self, raw_event: &[u8], out: &mut Vec<StreamEvent>) -> Result<(), DecodeError> {
        let result = self.inner.push(raw_event, &mut self.scratch);
        self.drain(out);
        result
    }
    fn finish(&mut self, out: &mut Vec<StreamEvent>) {
        self.inner.finish(&mut self.scratch);
        self.drain(out);
    }
}
