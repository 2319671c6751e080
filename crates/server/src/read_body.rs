//! Reads a request body up to the configured limit.

use axum::body::Body;
use bytes::{Bytes, BytesMut};
use http::HeaderMap;
use http_body_util::BodyExt;
use llmux_engine::{ErrorKind, GatewayError};

/// How far past the limit an oversized body is still read (and thrown away) so that the client
/// is not cut off mid-upload and actually sees the 413.
const DRAIN_FACTOR: usize = 8;

/// Collects `body`, failing with 413 past `limit` bytes.
pub async fn read_body(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
) -> Result<Bytes, GatewayError> {
    let declared = headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    let too_large = || GatewayError::from(ErrorKind::PayloadTooLarge { limit });
    if declared.is_some_and(|n| n > limit.saturating_mul(DRAIN_FACTOR)) {
        return Err(too_large());
    }
    let mut body = body;
    // Most bodies arrive in one frame: keep it as is; copy only when there are several.
    let mut first: Option<Bytes> = None;
    let mut buf: Option<BytesMut> = None;
    let mut seen = 0usize;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| {
            ErrorKind::InvalidJson(format!("the request body could not be read: {e}"))
        })?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        seen += data.len();
        if seen > limit {
            if seen > limit.saturating_mul(DRAIN_FACTOR) {
                return Err(too_large());
            }
            first = None;
            buf = None;
            continue; // keep draining, then answer 413
        }
        match (&mut buf, first.take()) {
            (Some(b), _) => b.extend_from_slice(&data),
            (None, None) => first = Some(data),
            (None, Some(prev)) => {
                let mut b = BytesMut::with_capacity(
                    declared.unwrap_or(0).clamp(prev.len() + data.len(), limit),
                );
                b.extend_from_slice(&prev);
                b.extend_from_slice(&data);
                buf = Some(b);
            }
        }
    }
    if seen > limit {
        return Err(too_large());
    }
    Ok(match buf {
        Some(b) => b.freeze(),
        None => first.unwrap_or_default(),
    })
}
