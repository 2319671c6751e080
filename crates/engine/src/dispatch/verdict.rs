//! Judging one attempt's result: an answer, or a failure worth another member, a retry or a
//! fallback.

use std::time::Duration;

use http::header::RETRY_AFTER;

use super::Attempt;
use crate::error::ErrorKind;
use crate::metrics::UpstreamError;
use crate::routing::retry::retry_after;

/// How an attempt's result counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Verdict {
    /// An answer (or the client's own mistake, which no other member would fix).
    Final,
    /// The member is slowing us down: try another, or the same after `Retry-After`.
    RateLimited,
    /// The member failed: try another.
    Failed,
    /// This member cannot take the request (another protocol that cannot carry it).
    Unsuitable,
    /// The prompt is too long for the model.
    ContextLength,
}

/// Statuses worth another attempt: timeouts, overload, server errors, and a rejected key
/// (another member has another key).
fn retryable_status(status: u16) -> bool {
    matches!(
        status,
        401 | 403 | 408 | 409 | 500 | 502 | 503 | 504 | 520..=529
    )
}

/// Whether a provider's error text says the prompt did not fit the context window.
pub(super) fn context_length_message(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    [
        "context_length_exceeded",
        "context length",
        "context window",
        "maximum context",
        "prompt is too long",
        "too many tokens",
        "input is too long",
    ]
    .iter()
    .any(|needle| m.contains(needle))
}

pub(super) fn judge(result: &Attempt) -> (Verdict, Option<Duration>) {
    let now = std::time::SystemTime::now();
    match result {
        Ok(resp) => {
            let status = resp.status().as_u16();
            let wait = resp
                .headers()
                .get(RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| retry_after(v, now));
            match status {
                429 => (Verdict::RateLimited, wait),
                s if retryable_status(s) => (Verdict::Failed, wait),
                _ => (Verdict::Final, None),
            }
        }
        Err(e) => match e.kind() {
            ErrorKind::UpstreamStatus {
                status,
                retry_after: ra,
                message,
                ..
            } => {
                let wait = ra.as_deref().and_then(|v| retry_after(v, now));
                match *status {
                    429 => (Verdict::RateLimited, wait),
                    400 | 413 | 422 if context_length_message(message) => {
                        (Verdict::ContextLength, None)
                    }
                    s if retryable_status(s) => (Verdict::Failed, wait),
                    _ => (Verdict::Final, None),
                }
            }
            ErrorKind::UpstreamUnreachable { .. }
            | ErrorKind::UpstreamTimeout { .. }
            | ErrorKind::UpstreamBroken { .. } => (Verdict::Failed, None),
            ErrorKind::Untranslatable { .. } | ErrorKind::UnsupportedTranslation { .. } => {
                (Verdict::Unsuitable, None)
            }
            _ => (Verdict::Final, None),
        },
    }
}

/// A same-protocol error answer whose status may mean "prompt too long" is read (it is small)
/// so its text can be judged; the body is kept to be passed on unchanged if it is not.
pub(super) async fn judge_reading(result: &mut Attempt) -> (Verdict, Option<Duration>) {
    let mut broken = None;
    if let Ok(resp) = result {
        if matches!(resp.status().as_u16(), 400 | 413 | 422) {
            match resp.body_mut().buffer(Duration::from_secs(10)).await {
                Some(b) if context_length_message(&String::from_utf8_lossy(&b)) => {
                    return (Verdict::ContextLength, None);
                }
                Some(_) => {}
                // The error body never arrived whole: an upstream failure, not an answer.
                None => {
                    let provider = resp
                        .headers()
                        .get(crate::passthrough::headers::UPSTREAM)
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.split('/').next())
                        .unwrap_or_default()
                        .to_owned();
                    broken = Some((provider, resp.status().as_u16()));
                }
            }
        }
    }
    if let Some((provider, status)) = broken {
        *result = Err(ErrorKind::UpstreamBroken {
            provider,
            detail: format!("the {status} answer's body could not be read"),
        }
        .into());
    }
    judge(result)
}

/// The `error` label of an attempt judged `verdict`: none for an answer; the transport
/// error's own code when there was no response at all, else the verdict.
pub(super) fn error_label(verdict: Verdict, result: &Attempt) -> Option<UpstreamError> {
    let by_verdict = match verdict {
        Verdict::Final => return None,
        Verdict::RateLimited => UpstreamError::RateLimited,
        Verdict::Failed => UpstreamError::Failed,
        Verdict::Unsuitable => UpstreamError::Unsuitable,
        Verdict::ContextLength => UpstreamError::ContextLength,
    };
    let transport = result.as_ref().err().and_then(UpstreamError::transport);
    Some(transport.unwrap_or(by_verdict))
}
