//! Serving a chat request across everything that may answer it: the model's group (a member
//! per attempt, picked by the balancer, admitted by its breaker and rate window), retries with
//! backoff inside the retry budget, hedged second attempts, then the model's fallbacks.
//!
//! Attempts are only repeated before anything reached the client: an attempt returns once
//! the response head (and, for streams, the first event) arrived, and only then is its
//! outcome judged.

mod group;
mod verdict;

use std::future::Future;
use std::time::{Duration, Instant};

use http::header::{HeaderName, HeaderValue};
use http::Response;
use llmux_protocol::Dialect;

use crate::error::{ErrorKind, GatewayError};
use crate::gateway::Gateway;
use crate::metrics::Upstream;
use crate::passthrough::{client_target, inspect, Inbound, Inspected, PassthroughBody};
use crate::profile::Profile;
use crate::snapshot::{Plan, Serving, Snapshot};
use verdict::{error_label, judge, Verdict};

/// Header: how many upstream attempts served the request.
pub const ATTEMPTS_HEADER: &str = "x-llmux-attempts";

type Attempt = Result<Response<PassthroughBody>, GatewayError>;

/// Where the attempts of one request stand.
struct Run<'i> {
    attempts: u32,
    /// The member of a hedged pair that failed while the other went on (to mark it tried).
    hedge_failed: Option<usize>,
    /// The first attempt reuses the caller's inspection of the body.
    inspected: Option<Inspected<'i>>,
    /// The last unsuccessful result, returned when nothing better comes.
    last: Option<Attempt>,
    last_verdict: Option<Verdict>,
    /// The shortest wait any refusal asked for (for the client's `Retry-After`).
    wait: Option<Duration>,
    started: Instant,
    /// Whether error answers are read to spot context-length errors (a fallback wants them).
    read_errors: bool,
}

/// Runs one attempt counted on `series`: started, then timed to its response head (or error).
/// An attempt dropped before that (a hedge's loser) is counted started only.
///
/// A plain future rather than an `async fn`: an `async fn` would hold the (large) attempt
/// twice, once as its argument and once being awaited.
fn timed<F: Future<Output = Attempt>>(series: &Upstream, attempt: F) -> Timed<'_, F> {
    series.start();
    Timed {
        attempt,
        series,
        sent: Instant::now(),
    }
}

pin_project_lite::pin_project! {
    /// [`timed`]'s future.
    struct Timed<'a, F> {
        #[pin]
        attempt: F,
        series: &'a Upstream,
        sent: Instant,
    }
}

impl<F: Future<Output = Attempt>> Future for Timed<'_, F> {
    type Output = Attempt;

    fn poll(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Attempt> {
        let this = self.project();
        let result = std::task::ready!(this.attempt.poll(cx));
        this.series.observe(this.sent.elapsed());
        std::task::Poll::Ready(result)
    }
}

/// Counts the attempt's error on `series`, if it was one.
fn count_error(series: &Upstream, verdict: Verdict, result: &Attempt) {
    if let Some(e) = error_label(verdict, result) {
        series.error(e);
    }
}

/// Adds `x-llmux-cost-usd` to a finished non-streamed answer whose cost is known (the
/// usage was read before the head): the number its record will hold.
fn with_cost(mut resp: Response<PassthroughBody>) -> Response<PassthroughBody> {
    if let Some(cost) = resp.body_mut().recorder().answer_cost() {
        // Local models cost 0: no float formatting for the most common value.
        let value = if cost == 0.0 {
            Ok(HeaderValue::from_static("0"))
        } else {
            HeaderValue::from_str(&crate::pricing::format_usd(cost))
        };
        if let Ok(v) = value {
            resp.headers_mut().insert(
                HeaderName::from_static(crate::passthrough::headers::COST),
                v,
            );
        }
    }
    resp
}

impl Run<'_> {
    /// Keeps `result` as the answer of last resort; the one it replaces is never sent, so
    /// its record is dropped rather than counted as a disconnect.
    fn failed(&mut self, verdict: Verdict, result: Attempt) {
        if let Some(Ok(mut old)) = self.last.replace(result) {
            old.body_mut().recorder().discard();
        }
        self.last_verdict = Some(verdict);
    }

    fn note_wait(&mut self, wait: Duration) {
        self.wait = Some(self.wait.map_or(wait, |w| w.min(wait)));
    }
}

impl Gateway {
    /// Serves a chat request: resolves the model, then tries its group members, retries and
    /// fallbacks until one answers.
    ///
    /// A request that fails without any upstream answer (refused, unroutable, every attempt
    /// unreachable) gets a record of its own here; an answered one has its attempt's record.
    pub async fn chat(&self, mut inbound: Inbound) -> Attempt {
        let started = Instant::now();
        let mut requested = String::new();
        let result = self.serve_chat(&mut inbound, started, &mut requested).await;
        if let Err(e) = &result {
            self.record_failure(&inbound, requested, e, started);
        }
        result
    }

