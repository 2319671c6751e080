//! The LLM families, counted from request records: requests by status class, time to first
//! token, duration, tokens by kind, generation speed and cost, by upstream model, provider and
//! key name; the active-requests gauge; and [`MetricsSink`], the record sink that counts them.

use std::sync::Arc;

use super::family::{header, label, sample, Active, Counter, Family, FloatCounter, Gauge};
use super::family::{Histogram, RateHistogram};
use super::http::{class_index, STATUS_CLASSES};
use super::{Metrics, LIMIT};
use crate::record::{RecordSink, RequestRecord};

/// One `(model, provider, key)`'s figures.
#[derive(Debug, Default)]
pub(super) struct LlmSeries {
    requests: [Counter; STATUS_CLASSES.len()],
    ttft: Histogram,
    duration: Histogram,
    input: Counter,
    output: Counter,
    cached: Counter,
    reasoning: Counter,
    speed: RateHistogram,
    cost: FloatCounter,
}

/// A family's name, help text, and the field of a series it reads.
type Field<T> = (&'static str, &'static str, fn(&LlmSeries) -> &T);

/// The LLM families.
#[derive(Debug)]
pub(super) struct LlmFamilies {
    series: Family<3, LlmSeries>,
    active: Arc<Gauge>,
}

fn labels_llm([model, provider, key]: [&str; 3]) -> String {
    let mut out = String::new();
    label(&mut out, "model", model);
    label(&mut out, "provider", provider);
    label(&mut out, "key", key);
    out
}

impl Default for LlmFamilies {
    fn default() -> Self {
        LlmFamilies {
            series: Family::new(
                LIMIT,
                labels_llm,
                "model=\"_overflow\",provider=\"_overflow\",key=\"_overflow\"",
            ),
            active: Arc::default(),
        }
    }
}

/// Output tokens per second of a record: over the time after the first token for a stream,
/// over the whole duration otherwise (the answer arrives at once). `None` for a failed
/// request, one without output tokens, or one too short to time.
pub fn generation_speed(r: &RequestRecord) -> Option<f64> {
    let output = r.usage.as_ref()?.completion_tokens;
    if output == 0 || r.status >= 400 || r.error.is_some() {
        return None;
    }
    let time = match (r.stream, r.ttft) {
        (true, Some(ttft)) => r.duration.checked_sub(ttft)?,
        _ => r.duration,
    };
    let secs = time.as_secs_f64();
    // u64 -> f64 loses precision only past 2^53 tokens.
    #[allow(clippy::cast_precision_loss)]
    (secs > 0.0).then(|| output as f64 / secs)
}

impl Metrics {
    /// Counts one finished request from its record. One lookup under a read lock; nothing is
    /// allocated once the record's label set exists.
    pub fn count_record(&self, r: &RequestRecord) {
        let key = r.caller.key_name().unwrap_or("");
        let entry = self
            .llm
            .series
            .get([r.upstream_model.as_str(), r.provider.as_str(), key]);
        let s = &entry.value;
        if let Some(c) = s.requests.get(class_index(r.status)) {
            c.inc();
        }
        if let Some(ttft) = r.ttft {
            s.ttft.observe(ttft);
        }
        s.duration.observe(r.duration);
        if let Some(u) = &r.usage {
            s.input.add(u.prompt_tokens);
            s.output.add(u.completion_tokens);
            s.cached.add(u.cached_tokens);
            s.reasoning.add(u.reasoning_tokens);
        }
        if let Some(speed) = generation_speed(r) {
            s.speed.observe(speed);
        }
        if let Some(cost) = r.cost_usd {
            s.cost.add(cost);
        }
    }

    /// One request in progress (a record started and not yet emitted) until dropped.
    pub fn llm_active(&self) -> Active {
        Active::new(self.llm.active.clone())
    }

