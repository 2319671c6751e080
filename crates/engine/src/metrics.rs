//! Prometheus metrics: the data plane's HTTP requests (`http`), the LLM figures counted from
//! request records (`llm`), and routing and resilience: upstream attempts, their errors and
//! time to the response head, retries, hedges, fallbacks, breaker calls and transitions, and
//! rate limiting; plus gauges read from the member registry and the usage writer's row counts
//! when scraped. One registry per
//! [`Gateway`](crate::Gateway) (no global statics); the text format is written by hand, since
//! three metric types and a label escaper are all it takes.

mod family;
mod http;
mod labels;
mod llm;

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use crate::routing::breaker::BreakerState;
use crate::routing::group::Registry;
use family::{header, label, sample, Counter, Entry, Family, Histogram};

pub use family::{Active, BUCKETS, RATE_BUCKETS};
pub use http::{method_label, status_class, HttpError, HttpInFlight, HttpRoute};
pub use labels::{BreakerCall, RateLimitScope, UpstreamError};
pub use llm::{generation_speed, MetricsSink, RowCounts};

/// The `Content-Type` of [`Metrics::render`]'s output (Prometheus text format 0.0.4).
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Most label sets one family keeps; later ones are counted together (see [`Family`]).
/// Groups and members come from configuration, but a direct `provider/model` name is the
/// client's, so the upstream families need the cap.
const LIMIT: usize = 1000;

/// The series of one `(group, upstream)`: attempts, errors by kind, time to head.
#[derive(Debug, Default)]
struct UpstreamSeries {
    requests: Counter,
    errors: [Counter; UpstreamError::ALL.len()],
    duration: Histogram,
}

/// A handle on one `(group, upstream)`'s series, looked up once per attempt.
#[derive(Debug, Clone)]
pub struct Upstream(Arc<Entry<3, UpstreamSeries>>);

impl Upstream {
    /// Counts an attempt sent (or tried) on this member.
    pub fn start(&self) {
        self.0.value.requests.inc();
    }

    /// Counts an attempt's time to its response head (or to its error).
    pub fn observe(&self, time_to_head: Duration) {
        self.0.value.duration.observe(time_to_head);
    }

    /// Counts an attempt that did not give the answer.
    pub fn error(&self, kind: UpstreamError) {
        if let Some(c) = self.0.value.errors.get(kind as usize) {
            c.inc();
        }
    }
}

/// One member's breaker: calls by result, and transitions by `[from][to]`.
#[derive(Debug, Default)]
struct BreakerSeries {
    calls: [Counter; BreakerCall::ALL.len()],
    transitions: [[Counter; 3]; 3],
}

/// One group's retries and hedges (`[won, lost]`).
#[derive(Debug, Default)]
struct GroupSeries {
    retries: Counter,
    hedges: [Counter; 2],
}

const STATES: [BreakerState; 3] = [
    BreakerState::Closed,
    BreakerState::Open,
    BreakerState::HalfOpen,
];

fn state_index(s: BreakerState) -> usize {
    match s {
        BreakerState::Closed => 0,
        BreakerState::Open => 1,
        BreakerState::HalfOpen => 2,
    }
}

fn labels_group_upstream([group, provider, model]: [&str; 3]) -> String {
    let mut out = String::new();
    label(&mut out, "group", group);
    label(&mut out, "upstream", &format!("{provider}/{model}"));
    out
}

fn one_label(name: &str, value: &str) -> String {
    let mut out = String::new();
    label(&mut out, name, value);
    out
}

fn labels_upstream([v]: [&str; 1]) -> String {
    one_label("upstream", v)
}

fn labels_group([v]: [&str; 1]) -> String {
    one_label("group", v)
}

fn labels_model([v]: [&str; 1]) -> String {
    one_label("model", v)
}

