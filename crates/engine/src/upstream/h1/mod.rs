//! A minimal HTTP/1.1 client for direct plain-HTTP upstreams (local model servers, sidecars).
//!
//! The request's own task does the socket IO on a pooled connection: no connection task, no
//! channel between the socket and the response body. One read takes everything the upstream
//! has sent, so a burst of stream events leaves llmux in one write, as it would through nginx.
//! TLS, HTTP/2 and proxied upstreams use the general client instead (see `upstream`).

mod body;
mod chunked;
mod head;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use http::{HeaderMap, Method};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

pub use body::H1Body;
pub use head::{Framing, ResponseHead};

/// Initial read buffer of a connection; it grows when a read fills it.
const READ_BUF: usize = 4096;

/// A connection and the bytes read from it but not yet consumed.
pub(crate) struct Conn {
    stream: TcpStream,
    buf: BytesMut,
}

struct Idle {
    conn: Conn,
    since: Instant,
}

/// Keep-alive connections to one `host:port`.
pub struct H1Pool {
    /// `host:port`, also the `Host` header.
    authority: String,
    connect_timeout: Duration,
    /// TCP keepalive idle time of new connections; `None`: off.
    keepalive: Option<Duration>,
    idle_timeout: Duration,
    max_idle: usize,
    idle: Mutex<Vec<Idle>>,
}

/// Why a request failed.
#[derive(Debug)]
pub enum H1Error {
    /// TCP connect failed.
    Connect(std::io::Error),
    /// TCP connect did not finish in time.
    ConnectTimeout,
    /// The connection broke or the response was not HTTP.
    Broken(String),
}

impl std::fmt::Display for H1Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            H1Error::Connect(e) => write!(f, "{e}"),
            H1Error::ConnectTimeout => f.write_str("connect timed out"),
            H1Error::Broken(s) => f.write_str(s),
        }
    }
}

/// A response head and its streaming body.
pub struct H1Response {
    /// Status, headers, framing.
    pub head: ResponseHead,
    /// The body, read from the connection as it is polled.
    pub body: H1Body,
}

impl H1Pool {
    /// A pool for `authority` (`host:port`); new connections send TCP keepalive probes after
    /// `keepalive` of silence, when set.
    pub fn new(
        authority: String,
        connect_timeout: Duration,
        keepalive: Option<Duration>,
    ) -> Arc<H1Pool> {
        Arc::new(H1Pool {
            authority,
            connect_timeout,
            keepalive,
            idle_timeout: Duration::from_secs(60),
            max_idle: 1024,
            idle: Mutex::new(Vec::new()),
        })
    }

    /// The most recently used idle connection that has not expired.
    fn checkout(&self) -> Option<Conn> {
        let mut idle = self.idle.lock().ok()?;
        while let Some(entry) = idle.pop() {
            if entry.since.elapsed() < self.idle_timeout {
                return Some(entry.conn);
            }
        }
        None
    }

    /// Returns a connection whose last response was read completely.
    pub(crate) fn checkin(&self, conn: Conn) {
        if !conn.buf.is_empty() {
            return; // unexpected extra bytes: the connection's state is unknown
        }
        if let Ok(mut idle) = self.idle.lock() {
            if idle.len() < self.max_idle {
                idle.push(Idle {
                    conn,
                    since: Instant::now(),
                });
            }
        }
    }

    async fn connect(&self) -> Result<Conn, H1Error> {
        let stream =
            tokio::time::timeout(self.connect_timeout, TcpStream::connect(&self.authority))
                .await
                .map_err(|_| H1Error::ConnectTimeout)?
                .map_err(H1Error::Connect)?;
        let _ = stream.set_nodelay(true);
        if let Some(idle) = self.keepalive {
            // Best effort, as for nodelay: a platform without the option still works.
            let params = socket2::TcpKeepalive::new().with_time(idle);
            let _ = socket2::SockRef::from(&stream).set_tcp_keepalive(&params);
        }
        Ok(Conn {
            stream,
            buf: BytesMut::with_capacity(READ_BUF),
        })
    }

    /// Sends one request and reads the response head. A pooled connection that turns out to be
    /// closed (the upstream's keep-alive ran out) is replaced by a new one, once, provided no
    /// byte of a response came back.
    pub async fn send(
        self: &Arc<Self>,
        method: &Method,
        path_and_query: &str,
        headers: &HeaderMap,
        body: &Bytes,
    ) -> Result<H1Response, H1Error> {
        let mut request = Vec::with_capacity(256 + headers.len() * 48 + body.len());
        head::encode_request(
            &mut request,
            method,
            &self.authority,
            path_and_query,
            headers,
            body.len(),
        );
        request.extend_from_slice(body);
        if let Some(conn) = self.checkout() {
            match self.exchange(conn, &request).await {
                Ok(resp) => return Ok(resp),
                Err((false, _)) => {} // stale connection: retry on a fresh one
                Err((true, e)) => return Err(e),
            }
        }
        let conn = self.connect().await?;
        self.exchange(conn, &request).await.map_err(|(_, e)| e)
    }

    /// Writes the request and reads the head. The error says whether any response byte arrived.
    async fn exchange(
        self: &Arc<Self>,
        mut conn: Conn,
        request: &[u8],
    ) -> Result<H1Response, (bool, H1Error)> {
        let broken = |got: bool, e: String| (got, H1Error::Broken(e));
        conn.stream
            .write_all(request)
            .await
            .map_err(|e| broken(false, format!("sending the request failed: {e}")))?;
        loop {
            match head::parse_response(&mut conn.buf) {
                Ok(Some(head)) => {
                    let body = H1Body::new(conn, head.framing, head.keep_alive, Arc::clone(self));
                    return Ok(H1Response { head, body });
                }
                Ok(None) => {}
                Err(e) => return Err(broken(true, format!("invalid response head: {e:?}"))),
            }
            if conn.buf.capacity() - conn.buf.len() < 1024 {
                conn.buf.reserve(READ_BUF);
            }
            let got_any = !conn.buf.is_empty();
            match conn.stream.read_buf(&mut conn.buf).await {
                Ok(0) => {
                    return Err(broken(
                        got_any,
                        "connection closed before the response head".into(),
                    ));
                }
                Ok(_) => {}
                Err(e) => return Err(broken(got_any, format!("reading the response failed: {e}"))),
            }
        }
    }
}

#[cfg(test)]
mod tests;
