//! Response body of the mock: a queue of pre-rendered frames sent one by one with an
//! optional delay between them, ending normally, with an error (abort) or never (stall);
//! plus the [`Tracker`] drop guard that counts completed and cancelled responses.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use tokio::sync::Notify;
use tokio::time::Sleep;

/// Pause between the last frame and the abort of a `Reset` body, so that what was sent
/// reaches the client before the connection is torn down.
const RESET_FLUSH: Duration = Duration::from_millis(5);

/// Request counters shared between the server and the handle.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) requests: AtomicU64,
    pub(crate) completed: AtomicU64,
    pub(crate) cancelled: AtomicU64,
    /// Woken whenever `cancelled` changes.
    pub(crate) changed: Notify,
}

/// Drop guard of one response: created when handling starts, moved into the body. Dropped
/// while still pending (client gone during the delay or mid-body) it counts as cancelled.
#[derive(Debug)]
pub(crate) struct Tracker {
    counters: Option<Arc<Counters>>,
}

impl Tracker {
    pub(crate) fn new(counters: Arc<Counters>) -> Self {
        Self {
            counters: Some(counters),
        }
    }

    /// A tracker that counts nothing (control endpoints).
    pub(crate) fn none() -> Self {
        Self { counters: None }
    }

    /// The body was sent completely.
    pub(crate) fn complete(&mut self) {
        if let Some(c) = self.counters.take() {
            c.completed.fetch_add(1, Ordering::AcqRel);
        }
    }

    /// Ended on purpose by a fault: neither completed nor cancelled.
    pub(crate) fn disarm(&mut self) {
        self.counters = None;
    }
}

impl Drop for Tracker {
    fn drop(&mut self) {
        if let Some(c) = self.counters.take() {
            c.cancelled.fetch_add(1, Ordering::AcqRel);
            c.changed.notify_waiters();
        }
    }
}

/// How a [`MockBody`] ends once its frames are sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum End {
    /// Normally.
    Finish,
    /// With a body error, so the server aborts the connection (no terminating chunk).
    Reset,
    /// Never: stays pending until the client goes away.
    Stall,
    /// Already ended (after a `Reset` error).
    Done,
}

/// The response body type of every mock response.
#[derive(Debug)]
pub(crate) struct MockBody {
    frames: VecDeque<Bytes>,
    chunk_delay: Duration,
    sleep: Option<Pin<Box<Sleep>>>,
    /// The delay before the next frame has elapsed.
    delayed: bool,
    sent_any: bool,
    /// The pause before a `Reset` error has been scheduled.
    reset_armed: bool,
    end: End,
    /// Unknown length (chunked transfer) rather than `Content-Length`.
    streaming: bool,
    tracker: Tracker,
}

impl MockBody {
    pub(crate) fn new(
        frames: Vec<Bytes>,
        chunk_delay: Duration,
        end: End,
        streaming: bool,
        mut tracker: Tracker,
    ) -> Self {
        if frames.is_empty() && end == End::Finish {
            tracker.complete();
        }
        Self {
            frames: frames.into(),
            chunk_delay,
            sleep: None,
            delayed: false,
            sent_any: false,
            reset_armed: false,
            end,
            streaming,
            tracker,
        }
    }
}

impl Body for MockBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        let this = self.get_mut();
        loop {
            if let Some(sleep) = this.sleep.as_mut() {
                if sleep.as_mut().poll(cx).is_pending() {
                    return Poll::Pending;
                }
                this.sleep = None;
                this.delayed = true;
            }
            if this.frames.is_empty() {
                return match this.end {
                    End::Finish => {
                        this.tracker.complete();
                        Poll::Ready(None)
                    }
                    End::Done => Poll::Ready(None),
                    End::Stall => Poll::Pending,
                    End::Reset if !this.reset_armed => {
                        // Yield once so hyper flushes the head and frames before the abort.
                        this.reset_armed = true;
                        this.sleep = Some(Box::pin(tokio::time::sleep(RESET_FLUSH)));
                        continue;
                    }
                    End::Reset => {
                        this.tracker.disarm();
                        this.end = End::Done;
                        Poll::Ready(Some(Err(std::io::Error::new(
                            std::io::ErrorKind::ConnectionReset,
                            "llmux-mock fault: reset-mid-stream",
                        ))))
                    }
                };
            }
            if this.sent_any && !this.delayed && !this.chunk_delay.is_zero() {
                this.sleep = Some(Box::pin(tokio::time::sleep(this.chunk_delay)));
                continue;
            }
            let Some(frame) = this.frames.pop_front() else {
                continue;
            };
            this.sent_any = true;
            this.delayed = false;
            if this.frames.is_empty() && this.end == End::Finish {
                this.tracker.complete();
            }
            return Poll::Ready(Some(Ok(Frame::data(frame))));
        }
    }

    fn is_end_stream(&self) -> bool {
        self.frames.is_empty() && matches!(self.end, End::Finish | End::Done)
    }

    fn size_hint(&self) -> SizeHint {
        if self.streaming || self.end != End::Finish {
            return SizeHint::default();
        }
        SizeHint::with_exact(self.frames.iter().map(|f| f.len() as u64).sum())
    }
}
