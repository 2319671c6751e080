//! The response body of a same-dialect call: upstream bytes flow to the client as they arrive,
//! while a tap reads usage and timing. SSE streams are cut into events only to read (and, when
//! llmux itself asked for usage, drop) the usage chunk; whole chunks pass through zero-copy.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http_body::{Body, Frame, SizeHint};
use llmux_protocol::canonical::StreamEvent;
use llmux_protocol::dialects::Framing;
use llmux_protocol::dialects::{StreamDecode, StreamEncode};
use llmux_protocol::ndjson::LineSplitter;
use llmux_protocol::{openai, sse::SseSplitter};
use tokio::time::{Instant, Sleep};

use crate::error::{ErrorKind, GatewayError};
use crate::record::Recorder;
use crate::upstream::UpstreamBody;

/// Renders an error as one event of the client's stream dialect.
pub type ErrorEvent = fn(&GatewayError) -> Bytes;

/// How much of the end of a non-streamed body is kept to find its `usage`.
const TAIL: usize = 4096;

/// What the tap does with the bytes.
pub enum Mode {
    /// An SSE stream: read usage per event; optionally drop the usage-only chunk.
    Sse {
        /// Drop the usage-only chunk (llmux asked for it, the client did not).
        strip_usage: bool,
        /// Renders a mid-stream failure for the client.
        error_event: ErrorEvent,
        /// Reads usage by decoding events (dialects whose usage is spread over several
        /// events, e.g. Anthropic); `None`: the fast OpenAI byte search.
        usage_tap: Option<Box<dyn StreamDecode>>,
    },
    /// A whole JSON body: read usage from its tail with this dialect's reader.
    Json {
        /// Finds usage in the last bytes of the body.
        usage: fn(&[u8]) -> Option<llmux_protocol::Usage>,
    },
    /// A provider stream of another dialect: decoded to canonical events and re-encoded for
    /// the client, event by event (nothing accumulates).
    Translate {
        /// The provider's stream decoder.
        decoder: Box<dyn StreamDecode>,
        /// The client's stream encoder.
        encoder: Box<dyn StreamEncode>,
        /// Renders a mid-stream failure for the client.
        error_event: ErrorEvent,
    },
    /// Pass through without reading (error bodies, unknown content).
    Raw,
}

/// Cuts upstream bytes into the pieces the mode reads: SSE events, or NDJSON lines.
enum Splitter {
    Sse(SseSplitter),
    Lines(LineSplitter),
}

impl Splitter {
    fn for_mode(mode: &Mode) -> Self {
        match mode {
            Mode::Translate { decoder, .. } if decoder.framing() == Framing::Ndjson => {
                Splitter::Lines(LineSplitter::new())
            }
            _ => Splitter::Sse(SseSplitter::new()),
        }
    }

    fn has_pending(&self) -> bool {
        match self {
            Splitter::Sse(s) => s.has_pending(),
            Splitter::Lines(s) => s.has_pending(),
        }
    }

    fn push(&mut self, chunk: Bytes, out: &mut Vec<Bytes>) {
        match self {
            Splitter::Sse(s) => s.push(chunk, out),
            Splitter::Lines(s) => s.push(chunk, out),
        }
    }

    fn finish(&mut self) -> Option<Bytes> {
        match self {
            Splitter::Sse(s) => s.finish(),
            Splitter::Lines(s) => s.finish(),
        }
    }
}

/// The client-facing body of a passthrough response.
pub struct PassthroughBody {
    upstream: UpstreamBody,
    mode: Mode,
    splitter: Splitter,
    events: Vec<Bytes>,
    tail: BytesMut,
    ready: VecDeque<Bytes>,
    peeked: Option<Bytes>,
    provider: String,
    idle_after: Duration,
    deadline: Option<Instant>,
    total: Duration,
    last_activity: Instant,
    timer: Option<Pin<Box<Sleep>>>,
    recorder: Recorder,
    /// Bytes the upstream announced (`content-length`), and how many arrived so far: hyper
    /// stops polling a body once it has sent the announced length, so the end is detected here.
    expected: Option<u64>,
    received: u64,
    done: bool,
    /// A translated stream delivered its end (or an error): anything else is a cut stream.
    answer_complete: bool,
    /// Translated streams: decoded events of the current chunk (reused).
    canonical: Vec<StreamEvent>,
    /// Translated streams: the encoder's output buffer (outputs are split off its front).
    out: BytesMut,
}

