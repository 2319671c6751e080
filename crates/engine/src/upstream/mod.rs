//! The only outbound IO of llmux.
//!
//! Two transports, chosen per provider when the snapshot is built:
//! - [`h1`]: direct plain-HTTP/1.1 upstreams (local model servers, sidecars) are served by a
//!   minimal client whose socket reads happen in the request's own task, with no per-chunk
//!   hand-over between tasks. This is the path where the proxy's own cost matters most.
//! - `reqwest` for everything else: TLS (rustls with webpki and system roots), HTTP/2 by ALPN,
//!   a provider's configured proxy, or `HTTP(S)_PROXY`/`NO_PROXY` from the environment.

pub mod h1;

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Method, StatusCode};
use http_body::{Body, Frame, SizeHint};

use crate::config::{HttpSettings, Timeouts};
use crate::error::{ErrorKind, GatewayError};
use crate::snapshot::Provider;

/// The `User-Agent` llmux sends when the client sent none.
pub const USER_AGENT: &str = concat!("llmux/", env!("CARGO_PKG_VERSION"));

/// How a provider is reached.
pub enum Transport {
    /// Direct plain HTTP/1.1, pooled, IO in the request task.
    H1(Arc<h1::H1Pool>),
    /// The general client: TLS, HTTP/2, proxies.
    Client(reqwest::Client),
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Transport::H1(_) => "Transport::H1",
            Transport::Client(_) => "Transport::Client",
        })
    }
}

/// True when the environment names an outbound proxy for plain-HTTP requests.
fn http_proxy_configured() -> bool {
    ["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"]
        .iter()
        .any(|v| std::env::var_os(v).is_some_and(|s| !s.is_empty()))
}

/// Picks the transport for a provider: direct HTTP/1.1 for `http://` without a proxy (the
/// general client applies a configured proxy, or the environment's with its `NO_PROXY` rules).
pub fn transport_for(
    base_url: &str,
    timeouts: &Timeouts,
    http: &HttpSettings,
) -> Result<Transport, GatewayError> {
    if let Some(rest) = base_url.strip_prefix("http://") {
        if http.proxy.is_none() && !http_proxy_configured() {
            let authority = rest.split('/').next().unwrap_or(rest);
            let authority = if authority.contains(':') && !authority.ends_with(']') {
                authority.to_owned()
            } else {
                format!("{authority}:80")
            };
            return Ok(Transport::H1(h1::H1Pool::new(
                authority,
                timeouts.connect,
                http.keepalive(),
            )));
        }
    }
    build_client(timeouts, http).map(Transport::Client)
}

/// Builds the pooled general client of one provider. A configured proxy replaces the
/// environment's; its credentials go in `Proxy-Authorization` and never into an error.
pub fn build_client(
    timeouts: &Timeouts,
    http: &HttpSettings,
) -> Result<reqwest::Client, GatewayError> {
    let mut builder = reqwest::Client::builder()
        .connect_timeout(timeouts.connect)
        .pool_idle_timeout(Duration::from_secs(90))
        .pool_max_idle_per_host(1024)
        .tcp_nodelay(true)
        .tcp_keepalive(http.keepalive())
        .user_agent(USER_AGENT)
        .redirect(reqwest::redirect::Policy::none());
    if let Some(proxy) = &http.proxy {
        let proxy = reqwest::Proxy::all(proxy.expose())
            .map_err(|_| ErrorKind::Internal(format!("invalid proxy URL {}", proxy.masked())))?;
        builder = builder.proxy(proxy);
    }
    builder.build().map_err(|e| {
        ErrorKind::Internal(format!("cannot build the HTTP client: {}", chain(&e))).into()
    })
}

/// An upstream response: head now, body as it arrives.
pub struct UpstreamResponse {
    /// Status code.
    pub status: StatusCode,
    /// Headers.
    pub headers: HeaderMap,
    /// The body.
    pub body: UpstreamBody,
}

/// The body of an upstream response, from either transport.
pub enum UpstreamBody {
    /// From the direct HTTP/1.1 client.
    H1(h1::H1Body),
    /// From the general client.
    Client(reqwest::Body),
    /// Already complete (a translated non-streamed answer).
    Full(Option<Bytes>),
}

impl Body for UpstreamBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        match self.get_mut() {
            UpstreamBody::H1(b) => Pin::new(b).poll_frame(cx),
            UpstreamBody::Full(b) => Poll::Ready(b.take().map(|d| Ok(Frame::data(d)))),
            UpstreamBody::Client(b) => match Pin::new(b).poll_frame(cx) {
                Poll::Ready(Some(Err(e))) => {
                    let kind = if e.is_timeout() {
                        std::io::ErrorKind::TimedOut
                    } else {
                        std::io::ErrorKind::Other
                    };
                    Poll::Ready(Some(Err(std::io::Error::new(kind, chain(&e)))))
                }
                other => {
                    other.map(|o| o.map(|r| r.map_err(|_| std::io::Error::other("unreachable"))))
                }
            },
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            UpstreamBody::H1(b) => b.is_end_stream(),
            UpstreamBody::Client(b) => b.is_end_stream(),
            UpstreamBody::Full(b) => b.is_none(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            UpstreamBody::H1(b) => b.size_hint(),
            UpstreamBody::Client(b) => b.size_hint(),
            UpstreamBody::Full(b) => SizeHint::with_exact(b.as_ref().map_or(0, |d| d.len() as u64)),
        }
    }
}

