//! The body of an HTTP/1.1 response, read straight from the connection as it is polled.
//! Everything a read returns is handed on at once (decoded chunks joined into one frame), and
//! a completely read connection goes back to the pool.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use bytes::{Bytes, BytesMut};
use http_body::{Body, Frame, SizeHint};

use super::chunked::ChunkedDecoder;
use super::head::Framing;
use super::{Conn, H1Pool, READ_BUF};

enum Decoder {
    Length(u64),
    Chunked(ChunkedDecoder),
    Close,
}

/// A response body streamed from a pooled HTTP/1.1 connection.
pub struct H1Body {
    conn: Option<Conn>,
    decoder: Decoder,
    keep_alive: bool,
    pool: Arc<H1Pool>,
    scratch: Vec<Bytes>,
    done: bool,
}

impl H1Body {
    pub(super) fn new(conn: Conn, framing: Framing, keep_alive: bool, pool: Arc<H1Pool>) -> Self {
        let decoder = match framing {
            Framing::Length(n) => Decoder::Length(n),
            Framing::Chunked => Decoder::Chunked(ChunkedDecoder::default()),
            Framing::Close => Decoder::Close,
        };
        let mut body = H1Body {
            conn: Some(conn),
            decoder,
            keep_alive,
            pool,
            scratch: Vec::new(),
            done: false,
        };
        if matches!(body.decoder, Decoder::Length(0)) {
            body.finish(true);
        }
        body
    }

    /// Ends the body; a cleanly finished keep-alive connection returns to the pool.
    fn finish(&mut self, clean: bool) {
        self.done = true;
        if let Some(conn) = self.conn.take() {
            if clean && self.keep_alive {
                self.pool.checkin(conn);
            }
        }
    }

    /// Takes the next frame out of the buffered bytes, if any is complete.
    fn decode_buffered(&mut self) -> Result<Option<Bytes>, std::io::Error> {
        let Some(conn) = self.conn.as_mut() else {
            return Ok(None);
        };
        if conn.buf.is_empty() {
            return Ok(None);
        }
        match &mut self.decoder {
            Decoder::Length(left) => {
                let take = usize::try_from(*left)
                    .unwrap_or(usize::MAX)
                    .min(conn.buf.len());
                let data = conn.buf.split_to(take).freeze();
                *left -= take as u64;
                if *left == 0 {
                    self.finish(true);
                }
                Ok(Some(data))
            }
            Decoder::Chunked(dec) => {
                self.scratch.clear();
                let done = dec
                    .decode(&mut conn.buf, &mut self.scratch)
                    .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e.0))?;
                let data = match self.scratch.len() {
                    0 => None,
                    1 => self.scratch.pop(),
                    _ => {
                        // Several chunks arrived together: one frame, so one write downstream.
                        let mut joined =
                            BytesMut::with_capacity(self.scratch.iter().map(Bytes::len).sum());
                        for part in self.scratch.drain(..) {
                            joined.extend_from_slice(&part);
                        }
                        Some(joined.freeze())
                    }
                };
                if done {
                    self.finish(true);
                }
                Ok(data)
            }
            Decoder::Close => Ok(Some(conn.buf.split().freeze())),
        }
    }
}

impl Body for H1Body {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        let this = self.get_mut();
        loop {
            match this.decode_buffered() {
                Ok(Some(data)) if !data.is_empty() => {
                    return Poll::Ready(Some(Ok(Frame::data(data))))
                }
                Ok(_) => {}
                Err(e) => {
                    this.finish(false);
                    return Poll::Ready(Some(Err(e)));
                }
            }
            if this.done {
                return Poll::Ready(None);
            }
            let Some(conn) = this.conn.as_mut() else {
                return Poll::Ready(None);
            };
            if conn.buf.capacity() - conn.buf.len() < 1024 {
                conn.buf.reserve(READ_BUF);
            }
            if let Err(e) = ready!(conn.stream.poll_read_ready(cx)) {
                this.finish(false);
                return Poll::Ready(Some(Err(e)));
            }
            match conn.stream.try_read_buf(&mut conn.buf) {
                Ok(0) => {
                    let complete = matches!(this.decoder, Decoder::Close);
                    this.finish(false);
                    return if complete {
                        Poll::Ready(None)
                    } else {
                        Poll::Ready(Some(Err(std::io::Error::new(
                            std::io::ErrorKind::UnexpectedEof,
                            "the upstream closed the connection before the body ended",
                        ))))
                    };
                }
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(e) => {
                    this.finish(false);
                    return Poll::Ready(Some(Err(e)));
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.done
    }

    fn size_hint(&self) -> SizeHint {
        match self.decoder {
            Decoder::Length(n) => SizeHint::with_exact(n),
            _ => SizeHint::default(),
        }
    }
}