impl PassthroughBody {
    /// Wraps an upstream body. `total` bounds the whole body (non-streamed responses only).
    pub fn new(
        upstream: UpstreamBody,
        mode: Mode,
        provider: String,
        idle_after: Duration,
        total: Option<Duration>,
        recorder: Recorder,
    ) -> Self {
        let now = Instant::now();
        let expected = upstream.size_hint().exact();
        let splitter = Splitter::for_mode(&mode);
        PassthroughBody {
            upstream,
            mode,
            splitter,
            events: Vec::new(),
            tail: BytesMut::new(),
            ready: VecDeque::new(),
            peeked: None,
            provider,
            idle_after,
            deadline: total.map(|t| now + t),
            total: total.unwrap_or_default(),
            last_activity: now,
            timer: None,
            recorder,
            expected,
            received: 0,
            done: false,
            answer_complete: false,
            canonical: Vec::new(),
            out: BytesMut::new(),
        }
    }

    /// Reads a whole (error) body that has not started flowing, and puts it back to be
    /// replayed: the caller may look at a provider's error before deciding to pass it on.
    /// `None` when it could not be read in time (the body then answers with nothing).
    pub async fn buffer(&mut self, within: Duration) -> Option<Bytes> {
        let upstream = std::mem::replace(&mut self.upstream, UpstreamBody::Full(None));
        let bytes = crate::translate::read_all(&self.provider, upstream, within)
            .await
            .ok()?;
        self.expected = Some(bytes.len() as u64);
        self.upstream = UpstreamBody::Full(Some(bytes.clone()));
        Some(bytes)
    }

    /// The request's record, to add what the caller learns after the body was built.
    pub fn recorder(&mut self) -> &mut Recorder {
        &mut self.recorder
    }

    /// Waits for the first upstream chunk before the response head is committed, so that an
    /// upstream that fails at once still gets a proper error status instead of a broken stream.
    pub async fn peek(&mut self) -> Result<(), GatewayError> {
        let first = std::future::poll_fn(|cx| self.poll_upstream(cx)).await;
        match first {
            Some(Ok(chunk)) => {
                self.peeked = Some(chunk);
                Ok(())
            }
            Some(Err(e)) => {
                self.recorder.error(e.code());
                self.done = true;
                Err(e)
            }
            None => {
                self.done = true;
                Ok(())
            }
        }
    }

    /// The next upstream chunk, with the idle and total timeouts applied.
    fn poll_upstream(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Bytes, GatewayError>>> {
        if let Some(chunk) = self.peeked.take() {
            return Poll::Ready(Some(Ok(chunk)));
        }
        loop {
            match Pin::new(&mut self.upstream).poll_frame(cx) {
                Poll::Ready(Some(Ok(frame))) => match frame.into_data() {
                    Ok(data) if data.is_empty() => continue,
                    Ok(data) => {
                        self.last_activity = Instant::now();
                        self.recorder.first_byte();
                        return Poll::Ready(Some(Ok(data)));
                    }
                    Err(_trailers) => continue,
                },
                Poll::Ready(Some(Err(e))) => {
                    let err = if e.kind() == std::io::ErrorKind::TimedOut {
                        timeout_error(&self.provider, self.idle_after)
                    } else {
                        ErrorKind::UpstreamBroken {
                            provider: self.provider.clone(),
                            detail: e.to_string(),
                        }
                        .into()
                    };
                    return Poll::Ready(Some(Err(err)));
                }
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Pending => return self.poll_timer(cx),
            }
        }
    }

    /// When the body times out if no more data arrives.
    fn due(&self) -> Instant {
        let idle_due = self.last_activity + self.idle_after;
        self.deadline.map_or(idle_due, |d| d.min(idle_due))
    }

    /// Checks the idle/total timer. The timer is armed once and re-armed only when it fires:
    /// data that arrived meanwhile moved the due time later, so an early firing just pushes it
    /// to the new due time. No timer work happens per chunk.
    fn poll_timer(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Bytes, GatewayError>>> {
        let due = self.due();
        let timer = self
            .timer
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(due)));
        loop {
            if timer.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            let now = Instant::now();
            if now < due {
                timer.as_mut().reset(due);
                continue;
            }
            let err = if self.deadline.is_some_and(|d| now >= d) {
                ErrorKind::UpstreamTimeout {
                    provider: self.provider.clone(),
                    what: "finish the response",
                    after: self.total,
                }
                .into()
            } else {
                timeout_error(&self.provider, self.idle_after)
            };
            return Poll::Ready(Some(Err(err)));
        }
    }