/// The gateway's metrics registry. Every method takes `&self`; counting is an atomic add after
/// a lookup under a read lock that is held for the lookup only.
#[derive(Debug)]
pub struct Metrics {
    upstreams: Family<3, UpstreamSeries>,
    breakers: Family<1, BreakerSeries>,
    groups: Family<1, GroupSeries>,
    fallbacks: Family<1, Counter>,
    rate_limited: [Counter; RateLimitScope::ALL.len()],
    http: http::HttpFamilies,
    llm: llm::LlmFamilies,
    usage_rows: OnceLock<Arc<dyn RowCounts>>,
}

impl std::fmt::Debug for dyn RowCounts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RowCounts")
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            upstreams: Family::new(
                LIMIT,
                labels_group_upstream,
                "group=\"_overflow\",upstream=\"_overflow\"",
            ),
            breakers: Family::new(LIMIT, labels_upstream, "upstream=\"_overflow\""),
            groups: Family::new(LIMIT, labels_group, "group=\"_overflow\""),
            fallbacks: Family::new(LIMIT, labels_model, "model=\"_overflow\""),
            rate_limited: Default::default(),
            http: http::HttpFamilies::default(),
            llm: llm::LlmFamilies::default(),
            usage_rows: OnceLock::new(),
        }
    }
}

impl Metrics {
    /// The series of attempts on `provider/model` within `group` (`""` outside any group).
    pub fn upstream(&self, group: &str, provider: &str, model: &str) -> Upstream {
        Upstream(self.upstreams.get([group, provider, model]))
    }

    /// Counts what member `upstream`'s breaker did with one call.
    pub fn breaker_call(&self, upstream: &str, call: BreakerCall) {
        let entry = self.breakers.get([upstream]);
        if let Some(c) = entry.value.calls.get(call as usize) {
            c.inc();
        }
    }

    /// Counts a state change of member `upstream`'s breaker.
    pub fn breaker_transition(&self, upstream: &str, from: BreakerState, to: BreakerState) {
        let entry = self.breakers.get([upstream]);
        if let Some(c) = entry
            .value
            .transitions
            .get(state_index(from))
            .and_then(|row| row.get(state_index(to)))
        {
            c.inc();
        }
    }

    /// Counts a retry within `group`.
    pub fn retry(&self, group: &str) {
        self.groups.get([group]).value.retries.inc();
    }

    /// Counts a hedged attempt in `group`: `won` when the request went on with its answer,
    /// lost when with the first attempt's.
    pub fn hedge(&self, group: &str, won: bool) {
        let entry = self.groups.get([group]);
        if let Some(c) = entry.value.hedges.get(usize::from(!won)) {
            c.inc();
        }
    }

    /// Counts a fallback to the configured model `model`.
    pub fn fallback(&self, model: &str) {
        self.fallbacks.get([model]).value.inc();
    }

    /// Counts a request llmux refused for rate on `scope`.
    pub fn rate_limited(&self, scope: RateLimitScope) {
        if let Some(c) = self.rate_limited.get(scope as usize) {
            c.inc();
        }
    }

