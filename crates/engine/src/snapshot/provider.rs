//! A provider as the snapshot holds it: precomputed URLs, auth and extra headers, header
//! operations and User-Agent, and its own transport. Also the copies a group with its own HTTP
//! client settings gives its members.

use std::collections::HashMap;
use std::sync::Arc;

use http::header::{HeaderMap, HeaderName, HeaderValue, USER_AGENT};
use llmux_providers::{azure, Operation, ProviderKind, Quirks};

use crate::config::{GroupConfig, HeaderOpKind, ProviderConfig, Source, Timeouts};
use crate::error::{ErrorKind, GatewayError};
use crate::pricing::ProviderRef;

/// A provider ready to receive requests.
#[derive(Debug)]
pub struct Provider {
    /// Provider id.
    pub id: String,
    /// API family.
    pub kind: ProviderKind,
    /// Base URL, no trailing slash.
    pub base_url: String,
    /// Auth header plus configured extra headers, sent on every request.
    pub headers: HeaderMap,
    /// Timeouts.
    pub timeouts: Timeouts,
    /// Quirks.
    pub quirks: Quirks,
    /// Models it lists.
    pub models: Vec<String>,
    /// Where it was configured.
    pub source: Source,
    /// How requests reach this provider (pooled connections live here).
    pub transport: crate::upstream::Transport,
    /// `User-Agent` sent instead of the client's, when configured.
    pub user_agent: Option<HeaderValue>,
    /// Header operations applied last, in order (values marked sensitive).
    pub header_ops: Vec<(HeaderOpKind, HeaderName, Option<HeaderValue>)>,
    /// Who it is to the price table (preset, and whether it is local), worked out once.
    pub pricing: PricingRef,
    /// How its credential is sent (for a client's own key in auth `passthrough`).
    pub auth: llmux_providers::AuthScheme,
    api_version: Option<String>,
    deployments: HashMap<String, String>,
    urls: [String; 4],
}

impl Provider {
    /// Builds a provider from its configuration, with its own transport.
    pub fn build(p: &ProviderConfig) -> Result<Provider, GatewayError> {
        build(p)
    }

    /// Puts the last touches on an upstream request's headers, after the client's and the
    /// provider's own: the configured User-Agent (else the client's, else llmux's), then the
    /// header operations in order.
    pub fn finish_headers(&self, headers: &mut HeaderMap) {
        match &self.user_agent {
            Some(ua) => {
                headers.insert(USER_AGENT, ua.clone());
            }
            None if !headers.contains_key(USER_AGENT) => {
                let ours = HeaderValue::from_static(crate::upstream::USER_AGENT);
                headers.insert(USER_AGENT, ours);
            }
            None => {}
        }
        for (kind, name, value) in &self.header_ops {
            match (kind, value) {
                (HeaderOpKind::Remove, _) => {
                    headers.remove(name);
                }
                (HeaderOpKind::Replace, Some(v)) => {
                    headers.insert(name.clone(), v.clone());
                }
                (HeaderOpKind::Insert, Some(v)) => {
                    if !headers.contains_key(name) {
                        headers.insert(name.clone(), v.clone());
                    }
                }
                (HeaderOpKind::Insert | HeaderOpKind::Replace, None) => {}
            }
        }
    }

    /// The upstream URL of a chat call on `model`, for translated calls: Gemini names the model
    /// and the streaming choice in the path; the others as for [`Provider::url`].
    pub fn chat_url(&self, model: &str, stream: bool) -> String {
        match self.kind {
            ProviderKind::Gemini => self.gemini_url(model, stream, true),
            ProviderKind::OpenAiResponses => self.responses_url(),
            _ => self.url(Operation::ChatCompletions, model),
        }
    }

    /// A Gemini provider's `generateContent` URL; streams in SSE (`alt=sse`) or, when `sse`
    /// is false, as one JSON array.
    pub fn gemini_url(&self, model: &str, stream: bool, sse: bool) -> String {
        match (stream, sse) {
            (true, true) => format!(
                "{}/models/{model}:streamGenerateContent?alt=sse",
                self.base_url
            ),
            (true, false) => format!("{}/models/{model}:streamGenerateContent", self.base_url),
            (false, _) => format!("{}/models/{model}:generateContent", self.base_url),
        }
    }

    /// Whether the provider also serves `dialect` natively, besides its main protocol
    /// (OpenAI's own API has the Responses endpoint next to Chat Completions).
    pub fn speaks(&self, dialect: llmux_protocol::Dialect) -> bool {
        dialect == self.kind.dialect()
            || (dialect == llmux_protocol::Dialect::OpenAiResponses
                && self.kind == ProviderKind::OpenAi)
    }

    /// The provider's Responses endpoint (`/responses` below its base URL).
    pub fn responses_url(&self) -> String {
        format!("{}/responses", self.base_url)
    }

    /// The upstream URL for `op` on `model`.
    pub fn url(&self, op: Operation, model: &str) -> String {
        match (self.kind, &self.api_version) {
            (ProviderKind::Anthropic, _) => format!("{}/messages", self.base_url),
            (ProviderKind::Azure, Some(version)) => {
                let deployment = self.deployments.get(model).map_or(model, String::as_str);
                azure::url(&self.base_url, deployment, op, version)
            }
            _ => self.urls[op_index(op)].clone(),
        }
    }
}

fn op_index(op: Operation) -> usize {
    match op {
        Operation::ChatCompletions => 0,
        Operation::Completions => 1,
        Operation::Embeddings => 2,
        Operation::Models => 3,
    }
}

