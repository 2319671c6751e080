//! State of the OpenAI Responses API for providers that keep none: llmux stores each answered
//! conversation under its response id, so a client can chain turns with
//! `previous_response_id`, and read (`GET`) or delete (`DELETE /v1/responses/{id}`) it.
//!
//! The store is in memory, bounded to [`CAPACITY`] responses (the oldest go first), and lost
//! at restart.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use bytes::{Bytes, BytesMut};
use llmux_protocol::canonical::accumulate::Accumulator;
use llmux_protocol::canonical::{ChatRequest, ChatResponse, Message, Role, StreamEvent};
use llmux_protocol::dialects::{openai_responses, StreamEncode};

use crate::error::{ErrorKind, GatewayError};

/// Responses kept at most.
pub const CAPACITY: usize = 10_000;

/// One stored response: the conversation up to and including its answer, and the answer as
/// the client received it.
#[derive(Debug, Clone)]
pub struct Stored {
    /// Every message of the conversation, the answer last.
    pub messages: Vec<Message>,
    /// The Responses-API object of the answer.
    pub body: Bytes,
}

#[derive(Default)]
struct Inner {
    by_id: HashMap<String, Stored>,
    order: VecDeque<String>,
}

/// The bounded store of responses.
#[derive(Default, Clone)]
pub struct ResponseStore {
    inner: Arc<Mutex<Inner>>,
}

impl ResponseStore {
    /// The stored response `id`.
    pub fn get(&self, id: &str) -> Option<Stored> {
        self.lock().by_id.get(id).cloned()
    }

    /// Stores a response, evicting the oldest beyond [`CAPACITY`].
    pub fn put(&self, id: String, stored: Stored) {
        let mut inner = self.lock();
        if inner.by_id.insert(id.clone(), stored).is_none() {
            inner.order.push_back(id);
        }
        while inner.order.len() > CAPACITY {
            if let Some(old) = inner.order.pop_front() {
                inner.by_id.remove(&old);
            }
        }
    }

    /// Deletes a response; false when it was not stored.
    pub fn delete(&self, id: &str) -> bool {
        let mut inner = self.lock();
        let found = inner.by_id.remove(id).is_some();
        if found {
            inner.order.retain(|k| k != id);
        }
        found
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Prepends the conversation of `previous_response_id` (if the body names one) to
    /// `request`; a name llmux does not hold is the client's error.
    pub fn splice_previous(
        &self,
        body: &[u8],
        request: &mut ChatRequest,
    ) -> Result<(), GatewayError> {
        let Some(id) = openai_responses::previous_response_id(body) else {
            return Ok(());
        };
        let stored = self.get(&id).ok_or_else(|| {
            GatewayError::from(ErrorKind::InvalidField {
                param: "previous_response_id",
                message: format!("Previous response with id '{id}' not found. llmux keeps the last {CAPACITY} responses it answered, in memory"),
            })
        })?;
        let mut messages = stored.messages;
        messages.append(&mut request.messages);
        request.messages = messages;
        Ok(())
    }

    /// Stores a complete answer to `request` under the id the client sees.
    pub fn save(&self, request_messages: Vec<Message>, answer: &ChatResponse, body: Bytes) {
        let Some(id) = response_id(&body) else {
            return;
        };
        let mut messages = request_messages;
        messages.push(Message {
            role: Role::Assistant,
            content: answer.content.clone(),
        });
        self.put(id, Stored { messages, body });
    }
}

/// The `id` of a Responses-API object.
fn response_id(body: &[u8]) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Id {
        id: String,
    }
    serde_json::from_slice::<Id>(body).ok().map(|i| i.id)
}

/// Whether the client asked llmux to keep the response (`store`, true unless `false`).
pub fn wants_store(body: &[u8]) -> bool {
    llmux_protocol::RawObject::parse(body)
        .ok()
        .and_then(|o| o.get_as::<bool>("store").ok().flatten())
        .unwrap_or(true)
}

/// A Responses stream encoder that also stores the answer once the stream completes.
pub struct StoringEncoder {
    inner: Box<dyn StreamEncode>,
    acc: Option<Accumulator>,
    store: ResponseStore,
    messages: Vec<Message>,
}

impl StoringEncoder {
    /// Wraps `inner`; the conversation so far is `messages`.
    pub fn new(inner: Box<dyn StreamEncode>, store: ResponseStore, messages: Vec<Message>) -> Self {
        StoringEncoder {
            inner,
            acc: Some(Accumulator::new()),
            store,
            messages,
        }
    }
}

impl StreamEncode for StoringEncoder {
    fn encode(&mut self, event: &StreamEvent, out: &mut BytesMut) {
        self.inner.encode(event, out);
        if let Some(acc) = self.acc.as_mut() {
            acc.push(event);
        }
        if matches!(event, StreamEvent::MessageStop) {
            if let Some(answer) = self.acc.take().and_then(Accumulator::finish) {
                let body = Bytes::from(openai_responses::encode_response(&answer));
                self.store
                    .save(std::mem::take(&mut self.messages), &answer, body);
            }
        }
    }
    fn content_type(&self) -> &'static str {
        self.inner.content_type()
    }
}

/// A stored response answered by the provider that holds it.
#[derive(Debug)]
pub struct NativeAnswer {
    /// The provider's status.
    pub status: u16,
    /// The provider's body (JSON).
    pub body: bytes::Bytes,
}

impl crate::gateway::Gateway {
    /// `GET` or `DELETE` of a response llmux does not hold: asked of each OpenAI provider in
    /// turn (responses served natively stay with OpenAI), until one knows it. `None` when no
    /// provider serves the Responses API natively or none knows the id.
    pub async fn native_response(
        &self,
        method: http::Method,
        id: &str,
        request_id: &http::HeaderValue,
    ) -> Result<Option<NativeAnswer>, GatewayError> {
        let snapshot = self.snapshot();
        let natives = snapshot
            .providers
            .iter()
            .filter(|p| p.speaks(llmux_protocol::Dialect::OpenAiResponses));
        for provider in natives {
            let mut headers = http::HeaderMap::new();
            crate::passthrough::add_provider_headers(&mut headers, provider, request_id);
            let url = format!("{}/{}", provider.responses_url(), urlencode(id));
            let response =
                crate::upstream::send(provider, method.clone(), &url, headers, Bytes::new())
                    .await?;
            let status = response.status.as_u16();
            let body =
                crate::translate::read_all(&provider.id, response.body, provider.timeouts.total)
                    .await?;
            if status != 404 {
                return Ok(Some(NativeAnswer { status, body }));
            }
        }
        Ok(None)
    }
}

/// A response id as one URL path segment (ids are `resp_...`; anything else is escaped).
fn urlencode(id: &str) -> String {
    id.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