    /// Everything, in the Prometheus text format; the gauges are read from `registry` at
    /// `now`. Label values are listener, group, provider, model and key names, route
    /// templates and error codes: never a key itself, a request id or a raw path.
    pub fn render(&self, registry: &Registry, now: Instant) -> String {
        let mut out = String::with_capacity(8192);
        self.render_http(&mut out);
        self.render_llm(&mut out);
        let upstreams = self.upstreams.all();
        let name = "llmux_upstream_requests_total";
        header(
            &mut out,
            name,
            "counter",
            "Attempts sent (or tried) on an upstream member.",
        );
        for e in &upstreams {
            sample(&mut out, name, &e.labels, "", e.value.requests.get());
        }
        let name = "llmux_upstream_errors_total";
        header(
            &mut out,
            name,
            "counter",
            "Upstream attempts that did not give the answer, by why.",
        );
        for e in &upstreams {
            for kind in UpstreamError::ALL {
                let n = e.value.errors.get(kind as usize).map_or(0, Counter::get);
                if n > 0 {
                    let extra = format!("error=\"{}\"", kind.as_str());
                    sample(&mut out, name, &e.labels, &extra, n);
                }
            }
        }
        let name = "llmux_upstream_duration_seconds";
        header(
            &mut out,
            name,
            "histogram",
            "Time from sending an attempt to its response head.",
        );
        for e in &upstreams {
            e.value.duration.encode(&mut out, name, &e.labels);
        }
        self.render_groups(&mut out);
        self.render_breakers(&mut out);
        let name = "llmux_ratelimit_total";
        header(
            &mut out,
            name,
            "counter",
            "Requests llmux refused for rate, by limiter.",
        );
        for scope in RateLimitScope::ALL {
            let n = self
                .rate_limited
                .get(scope as usize)
                .map_or(0, Counter::get);
            sample(
                &mut out,
                name,
                "",
                &format!("scope=\"{}\"", scope.as_str()),
                n,
            );
        }
        render_gauges(&mut out, registry, now);
        self.render_usage_rows(&mut out);
        out
    }

    fn render_groups(&self, out: &mut String) {
        let groups = self.groups.all();
        let name = "llmux_retries_total";
        header(out, name, "counter", "Retries within a group.");
        for e in &groups {
            sample(out, name, &e.labels, "", e.value.retries.get());
        }
        let name = "llmux_hedges_total";
        header(
            out,
            name,
            "counter",
            "Hedged second attempts, by whose answer was kept.",
        );
        for e in &groups {
            for (i, result) in ["won", "lost"].into_iter().enumerate() {
                let n = e.value.hedges.get(i).map_or(0, Counter::get);
                if n > 0 {
                    sample(out, name, &e.labels, &format!("result=\"{result}\""), n);
                }
            }
        }
        let name = "llmux_fallbacks_total";
        header(
            out,
            name,
            "counter",
            "Requests that fell back, by the model fallen back to.",
        );
        for e in self.fallbacks.all() {
            sample(out, name, &e.labels, "", e.value.get());
        }
    }

    fn render_breakers(&self, out: &mut String) {
        let breakers = self.breakers.all();
        let name = "llmux_circuitbreaker_state_changes_total";
        header(out, name, "counter", "Circuit breaker state changes.");
        for e in &breakers {
            for (from, row) in STATES.iter().zip(&e.value.transitions) {
                for (to, c) in STATES.iter().zip(row) {
                    if c.get() > 0 {
                        let extra = format!("from=\"{}\",to=\"{}\"", from.as_str(), to.as_str());
                        sample(out, name, &e.labels, &extra, c.get());
                    }
                }
            }
        }
        let name = "llmux_circuitbreaker_calls_total";
        header(
            out,
            name,
            "counter",
            "Calls through a circuit breaker, by result.",
        );
        for e in &breakers {
            for call in BreakerCall::ALL {
                let n = e.value.calls.get(call as usize).map_or(0, Counter::get);
                if n > 0 {
                    sample(
                        out,
                        name,
                        &e.labels,
                        &format!("result=\"{}\"", call.as_str()),
                        n,
                    );
                }
            }
        }
    }
}

/// The gauges read from the member registry at scrape time.
fn render_gauges(out: &mut String, registry: &Registry, now: Instant) {
    let members = registry.all();
    let name = "llmux_upstream_in_flight";
    header(out, name, "gauge", "Requests in flight on a group member.");
    for m in &members {
        let labels = labels_upstream([&m.id]);
        sample(out, name, &labels, "", m.stats.in_flight());
    }
    let name = "llmux_circuitbreaker_state";
    header(
        out,
        name,
        "gauge",
        "A member's breaker: 0 closed, 1 open, 2 half-open.",
    );
    for m in &members {
        if let Some(b) = &m.breaker {
            let labels = labels_upstream([&m.id]);
            sample(out, name, &labels, "", state_index(b.state(now)));
        }
    }
}

#[cfg(test)]
mod tests;
