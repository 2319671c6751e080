//! One record per request, emitted exactly once when the response is finished (or abandoned).
//! It becomes a structured log line and, when usage storage is on, a stored row (both behind [`RecordSink`]).

use std::sync::Arc;
use std::time::{Duration, Instant};

use llmux_protocol::{Dialect, Usage};

use crate::caller::Caller;
use crate::pricing::{Pricing, Served};
use crate::routing::group::MemberGuard;
use crate::snapshot::PricingRef;

#[cfg(test)]
mod tests;

/// The preset id of OpenRouter, whose answers carry their exact cost.
const OPENROUTER: &str = "openrouter";

/// What happened to one request.
#[derive(Debug, Clone)]
pub struct RequestRecord {
    /// The request id (`x-request-id`).
    pub request_id: String,
    /// Endpoint label (`chat_completions`, ...).
    pub operation: &'static str,
    /// The model name the client asked for.
    pub requested_model: String,
    /// The client's API (`openai-chat`, `anthropic-messages`, ...).
    pub client_api: &'static str,
    /// Serving provider id.
    pub provider: String,
    /// The serving provider as the price table sees it (kind, preset, local).
    pub pricing: PricingRef,
    /// Model id sent upstream.
    pub upstream_model: String,
    /// HTTP status returned to the client.
    pub status: u16,
    /// Whether the response was streamed.
    pub stream: bool,
    /// Time to the first body byte from upstream.
    pub ttft: Option<Duration>,
    /// Total time until the response was finished.
    pub duration: Duration,
    /// Token usage, if the provider reported it.
    pub usage: Option<Usage>,
    /// Error code when the request failed (`upstream_timeout`, `client_disconnected`, ...).
    pub error: Option<&'static str>,
    /// Upstream attempts made (retries, failovers and fallbacks included).
    pub attempts: u32,
    /// Cost in USD (reported by the provider, or from the snapshot's prices), set once when
    /// the record is finished; `None` when it cannot be known (unknown price, or no usage
    /// from a paid provider).
    pub cost_usd: Option<f64>,
    /// Who sent the request (key, tags, address).
    pub caller: Caller,
    /// The request body as the client sent it, only when the journal captures bodies
    /// (`journal.capture_bodies`); `None` otherwise, and for embeddings. Shares the inbound
    /// buffer: no copy.
    pub request_body: Option<bytes::Bytes>,
}

impl RequestRecord {
    /// The record of a request served by `route`, before anything is known of its answer.
    // A plain constructor: every argument is one field, and the three callers name them all.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn for_route(
        request_id: &http::HeaderValue,
        client: Dialect,
        operation: llmux_providers::Operation,
        requested_model: String,
        route: &crate::snapshot::Route<'_>,
        status: u16,
        stream: bool,
        caller: &Caller,
    ) -> Self {
        RequestRecord {
            request_id: request_id.to_str().unwrap_or_default().to_owned(),
            operation: operation.as_str(),
            requested_model,
            client_api: client.as_str(),
            provider: route.provider.id.clone(),
            pricing: route.provider.pricing,
            upstream_model: route.model.to_owned(),
            status,
            stream,
            ttft: None,
            duration: Duration::ZERO,
            usage: None,
            error: None,
            attempts: 1,
            cost_usd: None,
            caller: caller.clone(),
            request_body: None,
        }
    }

    /// The request's cost from `prices` (the snapshot's: built-in table and configured
    /// overrides), or `reported_cost` when the provider stated it (OpenRouter): `0.0` for a
    /// local provider without a configured price, `None` when a paid provider reported no
    /// usage or the model's price is unknown.
    pub fn compute_cost(&self, prices: &Pricing, reported_cost: Option<f64>) -> Option<f64> {
        let provider = self.pricing.provider_ref();
        let usage = match (&self.usage, provider.local || reported_cost.is_some()) {
            (Some(u), _) => *u,
            (None, true) => Usage::default(),
            (None, false) => return None,
        };
        let served = Served {
            provider,
            provider_id: &self.provider,
            model: &self.upstream_model,
            requested: &self.requested_model,
        };
        prices.cost_of(&served, &usage, reported_cost)
    }
}