/// Sends one request and waits for the response head, within the provider's first-byte timeout.
pub async fn send(
    provider: &Provider,
    method: Method,
    url: &str,
    headers: HeaderMap,
    body: Bytes,
) -> Result<UpstreamResponse, GatewayError> {
    send_within(
        provider,
        provider.timeouts.first_byte,
        method,
        url,
        headers,
        body,
    )
    .await
}

/// Sends one request and waits for the response head for at most `first_byte`. The
/// provider's User-Agent and header operations are applied to `headers` first.
pub async fn send_within(
    provider: &Provider,
    first_byte: Duration,
    method: Method,
    url: &str,
    mut headers: HeaderMap,
    body: Bytes,
) -> Result<UpstreamResponse, GatewayError> {
    provider.finish_headers(&mut headers);
    let timed_out = || -> GatewayError {
        ErrorKind::UpstreamTimeout {
            provider: provider.id.clone(),
            what: "send the response head",
            after: first_byte,
        }
        .into()
    };
    match &provider.transport {
        Transport::H1(pool) => {
            let path = path_and_query(url);
            let sent =
                tokio::time::timeout(first_byte, pool.send(&method, path, &headers, &body)).await;
            match sent {
                Err(_) => Err(timed_out()),
                Ok(Ok(resp)) => Ok(UpstreamResponse {
                    status: resp.head.status,
                    headers: resp.head.headers,
                    body: UpstreamBody::H1(resp.body),
                }),
                Ok(Err(h1::H1Error::ConnectTimeout)) => Err(ErrorKind::UpstreamTimeout {
                    provider: provider.id.clone(),
                    what: "accept the connection",
                    after: provider.timeouts.connect,
                }
                .into()),
                Ok(Err(h1::H1Error::Connect(e))) => Err(ErrorKind::UpstreamUnreachable {
                    provider: provider.id.clone(),
                    detail: e.to_string(),
                }
                .into()),
                Ok(Err(e @ h1::H1Error::Broken(_))) => Err(ErrorKind::UpstreamBroken {
                    provider: provider.id.clone(),
                    detail: e.to_string(),
                }
                .into()),
            }
        }
        Transport::Client(client) => {
            let request = client
                .request(method, url)
                .headers(headers)
                .body(body)
                .send();
            match tokio::time::timeout(first_byte, request).await {
                Err(_) => Err(timed_out()),
                Ok(Err(e)) => Err(classify(&provider.id, &e, provider.timeouts.connect)),
                Ok(Ok(response)) => {
                    let response: http::Response<reqwest::Body> = response.into();
                    let (parts, body) = response.into_parts();
                    Ok(UpstreamResponse {
                        status: parts.status,
                        headers: parts.headers,
                        body: UpstreamBody::Client(body),
                    })
                }
            }
        }
    }
}

/// The path and query of an absolute URL.
fn path_and_query(url: &str) -> &str {
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    match after_scheme.find('/') {
        Some(i) => &after_scheme[i..],
        None => "/",
    }
}

/// Maps a general-client error to the gateway's error kinds.
pub fn classify(provider: &str, e: &reqwest::Error, connect_timeout: Duration) -> GatewayError {
    let detail = chain(e);
    if e.is_timeout() && e.is_connect() {
        return ErrorKind::UpstreamTimeout {
            provider: provider.to_owned(),
            what: "accept the connection",
            after: connect_timeout,
        }
        .into();
    }
    if e.is_connect() {
        return ErrorKind::UpstreamUnreachable {
            provider: provider.to_owned(),
            detail,
        }
        .into();
    }
    ErrorKind::UpstreamBroken {
        provider: provider.to_owned(),
        detail,
    }
    .into()
}

/// The innermost causes of an error, without the URL reqwest puts in its own message.
pub fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut cur = e.source();
    while let Some(err) = cur {
        let text = err.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        cur = err.source();
    }
    if parts.is_empty() {
        // reqwest's top message names the URL only, which is safe: keys travel in headers.
        e.to_string()
    } else {
        parts.join(": ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_of_urls() {
        assert_eq!(
            path_and_query("http://h:1/v1/chat/completions"),
            "/v1/chat/completions"
        );
        assert_eq!(
            path_and_query("http://h/openai/deployments/x/chat/completions?api-version=1"),
            "/openai/deployments/x/chat/completions?api-version=1"
        );
        assert_eq!(path_and_query("http://h"), "/");
    }
}
