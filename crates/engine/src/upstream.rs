//! The upstream HTTP client: pooled keep-alive connections, HTTP/1.1 and HTTP/2 (ALPN), rustls
//! with webpki and system roots, `HTTP(S)_PROXY`/`NO_PROXY` from the environment, and the
//! connect and first-byte timeouts. The only outbound IO of llmux.

use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Method};

use crate::config::Timeouts;
use crate::error::{ErrorKind, GatewayError};
use crate::snapshot::Provider;

/// The `User-Agent` llmux sends when the client sent none.
pub const USER_AGENT: &str = concat!("llmux/", env!("CARGO_PKG_VERSION"));

/// Builds the pooled client of one provider.
pub fn build_client(timeouts: &Timeouts) -> Result<reqwest::Client, GatewayError> {
    reqwest::Client::builder()
        .connect_timeout(timeouts.connect)
        .pool_idle_timeout(Duration::from_secs(90))
        .pool_max_idle_per_host(1024)
        .tcp_nodelay(true)
        .tcp_keepalive(Duration::from_secs(60))
        .user_agent(USER_AGENT)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| {
            ErrorKind::Internal(format!("cannot build the HTTP client: {}", chain(&e))).into()
        })
}

/// Sends one request and waits for the response head, within the provider's first-byte timeout.
pub async fn send(
    provider: &Provider,
    method: Method,
    url: &str,
    headers: HeaderMap,
    body: Bytes,
) -> Result<reqwest::Response, GatewayError> {
    let request = provider
        .client
        .request(method, url)
        .headers(headers)
        .body(body)
        .send();
    match tokio::time::timeout(provider.timeouts.first_byte, request).await {
        Err(_) => Err(ErrorKind::UpstreamTimeout {
            provider: provider.id.clone(),
            what: "send the response head",
            after: provider.timeouts.first_byte,
        }
        .into()),
        Ok(Ok(response)) => Ok(response),
        Ok(Err(e)) => Err(classify(&provider.id, &e, provider.timeouts.connect)),
    }
}

/// Maps a client error to the gateway's error kinds.
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