    /// Feeds one upstream chunk through the tap, queueing what the client gets.
    fn on_data(&mut self, data: Bytes) {
        self.received += data.len() as u64;
        let complete = self.expected.is_some_and(|n| self.received >= n);
        self.tap(data);
        if complete {
            self.on_end();
        }
    }

    fn tap(&mut self, data: Bytes) {
        match &self.mode {
            Mode::Raw => self.ready.push_back(data),
            Mode::Json { .. } => {
                self.tail.extend_from_slice(&data);
                if self.tail.len() > 2 * TAIL {
                    let cut = self.tail.len() - TAIL;
                    let _ = self.tail.split_to(cut);
                }
                self.ready.push_back(data);
            }
            Mode::Translate { .. } => {
                self.events.clear();
                self.splitter.push(data, &mut self.events);
                let mut canonical = std::mem::take(&mut self.canonical);
                let mut failure = None;
                self.read_reported_cost();
                if let Mode::Translate { decoder, .. } = &mut self.mode {
                    for ev in &self.events {
                        if let Err(e) = decoder.push(ev, &mut canonical) {
                            failure = Some(e);
                            break;
                        }
                    }
                }
                self.emit(&canonical);
                canonical.clear();
                self.canonical = canonical;
                if let Some(e) = failure {
                    self.fail(
                        ErrorKind::UpstreamBroken {
                            provider: self.provider.clone(),
                            detail: format!("unreadable stream event: {e}"),
                        }
                        .into(),
                    );
                }
            }
            Mode::Sse { strip_usage, .. } => {
                let strip_usage = *strip_usage;
                let whole_chunk = !self.splitter.has_pending();
                self.events.clear();
                self.splitter.push(data.clone(), &mut self.events);
                if let Mode::Sse {
                    usage_tap: Some(tap),
                    ..
                } = &mut self.mode
                {
                    // Bytes pass through unchanged; the decoder only reads usage.
                    let mut decoded = Vec::new();
                    for ev in &self.events {
                        let _ = tap.push(ev, &mut decoded);
                    }
                    self.record_usage(&decoded);
                    self.ready.push_back(data);
                    return;
                }
                // Cheap per event: a byte search; only the usage chunk is parsed.
                let mut dropped = None;
                for (i, ev) in self.events.iter().enumerate() {
                    if let Some(usage) = openai::chunk_usage(ev) {
                        self.recorder.usage(usage);
                        if self.recorder.wants_reported_cost() {
                            if let Some(cost) = openai::reported_cost(ev) {
                                self.recorder.reported_cost(cost);
                            }
                        }
                        let usage_only = llmux_protocol::sse::event_data(ev)
                            .is_some_and(|d| openai::is_usage_only_chunk(&d));
                        if strip_usage && usage_only {
                            dropped = Some(i);
                        }
                    }
                }
                if whole_chunk && !self.splitter.has_pending() && dropped.is_none() {
                    self.ready.push_back(data); // the common case: forward the chunk as is
                    return;
                }
                let kept = self
                    .events
                    .drain(..)
                    .enumerate()
                    .filter(|(i, _)| Some(*i) != dropped)
                    .map(|(_, ev)| ev);
                let mut joined = BytesMut::new();
                for ev in kept {
                    joined.extend_from_slice(&ev);
                }
                if !joined.is_empty() {
                    self.ready.push_back(joined.freeze());
                }
            }
        }
    }

    /// The upstream body ended normally.
    fn on_end(&mut self) {
        match &self.mode {
            Mode::Sse { usage_tap, .. } => {
                let forwarded = usage_tap.is_some();
                if let Some(rest) = self.splitter.finish() {
                    if forwarded {
                        // The tap forwards every chunk as it comes: only read the last event.
                        self.read_usage_from(&rest);
                    } else {
                        self.ready.push_back(rest);
                    }
                }
            }
            Mode::Json { usage } => {
                if let Some(usage) = usage(&self.tail) {
                    self.recorder.usage(usage);
                }
            }
            Mode::Translate { .. } => {
                let mut canonical = Vec::new();
                if let Mode::Translate { decoder, .. } = &mut self.mode {
                    if let Some(rest) = self.splitter.finish() {
                        let _ = decoder.push(&rest, &mut canonical);
                    }
                    decoder.finish(&mut canonical);
                }
                self.emit(&canonical);
                if !self.answer_complete {
                    // A cut stream must not look like a short answer to the client.
                    self.fail(
                        ErrorKind::UpstreamBroken {
                            provider: self.provider.clone(),
                            detail: "the stream ended before the answer was complete".into(),
                        }
                        .into(),
                    );
                }
            }
            Mode::Raw => {}
        }
        self.done = true;
        if !matches!(self.mode, Mode::Sse { .. } | Mode::Translate { .. }) {
            // The client may never poll again after the last byte: record now.
            self.recorder.finish();
        }
    }
}

