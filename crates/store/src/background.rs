//! Lower scheduling priority for llmux's background writer threads (usage rows, journal
//! lines). They share cores with the request path; a commit of a thousand rows must not hold
//! a core a request is waiting for. `SCHED_BATCH` at nice 10 still gets them a tenth of a
//! saturated core (several times what they need), and never preempts a request on wake-up.

use thread_priority::{
    set_thread_priority_and_policy, thread_native_id, NormalThreadSchedulePolicy, ThreadPriority,
    ThreadPriorityValue, ThreadSchedulePolicy,
};

/// The library's 0–99 scale, where 23 maps to nice 10 on Linux.
const NICE_10: u8 = 23;

/// Lowers the calling thread's priority, best effort: a system that refuses leaves it as it
/// is (logged at debug level).
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
