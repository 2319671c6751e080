//! Background writer threads (usage rows, journal lines): a bounded hand-off from request
//! tasks that never blocks them, counters of what was dropped, written and lost, a clean
//! shutdown, and a lower scheduling priority for the thread.
//!
//! The thread never parks in `recv`: a parked receiver would be woken by every offer, a
//! context switch per request on the request path's core. It drains the channel on a tick
//! instead ([`Inbox::drain`]), and nobody ever wakes it.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TryRecvError, TrySendError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use thread_priority::{
    set_thread_priority_and_policy, thread_native_id, NormalThreadSchedulePolicy, ThreadPriority,
    ThreadPriorityValue, ThreadSchedulePolicy,
};

/// The library's 0–99 scale, where 23 maps to nice 10 on Linux.
const NICE_10: u8 = 23;

/// Lowers the calling thread's priority, best effort: a system that refuses leaves it as it
/// is (logged at debug level). The writer threads share cores with the request path; a commit
/// of a thousand rows must not hold a core a request is waiting for. `SCHED_BATCH` at nice 10
/// still gets them a tenth of a saturated core (several times what they need), and never
/// preempts a request on wake-up.
pub fn lower_current_thread_priority() {
    let Ok(value) = ThreadPriorityValue::try_from(NICE_10) else {
        return;
    };
    let policy = ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Batch);
    if let Err(e) = set_thread_priority_and_policy(
        thread_native_id(),
        ThreadPriority::Crossplatform(value),
        policy,
    ) {
        tracing::debug!(error = ?e, "could not lower a background thread's priority");
    }
}

enum Msg<T> {
    // Boxed: the channel's slots are allocated up front, a pointer each instead of an item.
    Item(Box<T>),
    Shutdown,
}

/// What a background thread did with the items offered to it.
#[derive(Debug, Default)]
pub struct Counters {
    dropped: AtomicU64,
    written: AtomicU64,
    failed: AtomicU64,
}

impl Counters {
    /// Counts `n` items written.
    pub fn written(&self, n: u64) {
        self.written.fetch_add(n, Ordering::Relaxed);
    }

    /// Counts `n` items lost; returns how many were lost before (to log now and then).
    pub fn failed(&self, n: u64) -> u64 {
        self.failed.fetch_add(n, Ordering::Relaxed)
    }
}

/// The thread's end of the channel.
pub struct Inbox<T> {
    rx: Receiver<Msg<T>>,
}

impl<T> Inbox<T> {
    /// Hands every queued item to `take`, without waiting. Returns true when the thread
    /// should end: shutdown was asked (the items queued behind that request are taken too)
    /// or every sender is gone.
    pub fn drain(&self, mut take: impl FnMut(T)) -> bool {
        loop {
            match self.rx.try_recv() {
                Ok(Msg::Item(item)) => take(*item),
                Ok(Msg::Shutdown) => {
                    while let Ok(Msg::Item(item)) = self.rx.try_recv() {
                        take(*item);
                    }
                    return true;
                }
                Err(TryRecvError::Empty) => return false,
                Err(TryRecvError::Disconnected) => return true,
            }
        }
    }
}

/// A background thread fed through a bounded channel. Dropped without
/// [`Handoff::shutdown`], the thread still handles what is queued and then ends, but nobody
/// waits for it.
pub struct Handoff<T> {
    tx: SyncSender<Msg<T>>,
    closed: AtomicBool,
    counters: Arc<Counters>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl<T: Send + 'static> Handoff<T> {
    /// Starts thread `name` at lower priority, running `body` over the channel's end and the
    /// counters; the channel holds `capacity` items.
    pub fn spawn(
        name: &str,
        capacity: usize,
        body: impl FnOnce(Inbox<T>, &Counters) + Send + 'static,
    ) -> std::io::Result<Self> {
        let (tx, rx) = sync_channel(capacity.max(1));
        let counters = Arc::new(Counters::default());
        let thread = std::thread::Builder::new().name(name.into()).spawn({
            let counters = counters.clone();
            move || {
                lower_current_thread_priority();
                body(Inbox { rx }, &counters)
            }
        })?;
        Ok(Handoff {
            tx,
            closed: AtomicBool::new(false),
            counters,
            thread: Mutex::new(Some(thread)),
        })
    }

    /// Hands an item over without blocking. Returns false (and counts it as dropped) when
    /// the channel is full or the thread was shut down.
    pub fn offer(&self, item: T) -> bool {
        if self.closed.load(Ordering::Acquire) {
            self.counters.dropped.fetch_add(1, Ordering::Relaxed);
            return false;
        }
        match self.tx.try_send(Msg::Item(Box::new(item))) {
            Ok(()) => true,
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {
                self.counters.dropped.fetch_add(1, Ordering::Relaxed);
                false
            }
        }
    }

    /// Items dropped because the channel was full or the thread was shut down.
    pub fn dropped(&self) -> u64 {
        self.counters.dropped.load(Ordering::Relaxed)
    }

    /// Items the thread wrote.
    pub fn written(&self) -> u64 {
        self.counters.written.load(Ordering::Relaxed)
    }

    /// Items the thread lost to a failed write.
    pub fn failed(&self) -> u64 {
        self.counters.failed.load(Ordering::Relaxed)
    }

    /// Lets the thread handle everything offered so far, then stops it and waits for it.
    /// Items offered afterwards are dropped (and counted). A second call returns at once.
    pub fn shutdown(&self) {
        self.closed.store(true, Ordering::Release);
        let handle = self.thread.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(handle) = handle {
            // Blocking is fine here: this is shutdown, and the thread is draining the channel.
            if self.tx.send(Msg::Shutdown).is_ok() && handle.join().is_err() {
                tracing::error!("background writer thread panicked");
            }
        }
    }
}
