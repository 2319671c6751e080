//! Incremental Server-Sent-Events framing.
//!
//! [`SseSplitter`] cuts an arbitrary sequence of byte chunks into whole events, each returned
//! with its own terminating blank line, without copying when a chunk already holds whole events.
//! Line endings follow the SSE specification: `\n`, `\r\n` and `\r` are all line terminators.

use bytes::{Bytes, BytesMut};

/// Splits a byte stream into whole SSE events (raw bytes, terminator included).
#[derive(Debug, Default)]
pub struct SseSplitter {
    /// Bytes of an event not yet terminated.
    pending: BytesMut,
    /// How far into `pending` the scanner got.
    scanned: usize,
    /// Scanner state at `scanned`.
    state: ScanState,
}

#[derive(Debug, Default, Clone, Copy)]
struct ScanState {
    /// Line terminators seen in a row just before the scan position (0 or 1).
    terminators: u8,
    /// The previous byte was `\r`, so a `\n` now completes a CRLF and is not a new terminator.
    after_cr: bool,
}

/// Result of scanning for the end of an event.
enum Boundary {
    /// The event ends just before this offset.
    At(usize),
    /// No complete event yet; resume scanning at this offset with the saved state.
    Incomplete(usize),
}

impl ScanState {
    /// Scans `buf` from `from`, updating the state, and reports the first event boundary.
    fn scan(&mut self, buf: &[u8], from: usize) -> Boundary {
        let mut i = from;
        while i < buf.len() {
            let b = buf[i];
            match b {
                b'\n' if self.after_cr => {
                    // Second half of a CRLF: already counted at the `\r`.
                    self.after_cr = false;
                }
                b'\n' | b'\r' => {
                    if self.terminators == 1 {
                        // A blank line: the event ends here (plus the `\n` of a final CRLF).
                        if b == b'\r' {
                            match buf.get(i + 1) {
                                Some(b'\n') => return self.reset_at(i + 2),
                                Some(_) => return self.reset_at(i + 1),
                                // A `\n` may still follow in the next chunk: wait for it.
                                None => return Boundary::Incomplete(i),
                            }
                        }
                        return self.reset_at(i + 1);
                    }
                    self.after_cr = b == b'\r';
                    self.terminators = 1;
                }
                _ => {
                    self.terminators = 0;
                    self.after_cr = false;
                    // Skip quickly to the next line terminator.
                    match memchr::memchr2(b'\n', b'\r', &buf[i..]) {
                        Some(off) => {
                            i += off;
                            continue;
                        }
                        None => return Boundary::Incomplete(buf.len()),
                    }
                }
            }
            i += 1;
        }
        Boundary::Incomplete(buf.len())
    }

    fn reset_at(&mut self, end: usize) -> Boundary {
        *self = ScanState::default();
        Boundary::At(end)
    }
}

impl SseSplitter {
    /// A splitter with nothing pending.
    pub fn new() -> Self {
        Self::default()
    }

    /// True when bytes of an unfinished event are held back.
    pub fn has_pending(&self) -> bool {
        !self.pending.is_empty()
    }

    /// Feeds one chunk and appends every event it completes to `out`.
    ///
    /// Events that lie wholly inside `chunk` are zero-copy slices of it. An event split across
    /// chunks is copied once into the pending buffer, and scanning resumes where it stopped, so
    /// a long event arriving in small pieces costs time linear in its length.
    pub fn push(&mut self, chunk: Bytes, out: &mut Vec<Bytes>) {
        if self.pending.is_empty() {
            let (mut start, mut state) = (0, self.state);
            loop {
                match state.scan(&chunk, start) {
                    Boundary::At(end) => {
                        out.push(chunk.slice(start..end));
                        start = end;
                    }
                    Boundary::Incomplete(resume) => {
                        self.pending.extend_from_slice(&chunk[start..]);
                        self.scanned = resume - start;
                        self.state = state;
                        return;
                    }
                }
            }
        }
        self.pending.extend_from_slice(&chunk);
        let (mut pos, mut state) = (self.scanned, self.state);
        loop {
            match state.scan(&self.pending, pos) {
                Boundary::At(end) => {
                    out.push(self.pending.split_to(end).freeze());
                    pos = 0;
                }
                Boundary::Incomplete(resume) => {
                    self.scanned = resume;
                    self.state = state;
                    return;
                }
            }
        }
    }

    /// Ends the stream: returns the bytes of an unterminated last event, if any.
    pub fn finish(&mut self) -> Option<Bytes> {
        self.state = ScanState::default();
        self.scanned = 0;
        if self.pending.is_empty() {
            None
        } else {
            Some(self.pending.split().freeze())
        }
    }
}

/// The `data` payload of one raw SSE event: its `data:` lines joined by `\n`, one optional
/// leading space removed from each. `None` when the event has no `data` field (comments, pings).
pub fn event_data(event: &[u8]) -> Option<std::borrow::Cow<'_, [u8]>> {
    let mut found: Option<std::borrow::Cow<'_, [u8]>> = None;
    for line in lines(event) {
        let Some(value) = field_value(line, b"data") else {
            continue;
        };
        found = Some(match found {
            None => std::borrow::Cow::Borrowed(value),
            Some(prev) => {
                let mut joined = prev.into_owned();
                joined.push(b'\n');
                joined.extend_from_slice(value);
                std::borrow::Cow::Owned(joined)
            }
        });
    }
    found
}

/// The value of the `event:` field of a raw SSE event, if present.
pub fn event_name(event: &[u8]) -> Option<&[u8]> {
    lines(event).find_map(|line| field_value(line, b"event"))
}

/// Splits raw event bytes into lines, accepting `\n`, `\r\n` and `\r` endings.
fn lines(event: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = event;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        match memchr::memchr2(b'\n', b'\r', rest) {
            Some(pos) => {
                let line = &rest[..pos];
                let skip = if rest[pos] == b'\r' && rest.get(pos + 1) == Some(&b'\n') {
                    2
                } else {
                    1
                };
                rest = &rest[pos + skip..];
                Some(line)
            }
            None => {
                let line = rest;
                rest = &[];
                Some(line)
            }
        }
    })
}

/// If `line` is `name:value` (or `name: value`), returns the value.
fn field_value<'a>(line: &'a [u8], name: &[u8]) -> Option<&'a [u8]> {
    let rest = line.strip_prefix(name)?;
    let rest = rest.strip_prefix(b":")?;
    Some(rest.strip_prefix(b" ").unwrap_or(rest))
}

/// Renders one SSE event carrying `data` (which must not contain line breaks).
pub fn data_event(data: &[u8]) -> Bytes {
    let mut out = BytesMut::with_capacity(data.len() + 8);
    out.extend_from_slice(b"data: ");
    out.extend_from_slice(data);
    out.extend_from_slice(b"\n\n");
    out.freeze()
}

#[cfg(test)]
mod tests;