    pub(super) fn render_llm(&self, out: &mut String) {
        let all = self.llm.series.all();
        let name = "llmux_llm_requests_total";
        header(
            out,
            name,
            "counter",
            "Requests served through a model, by status class.",
        );
        for e in &all {
            for (class, c) in STATUS_CLASSES.iter().zip(&e.value.requests) {
                if c.get() > 0 {
                    let extra = format!("status_class=\"{class}\"");
                    sample(out, name, &e.labels, &extra, c.get());
                }
            }
        }
        let histograms: [Field<Histogram>; 2] = [
            (
                "llmux_llm_time_to_first_token_seconds",
                "Time from a request's arrival to the first body byte from upstream.",
                |s| &s.ttft,
            ),
            (
                "llmux_llm_request_duration_seconds",
                "Time from a request's arrival to the end of its answer.",
                |s| &s.duration,
            ),
        ];
        for (name, help, field) in histograms {
            header(out, name, "histogram", help);
            for e in &all {
                field(&e.value).encode(out, name, &e.labels);
            }
        }
        let counters: [Field<Counter>; 4] = [
            (
                "llmux_llm_input_tokens_total",
                "Input (prompt) tokens, cached ones included.",
                |s| &s.input,
            ),
            (
                "llmux_llm_output_tokens_total",
                "Output (completion) tokens, reasoning ones included.",
                |s| &s.output,
            ),
            (
                "llmux_llm_cached_tokens_total",
                "Input tokens served from the provider's prompt cache.",
                |s| &s.cached,
            ),
            (
                "llmux_llm_reasoning_tokens_total",
                "Output tokens spent on hidden reasoning.",
                |s| &s.reasoning,
            ),
        ];
        for (name, help, field) in counters {
            header(out, name, "counter", help);
            for e in &all {
                sample(out, name, &e.labels, "", field(&e.value).get());
            }
        }
        let name = "llmux_llm_generation_tokens_per_second";
        header(
            out,
            name,
            "histogram",
            "Output tokens per second (after the first token for streams).",
        );
        for e in &all {
            e.value.speed.encode(out, name, &e.labels);
        }
        let name = "llmux_llm_cost_usd_total";
        header(
            out,
            name,
            "counter",
            "Cost in USD of the requests whose price is known.",
        );
        for e in &all {
            sample(out, name, &e.labels, "", e.value.cost.get());
        }
        let name = "llmux_llm_active_requests";
        header(
            out,
            name,
            "gauge",
            "Requests started and not finished (attempts held by a hedge included).",
        );
        sample(out, name, "", "", self.llm.active.get());
    }
}

/// A [`RecordSink`] that counts each record into a [`Metrics`] registry, then hands it on to
/// `next`. Put it first in the chain: the active-requests gauge is taken through it.
pub struct MetricsSink {
    metrics: Arc<Metrics>,
    next: Arc<dyn RecordSink>,
}

impl MetricsSink {
    /// Counts into `metrics`, then passes each record to `next`.
    pub fn new(metrics: Arc<Metrics>, next: Arc<dyn RecordSink>) -> Self {
        MetricsSink { metrics, next }
    }
}

impl RecordSink for MetricsSink {
    fn record(&self, record: RequestRecord) {
        self.metrics.count_record(&record);
        self.next.record(record);
    }

    fn open(&self) -> Option<Active> {
        Some(self.metrics.llm_active())
    }
}

/// The usage writer's row counts, read when the metrics are scraped.
pub trait RowCounts: Send + Sync + 'static {
    /// Rows committed to the store.
    fn written(&self) -> u64;
    /// Rows dropped because the writer's queue was full.
    fn dropped(&self) -> u64;
    /// Rows lost to a failed write.
    fn failed(&self) -> u64;
}

impl Metrics {
    /// Reports `counts` as the `llmux_usage_rows_*_total` families from now on (the first
    /// call wins; without one the families are not written).
    pub fn watch_usage_rows(&self, counts: Arc<dyn RowCounts>) {
        let _ = self.usage_rows.set(counts);
    }

    pub(super) fn render_usage_rows(&self, out: &mut String) {
        let Some(rows) = self.usage_rows.get() else {
            return;
        };
        for (name, help, n) in [
            (
                "llmux_usage_rows_written_total",
                "Usage rows committed to the store.",
                rows.written(),
            ),
            (
                "llmux_usage_rows_dropped_total",
                "Usage rows dropped: the writer's queue was full.",
                rows.dropped(),
            ),
            (
                "llmux_usage_rows_failed_total",
                "Usage rows lost to a failed write.",
                rows.failed(),
            ),
        ] {
            header(out, name, "counter", help);
            sample(out, name, "", "", n);
        }
    }
}

#[cfg(test)]
mod tests;