impl PassthroughBody {
    /// Records the exact cost an OpenRouter stream states in its final chunk, read from the
    /// provider's own events before they are translated (the canonical events carry none).
    fn read_reported_cost(&mut self) {
        if !self.recorder.wants_reported_cost() {
            return;
        }
        for ev in &self.events {
            if let Some(cost) = openai::reported_cost(ev) {
                self.recorder.reported_cost(cost);
            }
        }
    }

    /// Records the usage carried by decoded events.
    fn record_usage(&mut self, events: &[StreamEvent]) {
        for ev in events {
            if let StreamEvent::MessageStart { usage: Some(u), .. }
            | StreamEvent::MessageDelta { usage: Some(u), .. } = ev
            {
                self.recorder.usage(*u);
            }
        }
    }

    /// Reads usage from one last (unterminated) event with the usage tap.
    fn read_usage_from(&mut self, event: &[u8]) {
        let mut decoded = Vec::new();
        if let Mode::Sse {
            usage_tap: Some(tap),
            ..
        } = &mut self.mode
        {
            let _ = tap.push(event, &mut decoded);
        }
        self.record_usage(&decoded);
    }

    /// Records usage from canonical events and queues their encoding for the client.
    fn emit(&mut self, events: &[StreamEvent]) {
        self.record_usage(events);
        let Mode::Translate { encoder, .. } = &mut self.mode else {
            return;
        };
        // One buffer serves many chunks: each output is split off its front.
        let out = &mut self.out;
        if out.capacity() < 512 {
            out.reserve(4096);
        }
        for ev in events {
            if matches!(ev, StreamEvent::MessageStop | StreamEvent::Error { .. }) {
                self.answer_complete = true;
            }
            encoder.encode(ev, out);
        }
        if !out.is_empty() {
            self.ready.push_back(out.split().freeze());
        }
    }

    /// Ends a translated stream with an error event.
    fn fail(&mut self, err: GatewayError) {
        self.recorder.error(err.code());
        self.done = true;
        // The client's stream is now ended by this error event: nothing more to report.
        self.answer_complete = true;
        if let Mode::Translate { error_event, .. } | Mode::Sse { error_event, .. } = &self.mode {
            self.ready.push_back(error_event(&err));
        }
    }
}

fn timeout_error(provider: &str, after: Duration) -> GatewayError {
    ErrorKind::UpstreamTimeout {
        provider: provider.to_owned(),
        what: "send more data",
        after,
    }
    .into()
}

impl Body for PassthroughBody {
    type Data = Bytes;
    type Error = GatewayError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, GatewayError>>> {
        let this = self.get_mut();
        loop {
            if let Some(b) = this.ready.pop_front() {
                return Poll::Ready(Some(Ok(Frame::data(b))));
            }
            if this.done {
                this.recorder.finish();
                return Poll::Ready(None);
            }
            match this.poll_upstream(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Ok(data))) => this.on_data(data),
                Poll::Ready(None) => this.on_end(),
                Poll::Ready(Some(Err(err))) => {
                    this.recorder.error(err.code());
                    this.done = true;
                    tracing::warn!(provider = %this.provider, error = %err, "upstream failed mid-response");
                    match &this.mode {
                        // A stream ends with a well-formed error event, then closes.
                        Mode::Sse { error_event, .. } | Mode::Translate { error_event, .. } => {
                            this.ready.push_back(error_event(&err))
                        }
                        // A body with a committed length cannot be completed: abort it.
                        Mode::Json { .. } | Mode::Raw => {
                            this.recorder.finish();
                            return Poll::Ready(Some(Err(err)));
                        }
                    }
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.done && self.ready.is_empty()
    }

    fn size_hint(&self) -> SizeHint {
        match self.mode {
            // Unchanged bytes: the upstream's exact length still holds.
            Mode::Json { .. } | Mode::Raw
                if self.peeked.is_none() && self.ready.is_empty() && !self.done =>
            {
                self.upstream.size_hint()
            }
            _ => SizeHint::default(),
        }
    }
}