impl RequestRecord {
    /// The record of a request that failed before any upstream answered: refused (key,
    /// rate limit, invalid body), unroutable, or every attempt unreachable. No provider served
    /// it, so it has no usage and no cost.
    #[allow(clippy::too_many_arguments)] // one argument per field the failure knows
    pub fn failure(
        request_id: &http::HeaderValue,
        client: Dialect,
        operation: llmux_providers::Operation,
        requested_model: String,
        status: u16,
        error: &'static str,
        attempts: u32,
        caller: &Caller,
        duration: Duration,
    ) -> Self {
        RequestRecord {
            request_id: request_id.to_str().unwrap_or_default().to_owned(),
            operation: operation.as_str(),
            requested_model,
            client_api: client.as_str(),
            provider: String::new(),
            pricing: PricingRef {
                kind: llmux_providers::ProviderKind::OpenAiCompatible,
                preset: None,
                local: false,
            },
            upstream_model: String::new(),
            status,
            stream: false,
            ttft: None,
            duration,
            usage: None,
            error: Some(error),
            attempts,
            cost_usd: None,
            caller: caller.clone(),
            request_body: None,
        }
    }
}

impl crate::gateway::Gateway {
    /// Emits the record of a request that failed with `err` before any upstream answered,
    /// settling its key's admission (at no cost).
    pub fn record_failure(
        &self,
        inbound: &crate::passthrough::Inbound,
        requested_model: String,
        err: &crate::GatewayError,
        started: Instant,
    ) {
        self.record_refusal(
            &inbound.request_id,
            (inbound.dialect, inbound.op),
            requested_model,
            &inbound.caller,
            err,
            started,
        );
    }

    /// Emits the record of a request refused with `err` before the engine took it (auth, a
    /// listener's rate limit, an unreadable body), or failed as [`Self::record_failure`] says.
    pub fn record_refusal(
        &self,
        request_id: &http::HeaderValue,
        (client, operation): (Dialect, llmux_providers::Operation),
        requested_model: String,
        caller: &Caller,
        err: &crate::GatewayError,
        started: Instant,
    ) {
        let record = RequestRecord::failure(
            request_id,
            client,
            operation,
            requested_model,
            err.status(),
            err.code(),
            err.attempts().unwrap_or(0),
            caller,
            started.elapsed(),
        );
        if let Some(admission) = &record.caller.admission {
            admission.settle(Some(0.0), 0, Instant::now());
        }
        self.sink().record(record);
    }
}

/// Where finished request records go.
pub trait RecordSink: Send + Sync + 'static {
    /// Takes one record; must not block.
    fn record(&self, record: RequestRecord);

    /// A unit of the active-requests gauge, held by a [`Recorder`] from its start until its
    /// record is emitted or discarded (dropping it gives it back). `None`: no gauge.
    fn open(&self) -> Option<crate::metrics::Active> {
        None
    }
}

/// Writes each record as one `tracing` event at info level (target `llmux::request`).
#[derive(Debug, Default)]
pub struct LogSink;

impl RecordSink for LogSink {
    fn record(&self, r: RequestRecord) {
        let usage = r.usage.unwrap_or_default();
        tracing::info!(
            target: "llmux::request",
            request_id = %r.request_id,
            op = r.operation,
            model = %r.requested_model,
            provider = %r.provider,
            upstream_model = %r.upstream_model,
            status = r.status,
            stream = r.stream,
            ttft_ms = r.ttft.map(|d| d.as_secs_f64() * 1000.0),
            duration_ms = r.duration.as_secs_f64() * 1000.0,
            prompt_tokens = usage.prompt_tokens,
            completion_tokens = usage.completion_tokens,
            cached_tokens = usage.cached_tokens,
            reasoning_tokens = usage.reasoning_tokens,
            error = r.error,
            attempts = r.attempts,
            "request finished"
        );
    }
}

/// Builds a record as the response progresses and emits it once, at the latest when dropped.
pub struct Recorder {
    sink: Arc<dyn RecordSink>,
    started: Instant,
    record: Option<RequestRecord>,
    /// The prices of the snapshot that served the request.
    prices: Arc<Pricing>,
    /// The cost the provider stated itself (OpenRouter's `usage.cost`), if any.
    reported_cost: Option<f64>,
    member: Option<MemberGuard>,
    /// While false (an attempt waiting for its first event) dropping emits nothing: the
    /// attempt failed or lost a hedge, and the request's outcome is told elsewhere.
    armed: bool,
    /// The active-requests gauge's unit, given back when the record is emitted or discarded,
    /// or when the recorder is dropped (a held attempt abandoned): it cannot leak.
    active: Option<crate::metrics::Active>,
}

impl Recorder {
    /// Starts recording a request whose cost `prices` will tell.
    pub fn new(
        sink: Arc<dyn RecordSink>,
        started: Instant,
        record: RequestRecord,
        prices: Arc<Pricing>,
    ) -> Self {
        Recorder {
            active: sink.open(),
            sink,
            started,
            record: Some(record),
            prices,
            reported_cost: None,
            member: None,
            armed: true,
        }
    }

