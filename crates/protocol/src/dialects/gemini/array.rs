//! The JSON-array form of `streamGenerateContent` (no `alt=sse`): the same chunks as the SSE
//! form, sent as the elements of one JSON array that arrives piece by piece.

use bytes::BytesMut;

use super::StreamEncoder;
use crate::canonical::StreamEvent;

/// Encodes canonical events as the JSON-array stream: `[` before the first chunk, `,\r\n`
/// between chunks, `]` when the answer ends.
#[derive(Debug, Default)]
pub struct ArrayStreamEncoder {
    inner: StreamEncoder,
    scratch: BytesMut,
    opened: bool,
    closed: bool,
}

impl ArrayStreamEncoder {
    /// An encoder at the start of a stream.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends the wire form of `event` to `out`.
    pub fn encode(&mut self, event: &StreamEvent, out: &mut BytesMut) {
        if self.closed {
            return;
        }
        self.scratch.clear();
        self.inner.encode(event, &mut self.scratch);
        // The inner encoder writes whole `data: {json}\r\n\r\n` events only.
        for event in self.scratch[..].split(|b: &u8| *b == b'\n') {
            let Some(json) = event.strip_prefix(b"data: ") else {
                continue;
            };
            let json = json.strip_suffix(b"\r").unwrap_or(json);
            out.extend_from_slice(if self.opened { b",\r\n" } else { b"[" });
            self.opened = true;
            out.extend_from_slice(json);
        }
        if matches!(event, StreamEvent::MessageStop | StreamEvent::Error { .. }) {
            out.extend_from_slice(if self.opened { b"]" } else { b"[]" });
            self.closed = true;
        }
    }
}