/// An Ollama server's native endpoint for `op`. The base URL may be given with or without
/// Ollama's OpenAI-compatible `/v1` suffix.
fn ollama_url(base_url: &str, op: Operation) -> String {
    let root = base_url
        .strip_suffix("/v1")
        .or_else(|| base_url.strip_suffix("/api"))
        .unwrap_or(base_url);
    let path = match op {
        Operation::ChatCompletions => "/api/chat",
        Operation::Completions => "/api/generate",
        Operation::Embeddings => "/api/embed",
        Operation::Models => "/api/tags",
    };
    format!("{root}{path}")
}

fn build(p: &ProviderConfig) -> Result<Provider, GatewayError> {
    let mut headers = HeaderMap::new();
    if let Some(key) = &p.api_key {
        if let Some((name, value)) = p.auth.header(key.expose()) {
            headers.insert(name, value);
        }
    }
    for (name, value) in &p.headers {
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|e| ErrorKind::Internal(format!("header name {name}: {e}")))?;
        let value = HeaderValue::from_str(value)
            .map_err(|e| ErrorKind::Internal(format!("header value for {name}: {e}")))?;
        headers.insert(name, value);
    }
    if p.kind == ProviderKind::Anthropic && !headers.contains_key("anthropic-version") {
        headers.insert("anthropic-version", HeaderValue::from_static("2023-06-01"));
    }
    let transport = crate::upstream::transport_for(&p.base_url, &p.timeouts, &p.http)?;
    let user_agent =
        match &p.http.user_agent {
            None => None,
            Some(ua) => Some(HeaderValue::from_str(ua).map_err(|e| {
                ErrorKind::Internal(format!("user agent of provider `{}`: {e}", p.id))
            })?),
        };
    let mut header_ops = Vec::with_capacity(p.header_ops.len());
    for op in &p.header_ops {
        let name = HeaderName::from_bytes(op.name.as_bytes())
            .map_err(|e| ErrorKind::Internal(format!("header name {}: {e}", op.name)))?;
        let value = match &op.value {
            None => None,
            Some(v) => {
                // The value never shows in errors or debug output: it may be a credential.
                let mut v = HeaderValue::from_str(v).map_err(|_| {
                    ErrorKind::Internal(format!("invalid value of header operation on {name}"))
                })?;
                v.set_sensitive(true);
                Some(v)
            }
        };
        header_ops.push((op.kind, name, value));
    }
    let urls = [
        Operation::ChatCompletions,
        Operation::Completions,
        Operation::Embeddings,
        Operation::Models,
    ]
    .map(|op| match p.kind {
        ProviderKind::Ollama => ollama_url(&p.base_url, op),
        _ => format!("{}{}", p.base_url, op.path()),
    });
    Ok(Provider {
        id: p.id.clone(),
        kind: p.kind,
        base_url: p.base_url.clone(),
        headers,
        timeouts: p.timeouts,
        quirks: p.quirks,
        models: p.models.clone(),
        source: p.source.clone(),
        transport,
        user_agent,
        header_ops,
        pricing: PricingRef::of(p),
        auth: p.auth.clone(),
        api_version: p.api_version.clone(),
        deployments: p.deployments.clone().into_iter().collect(),
        urls,
    })
}

/// A provider as the price table sees it, kept by the snapshot so the per-request
/// [`ProviderRef`] costs nothing to build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PricingRef {
    /// API family.
    pub kind: ProviderKind,
    /// Preset id, when the provider is based on one.
    pub preset: Option<&'static str>,
    /// Runs locally (Ollama, or a loopback base URL): costs nothing per token.
    pub local: bool,
}

impl PricingRef {
    /// Works out the pricing identity of a configured provider.
    pub fn of(p: &ProviderConfig) -> Self {
        let preset = p.preset.map(|pr| pr.id);
        let r = ProviderRef::new(p.kind, preset, &p.base_url);
        PricingRef {
            kind: r.kind,
            preset,
            local: r.local,
        }
    }

    /// The reference [`crate::pricing::Pricing::cost`] takes.
    pub fn provider_ref(&self) -> ProviderRef<'static> {
        ProviderRef {
            kind: self.kind,
            preset: self.preset,
            local: self.local,
        }
    }
}

/// The members' providers of a group that has its own HTTP client settings or timeouts: one
/// copy of each provider, by id, with the group's settings over the provider's (its own
/// transport, so its own pool and connect timeout). Empty when the group has neither; members
/// then share the providers themselves.
pub(super) fn group_copies(
    group: &GroupConfig,
    providers: &[ProviderConfig],
    provider_of: impl Fn(&str) -> Option<String>,
) -> Result<HashMap<String, Arc<Provider>>, GatewayError> {
    let mut copies = HashMap::new();
    // Only a group that changes how connections are made needs its own: HTTP settings, or
    // timeouts (the connect timeout lives in the connection pool).
    if group.http.is_none() && group.timeouts.is_none() {
        return Ok(copies);
    }
    for member in &group.members {
        let Some(id) = provider_of(&member.target) else {
            continue;
        };
        if copies.contains_key(&id) {
            continue;
        }
        let Some(config) = providers.iter().find(|p| p.id == id) else {
            continue;
        };
        let config = ProviderConfig {
            http: match &group.http {
                Some(http) => config.http.overridden_by(http),
                None => config.http.clone(),
            },
            timeouts: group.timeouts.unwrap_or(config.timeouts),
            ..config.clone()
        };
        copies.insert(id, Arc::new(build(&config)?));
    }
    Ok(copies)
}
