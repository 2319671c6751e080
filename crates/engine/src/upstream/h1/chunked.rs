//! Incremental decoder of HTTP/1.1 `Transfer-Encoding: chunked` bodies. Pure: bytes in, data
//! slices out (zero-copy where the data lies in one read), so it is testable without sockets.

use bytes::{Bytes, BytesMut};

/// Why a chunked body is malformed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkError(pub &'static str);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Reading hex digits of a chunk size.
    Size {
        value: u64,
        digits: u8,
    },
    /// Skipping a chunk extension up to the line end.
    Extension {
        value: u64,
    },
    /// Expecting the `\n` that ends a size line.
    SizeLf {
        value: u64,
    },
    /// Inside chunk data, this many bytes left.
    Data(u64),
    /// Expecting the `\r\n` after chunk data.
    DataCr,
    DataLf,
    /// Trailer section: at the start of a line.
    TrailerLineStart,
    /// Trailer section: inside a line.
    TrailerLine,
    /// Expecting the final `\n`.
    EndLf,
    /// The terminating chunk and trailers were read.
    Done,
}

/// Decodes a chunked body incrementally.
#[derive(Debug, Clone)]
pub struct ChunkedDecoder {
    state: State,
}

impl Default for ChunkedDecoder {
    fn default() -> Self {
        ChunkedDecoder {
            state: State::Size {
                value: 0,
                digits: 0,
            },
        }
    }
}

impl ChunkedDecoder {
    /// Consumes as much of `buf` as possible, appending decoded data to `out`. Returns whether
    /// the body is complete; unconsumed bytes (after the end) stay in `buf`.
    pub fn decode(&mut self, buf: &mut BytesMut, out: &mut Vec<Bytes>) -> Result<bool, ChunkError> {
        let mut i = 0;
        while i < buf.len() && self.state != State::Done {
            if let State::Data(left) = self.state {
                // Hand out the data bytes as one slice, without copying.
                let _ = buf.split_to(i);
                i = 0;
                let take = usize::try_from(left).unwrap_or(usize::MAX).min(buf.len());
                out.push(buf.split_to(take).freeze());
                let left = left - take as u64;
                self.state = if left == 0 {
                    State::DataCr
                } else {
                    State::Data(left)
                };
                continue;
            }
            let b = buf[i];
            i += 1;
            self.state = match (self.state, b) {
                (State::Size { value, digits }, b'0'..=b'9' | b'a'..=b'f' | b'A'..=b'F') => {
                    if digits >= 15 {
                        return Err(ChunkError("chunk size too large"));
                    }
                    let d = (b as char).to_digit(16).unwrap_or(0) as u64;
                    State::Size {
                        value: value * 16 + d,
                        digits: digits + 1,
                    }
                }
                (State::Size { digits: 0, .. }, _) => return Err(ChunkError("missing chunk size")),
                (State::Size { value, .. }, b';' | b' ' | b'\t') => State::Extension { value },
                (State::Size { value, .. } | State::Extension { value }, b'\r') => {
                    State::SizeLf { value }
                }
                (
                    State::Size { value, .. }
                    | State::Extension { value }
                    | State::SizeLf { value },
                    b'\n',
                ) => {
                    if value == 0 {
                        State::TrailerLineStart
                    } else {
                        State::Data(value)
                    }
                }
                (State::Size { .. }, _) => return Err(ChunkError("invalid chunk size")),
                (State::Extension { value }, _) => State::Extension { value },
                (State::SizeLf { .. }, _) => {
                    return Err(ChunkError("expected LF after chunk size"))
                }
                (State::DataCr, b'\r') => State::DataLf,
                (State::DataCr | State::DataLf, b'\n') => State::Size {
                    value: 0,
                    digits: 0,
                },
                (State::DataCr | State::DataLf, _) => {
                    return Err(ChunkError("expected CRLF after chunk data"))
                }
                (State::TrailerLineStart, b'\r') => State::EndLf,
                (State::TrailerLineStart | State::EndLf, b'\n') => State::Done,
                (State::EndLf, _) => return Err(ChunkError("expected LF at the end of the body")),
                (State::TrailerLine, b'\n') => State::TrailerLineStart,
                (State::TrailerLineStart | State::TrailerLine, _) => State::TrailerLine,
                (State::Data(_) | State::Done, _) => self.state,
            };
        }
        let _ = buf.split_to(i);
        Ok(self.state == State::Done)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn decode_all(parts: &[&[u8]]) -> Result<(Vec<u8>, bool, Vec<u8>), ChunkError> {
        let mut d = ChunkedDecoder::default();
        let mut buf = BytesMut::new();
        let mut data = Vec::new();
        let mut done = false;
        for p in parts {
            buf.extend_from_slice(p);
            let mut out = Vec::new();
            done = d.decode(&mut buf, &mut out)?;
            for b in out {
                data.extend_from_slice(&b);
            }
        }
        Ok((data, done, buf.to_vec()))
    }

    #[test]
    fn table() {
        let cases: &[(&[u8], &[u8], bool)] = &[
            (b"5\r\nhello\r\n0\r\n\r\n", b"hello", true),
            (
                b"5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
                b"hello world",
                true,
            ),
            (
                b"A\r\n0123456789\r\n0\r\nX-Trailer: 1\r\n\r\n",
                b"0123456789",
                true,
            ),
            (b"3\nabc\n0\n\n", b"abc", true),
            (b"5\r\nhel", b"hel", false),
        ];
        for (input, want, done) in cases {
            let (data, d, _) = decode_all(&[input]).unwrap();
            assert_eq!(data, *want, "{:?}", String::from_utf8_lossy(input));
            assert_eq!(d, *done);
        }
        for bad in [
            &b"zz\r\n"[..],
            b"\r\n",
            b"5\r\nhelloXX",
            b"ffffffffffffffff1\r\n",
        ] {
            assert!(
                decode_all(&[bad]).is_err(),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn leftover_after_the_end_stays_in_the_buffer() {
        let (data, done, rest) = decode_all(&[b"1\r\na\r\n0\r\n\r\nHTTP/1.1"]).unwrap();
        assert_eq!(
            (data.as_slice(), done, rest.as_slice()),
            (&b"a"[..], true, &b"HTTP/1.1"[..])
        );
    }

    proptest! {
        /// Any data, chunked any way and delivered in any pieces, decodes back exactly.
        #[test]
        fn roundtrip(data in proptest::collection::vec(any::<u8>(), 0..600),
                     sizes in proptest::collection::vec(1usize..80, 1..20),
                     cuts in proptest::collection::vec(0usize..2000, 0..8)) {
            let mut wire = Vec::new();
            let mut rest = &data[..];
            let mut k = 0;
            while !rest.is_empty() {
                let n = sizes[k % sizes.len()].min(rest.len());
                wire.extend_from_slice(format!("{n:x}\r\n").as_bytes());
                wire.extend_from_slice(&rest[..n]);
                wire.extend_from_slice(b"\r\n");
                rest = &rest[n..];
                k += 1;
            }
            wire.extend_from_slice(b"0\r\n\r\n");
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c % (wire.len() + 1)).collect();
            cuts.sort_unstable();
            let mut parts = Vec::new();
            let mut prev = 0;
            for c in cuts { parts.push(&wire[prev..c]); prev = c; }
            parts.push(&wire[prev..]);
            let (got, done, left) = decode_all(&parts).unwrap();
            prop_assert_eq!(got, data);
            prop_assert!(done);
            prop_assert!(left.is_empty());
        }

        /// Arbitrary bytes never panic.
        #[test]
        fn arbitrary_input(data in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = decode_all(&[&data]);
        }
    }
}
