//! Incremental framing of newline-delimited JSON streams (Ollama): bytes in, whole lines out.

use bytes::{Bytes, BytesMut};

/// Cuts a byte stream into lines, whatever the chunk boundaries.
#[derive(Debug, Default)]
pub struct LineSplitter {
    pending: BytesMut,
}

impl LineSplitter {
    /// A splitter with nothing pending.
    pub fn new() -> Self {
        Self::default()
    }

    /// True when bytes of an unfinished line are held back.
    pub fn has_pending(&self) -> bool {
        !self.pending.is_empty()
    }

    /// Feeds one chunk and appends every non-blank line it completes to `out`, without its
    /// `\n` (or `\r\n`). Lines wholly inside `chunk` are zero-copy slices of it; a line split
    /// across chunks is copied once, and only the new bytes are searched for its end.
    pub fn push(&mut self, chunk: Bytes, out: &mut Vec<Bytes>) {
        if self.pending.is_empty() {
            let mut start = 0;
            for end in memchr::memchr_iter(b'\n', &chunk) {
                push_line(chunk.slice(start..end), out);
                start = end + 1;
            }
            self.pending.extend_from_slice(&chunk[start..]);
            return;
        }
        let searched = self.pending.len();
        self.pending.extend_from_slice(&chunk);
        let mut from = searched;
        while let Some(off) = memchr::memchr(b'\n', &self.pending[from..]) {
            let mut line = self.pending.split_to(from + off + 1);
            line.truncate(line.len() - 1);
            push_line(line.freeze(), out);
            from = 0;
        }
    }

    /// Ends the stream: returns an unterminated last line, if it is not blank.
    pub fn finish(&mut self) -> Option<Bytes> {
        let rest = self.pending.split().freeze();
        let mut out = Vec::with_capacity(1);
        push_line(rest, &mut out);
        out.pop()
    }
}

fn push_line(line: Bytes, out: &mut Vec<Bytes>) {
    let line = match line.last() {
        Some(b'\r') => line.slice(..line.len() - 1),
        _ => line,
    };
    if line.iter().any(|b| !b.is_ascii_whitespace()) {
        out.push(line);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn lines_across_chunks() {
        let mut s = LineSplitter::new();
        let mut out = Vec::new();
        s.push(Bytes::from_static(b"{\"a\":1}\n{\"b\""), &mut out);
        assert_eq!(out, [Bytes::from_static(b"{\"a\":1}")]);
        assert!(s.has_pending());
        s.push(Bytes::from_static(b":2}\r\n\n  \n{\"c\":3}"), &mut out);
        assert_eq!(out.len(), 2);
        assert_eq!(out[1], Bytes::from_static(b"{\"b\":2}"));
        assert_eq!(s.finish(), Some(Bytes::from_static(b"{\"c\":3}")));
        assert_eq!(s.finish(), None);
    }

    proptest! {
        /// However the stream is cut, the same lines come out.
        #[test]
        fn chunking_does_not_change_lines(text in "[a-z{}\":\\n\\r ]{0,200}", cuts in proptest::collection::vec(0usize..200, 0..8)) {
            let data = Bytes::from(text);
            let mut whole = LineSplitter::new();
            let mut want = Vec::new();
            whole.push(data.clone(), &mut want);
            want.extend(whole.finish());
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(data.len())).collect();
            cuts.sort_unstable();
            let mut s = LineSplitter::new();
            let mut got = Vec::new();
            let mut at = 0;
            for c in cuts.into_iter().chain([data.len()]) {
                s.push(data.slice(at..c), &mut got);
                at = c;
            }
            got.extend(s.finish());
            prop_assert_eq!(got, want);
        }
    }
}