    /// [`Gateway::chat`] up to its answer; `requested_out` learns the model once it is known.
    async fn serve_chat(
        &self,
        inbound: &mut Inbound,
        started: Instant,
        requested_out: &mut String,
    ) -> Attempt {
        let snapshot = self.snapshot();
        // A handle on the same bytes, so that `inbound` can take the caller's tags and
        // admission while the parsed body borrows from it.
        let body = inbound.body.clone();
        let inspected = inspect(&body, inbound.op, client_target(inbound))?;
        inspected.model.clone_into(requested_out);
        // Without its `@tag` suffix; the body's own model is rewritten on the way out.
        let requested = crate::access::tag_request(&snapshot, inbound, &inspected.model)?;
        requested.clone_into(requested_out);
        // Owned, so that the plan does not hold `inbound` borrowed.
        let group = inbound.group.clone();
        let plan = match &group {
            Some(group) => snapshot.plan(group),
            None => snapshot.plan(&requested),
        };
        let plan = match plan {
            // Ollama clients add `:latest` to bare names; llmux's names carry no tag.
            Err(_) if inbound.dialect == Dialect::Ollama && requested.ends_with(":latest") => {
                snapshot.plan(&requested[..requested.len() - ":latest".len()])?
            }
            other => other?,
        };
        crate::access::admit_request(
            &snapshot,
            inbound,
            &plan,
            &requested,
            max_output(&inspected),
        )?;
        let inbound: &Inbound = inbound;
        // The common case: one upstream, nothing to fall back to.
        if let (Serving::One(route), []) = (&plan.serving, plan.fallbacks) {
            let series = self.metrics().upstream("", &route.provider.id, route.model);
            let attempt = self.attempt(inbound, Some(inspected), route, &requested, started);
            let result = timed(&series, attempt).await;
            count_error(&series, judge(&result).0, &result);
            return result.map(with_cost);
        }
        let mut run = Run {
            attempts: 0,
            hedge_failed: None,
            inspected: Some(inspected),
            last: None,
            last_verdict: None,
            wait: None,
            started,
            read_errors: plan.fallback_on_context_length && !plan.fallbacks.is_empty(),
        };
        // Boxed: groups, retries and hedges keep a lot of state; inline, it would weigh on
        // the common single-upstream path's future too.
        let result =
            Box::pin(self.serve_plan(&snapshot, &plan, inbound, &requested, &mut run)).await;
        // A failed attempt kept as the answer of last resort is not the answer after all.
        if let Some(Ok(mut unused)) = run.last.take() {
            unused.body_mut().recorder().discard();
        }
        let attempts = run.attempts;
        let result = result.map_err(|e| match attempts {
            0 => e,
            n => e.with_attempts(n),
        });
        result.map(|mut resp| {
            resp.body_mut().recorder().attempts(attempts);
            if let Ok(v) = HeaderValue::from_str(&attempts.to_string()) {
                resp.headers_mut()
                    .insert(HeaderName::from_static(ATTEMPTS_HEADER), v);
            }
            with_cost(resp)
        })
    }

    async fn serve_plan<'i>(
        &self,
        snapshot: &Snapshot,
        plan: &Plan<'_>,
        inbound: &'i Inbound,
        requested: &str,
        run: &mut Run<'i>,
    ) -> Attempt {
        if let Some(done) = self
            .serve_one(&plan.serving, plan.profile, inbound, requested, run)
            .await
        {
            return done;
        }
        for fallback in plan.fallbacks {
            let falls_back = match run.last_verdict {
                Some(Verdict::ContextLength) => plan.fallback_on_context_length,
                Some(Verdict::Final) => false,
                _ => true,
            };
            if !falls_back {
                break;
            }
            let Ok(next) = snapshot.plan(fallback) else {
                continue;
            };
            tracing::warn!(
                target: "llmux::routing",
                model = requested,
                fallback = %fallback,
                attempts = run.attempts,
                "falling back"
            );
            self.metrics().fallback(fallback);
            if let Some(done) = self
                .serve_one(&next.serving, next.profile, inbound, requested, run)
                .await
            {
                return done;
            }
        }
        self.give_up(requested, run)
    }

    /// The final answer once everything was tried: the last upstream result, or, when no
    /// upstream could even be tried, a 503 saying why.
    fn give_up(&self, requested: &str, run: &mut Run<'_>) -> Attempt {
        match run.last.take() {
            Some(last) => last,
            // Every member is cooling down (after its own 429, or over its requests- or
            // tokens-per-minute window): a rate limit, so a 429 saying when one is back.
            None => match run.wait {
                Some(wait) => Err(GatewayError::rate_limited(
                    format!("every upstream of `{requested}`"),
                    wait,
                )),
                None => Err(ErrorKind::NoUpstreamAvailable {
                    model: requested.to_owned(),
                    reason: "the circuit breaker of every member is open".into(),
                    retry_after: "1".to_owned(),
                }
                .into()),
            },
        }
    }

    /// Serves on one target (a route or a group). `Some` is the answer to return; `None`
    /// means exhausted, with the last failure kept in `run`.
    async fn serve_one<'i>(
        &self,
        serving: &Serving<'_>,
        profile: Option<&Profile>,
        inbound: &'i Inbound,
        requested: &str,
        run: &mut Run<'i>,
    ) -> Option<Attempt> {
        match serving {
            Serving::One(route) => {
                run.attempts += 1;
                let series = self.metrics().upstream("", &route.provider.id, route.model);
                let attempt =
                    self.attempt(inbound, run.inspected.take(), route, requested, run.started);
                let mut result = timed(&series, attempt).await;
                let (verdict, _) = if run.read_errors {
                    verdict::judge_reading(&mut result).await
                } else {
                    judge(&result)
                };
                count_error(&series, verdict, &result);
                if verdict == Verdict::Final {
                    return Some(result);
                }
                run.failed(verdict, result);
                None
            }
            Serving::Group(group) => {
                self.serve_group(group, profile, inbound, requested, run)
                    .await
            }
        }
    }
}

/// The most output tokens the request allows, where its API says it at the top level
/// (`max_tokens`, `max_completion_tokens`, `max_output_tokens`).
fn max_output(inspected: &crate::passthrough::Inspected<'_>) -> Option<u64> {
    ["max_completion_tokens", "max_tokens", "max_output_tokens"]
        .iter()
        .find_map(|k| inspected.object.get(k)?.get().trim().parse::<u64>().ok())
}
