//! A same-dialect, non-streamed answer read whole before its head is sent, so its usage
//! and cost are known in time for the `x-llmux-cost-usd` header. Streams are never read this
//! way: their bytes go to the client as they arrive.

use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use http_body_util::BodyExt;
use llmux_protocol::{openai, Dialect};

use crate::error::{ErrorKind, GatewayError};
use crate::record::Recorder;
use crate::upstream::UpstreamBody;

/// Largest non-streamed answer read whole (as for translated answers).
const MAX_BODY: usize = 64 << 20;

/// How much of the end of a body is searched for its `usage` object.
const TAIL: usize = 4096;

/// A whole upstream answer and when its first byte arrived.
pub(super) struct Whole {
    pub bytes: Bytes,
    pub first_byte: Option<Instant>,
}

/// Reads `body` to its end within `total`, at most [`MAX_BODY`] bytes.
pub(super) async fn read(
    provider: &str,
    mut body: UpstreamBody,
    total: Duration,
) -> Result<Whole, GatewayError> {
    let broken = |detail: String| -> GatewayError {
        ErrorKind::UpstreamBroken {
            provider: provider.to_owned(),
            detail,
        }
        .into()
    };
    let read = async {
        let mut first_byte = None;
        let mut single: Option<Bytes> = None;
        let mut joined = BytesMut::new();
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|e| broken(e.to_string()))?;
            let Ok(data) = frame.into_data() else {
                continue; // trailers
            };
            first_byte.get_or_insert_with(Instant::now);
            // The common case, one chunk: kept as is, no copy.
            match single.take() {
                None if joined.is_empty() => single = Some(data),
                prev => {
                    if let Some(p) = prev {
                        joined.extend_from_slice(&p);
                    }
                    joined.extend_from_slice(&data);
                }
            }
            let len = single.as_ref().map_or(joined.len(), Bytes::len);
            if len > MAX_BODY {
                return Err(broken(format!("answer larger than {MAX_BODY} bytes")));
            }
        }
        let bytes = single.unwrap_or_else(|| joined.freeze());
        Ok(Whole { bytes, first_byte })
    };
    match tokio::time::timeout(total, read).await {
        Ok(result) => result,
        Err(_) => Err(ErrorKind::UpstreamTimeout {
            provider: provider.to_owned(),
            what: "finish the response",
            after: total,
        }
        .into()),
    }
}

/// Records what the answer's tail says: usage in the client's dialect, and OpenRouter's own
/// cost when the provider states one.
pub(super) fn record_usage(recorder: &mut Recorder, client: Dialect, bytes: &[u8]) {
    let tail = &bytes[bytes.len().saturating_sub(TAIL)..];
    if let Some(usage) = crate::translate::tail_usage(client)(tail) {
        recorder.usage(usage);
    }
    if recorder.wants_reported_cost() {
        if let Some(cost) = openai::reported_cost(tail) {
            recorder.reported_cost(cost);
        }
    }
}