    /// Holds the record back until [`Recorder::arm`]: an attempt abandoned before then leaves
    /// no record of its own.
    pub fn hold(&mut self) {
        self.armed = false;
    }

    /// The attempt is the request's answer: from now on the record is always emitted.
    pub fn arm(&mut self) {
        self.armed = true;
    }

    /// Ties a group member's in-flight slot to this request: released, with the outcome fed
    /// to the member's statistics, when the record is emitted.
    pub fn attach(&mut self, member: MemberGuard) {
        self.member = Some(member);
    }

    /// Sets how many upstream attempts the request took.
    pub fn attempts(&mut self, n: u32) {
        if let Some(r) = self.record.as_mut() {
            r.attempts = n;
        }
    }

    /// Drops the record without emitting it: an attempt that is retried elsewhere.
    pub fn discard(&mut self) {
        self.record = None;
        self.member = None;
        self.active = None;
    }

    /// Marks the arrival of the first upstream body byte (first call wins).
    pub fn first_byte(&mut self) {
        let started = self.started;
        if let Some(r) = self.record.as_mut() {
            r.ttft.get_or_insert_with(|| started.elapsed());
        }
    }

    /// Marks the arrival of the first upstream body byte at `at` (first call wins).
    pub fn first_byte_at(&mut self, at: Instant) {
        let ttft = at.saturating_duration_since(self.started);
        if let Some(r) = self.record.as_mut() {
            r.ttft.get_or_insert(ttft);
        }
    }

    /// Sets the usage the provider reported.
    pub fn usage(&mut self, usage: Usage) {
        if let Some(r) = self.record.as_mut() {
            r.usage = Some(usage);
        }
    }

    /// Whether the provider states each request's cost in its usage (OpenRouter), so the
    /// taps should look for it.
    pub fn wants_reported_cost(&self) -> bool {
        self.record
            .as_ref()
            .is_some_and(|r| r.pricing.preset == Some(OPENROUTER))
    }

    /// Sets the cost the provider stated for the request (wins over any computed one).
    pub fn reported_cost(&mut self, usd: f64) {
        self.reported_cost = Some(usd);
    }

    /// The cost of a finished non-streamed answer, for the `x-llmux-cost-usd` header: the
    /// same number the record will hold; `None` for streams, failed answers and unknown costs.
    pub fn answer_cost(&self) -> Option<f64> {
        let r = self.record.as_ref()?;
        if r.stream || !(200..300).contains(&r.status) {
            return None;
        }
        r.compute_cost(&self.prices, self.reported_cost)
    }

    /// Records an error code (first one wins).
    pub fn error(&mut self, code: &'static str) {
        if let Some(r) = self.record.as_mut() {
            r.error.get_or_insert(code);
        }
    }

    /// Emits the record now.
    pub fn finish(&mut self) {
        if let Some(mut r) = self.record.take() {
            r.duration = self.started.elapsed();
            r.cost_usd = r.compute_cost(&self.prices, self.reported_cost);
            if let Some(admission) = &r.caller.admission {
                // A failed answer without usage was not billed upstream.
                let cost = r
                    .cost_usd
                    .or_else(|| (r.usage.is_none() && r.status >= 400).then_some(0.0));
                let tokens = r.usage.map_or(0, |u| u.total());
                admission.settle(cost, tokens, Instant::now());
            }
            if let Some(member) = self.member.take() {
                let tokens = r
                    .usage
                    .as_ref()
                    .map(|u| u.prompt_tokens.saturating_add(u.completion_tokens));
                // The member's own time to first byte counts from its attempt, not from the
                // request (earlier attempts, backoffs and a hedge delay are not its doing).
                let first_byte_at = r.ttft.and_then(|t| self.started.checked_add(t));
                // The member failed when it answered 5xx or broke off (timeout, reset) after
                // its head; a client error or a client going away is not its doing.
                let broke = matches!(r.error, Some(code) if code.starts_with("upstream_") && code != "upstream_status");
                member.finish(r.status < 500 && !broke, first_byte_at, tokens);
            }
            self.sink.record(r);
            // After the record is counted: a scrape that sees the gauge back down sees it.
            self.active = None;
        }
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        // Dropped before the end: the client went away (or the server is shutting down).
        if self.record.is_some() && self.armed {
            self.error("client_disconnected");
            self.finish();
        }
    }
}
