//! HTTP/1.1 request heads out, response heads in.

use bytes::BytesMut;
use http::header::{HeaderMap, HeaderName, HeaderValue};
use http::{Method, StatusCode};

/// How the end of a response body is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// `Content-Length`: this many bytes.
    Length(u64),
    /// `Transfer-Encoding: chunked`.
    Chunked,
    /// Until the server closes the connection.
    Close,
}

/// A parsed response head.
#[derive(Debug)]
pub struct ResponseHead {
    /// Status code.
    pub status: StatusCode,
    /// Headers.
    pub headers: HeaderMap,
    /// Body framing.
    pub framing: Framing,
    /// Whether the connection may carry another request afterwards.
    pub keep_alive: bool,
}

/// Largest response head accepted.
pub const MAX_HEAD: usize = 64 * 1024;
const MAX_HEADERS: usize = 128;

/// Headers llmux sets itself or that describe this hop only.
fn skip(name: &HeaderName) -> bool {
    matches!(
        name.as_str(),
        "host"
            | "content-length"
            | "transfer-encoding"
            | "connection"
            | "keep-alive"
            | "te"
            | "upgrade"
    )
}

/// Writes a request head (and the body, when small) into one buffer, ready for one write.
pub fn encode_request(
    out: &mut Vec<u8>,
    method: &Method,
    authority: &str,
    path_and_query: &str,
    headers: &HeaderMap,
    body_len: usize,
) {
    out.extend_from_slice(method.as_str().as_bytes());
    out.push(b' ');
    out.extend_from_slice(path_and_query.as_bytes());
    out.extend_from_slice(b" HTTP/1.1\r\nhost: ");
    out.extend_from_slice(authority.as_bytes());
    out.extend_from_slice(b"\r\n");
    for (name, value) in headers {
        if skip(name) {
            continue;
        }
        out.extend_from_slice(name.as_str().as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"content-length: ");
    out.extend_from_slice(body_len.to_string().as_bytes());
    out.extend_from_slice(b"\r\n\r\n");
}

/// Why a response head could not be read.
#[derive(Debug, PartialEq, Eq)]
pub enum HeadError {
    /// Not HTTP, or malformed.
    Invalid(String),
    /// Larger than [`MAX_HEAD`].
    TooLarge,
}

/// Parses a response head from the start of `buf`. `Ok(None)`: more bytes are needed.
/// On success the head is removed from `buf`. Interim (1xx) responses are skipped.
pub fn parse_response(buf: &mut BytesMut) -> Result<Option<ResponseHead>, HeadError> {
    loop {
        let mut storage = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut resp = httparse::Response::new(&mut storage);
        let len = match resp.parse(buf) {
            Ok(httparse::Status::Complete(len)) => len,
            Ok(httparse::Status::Partial) => {
                return if buf.len() > MAX_HEAD {
                    Err(HeadError::TooLarge)
                } else {
                    Ok(None)
                };
            }
            Err(e) => return Err(HeadError::Invalid(e.to_string())),
        };
        let code = resp.code.unwrap_or(0);
        if (100..200).contains(&code) && code != 101 {
            let _ = buf.split_to(len);
            continue;
        }
        let status = StatusCode::from_u16(code).map_err(|e| HeadError::Invalid(e.to_string()))?;
        let mut headers = HeaderMap::with_capacity(resp.headers.len());
        let mut length: Option<u64> = None;
        let mut chunked = false;
        let mut close = resp.version == Some(0);
        for h in resp.headers.iter() {
            let name = HeaderName::from_bytes(h.name.as_bytes())
                .map_err(|e| HeadError::Invalid(e.to_string()))?;
            let value =
                HeaderValue::from_bytes(h.value).map_err(|e| HeadError::Invalid(e.to_string()))?;
            match name.as_str() {
                "content-length" => {
                    let n = std::str::from_utf8(h.value)
                        .ok()
                        .and_then(|v| v.trim().parse::<u64>().ok())
                        .ok_or_else(|| HeadError::Invalid("bad content-length".into()))?;
                    if length.is_some_and(|l| l != n) {
                        return Err(HeadError::Invalid("conflicting content-length".into()));
                    }
                    length = Some(n);
                }
                "transfer-encoding" => {
                    chunked = h.value.to_ascii_lowercase().ends_with(b"chunked");
                }
                "connection" => {
                    let v = h.value.to_ascii_lowercase();
                    if v.windows(5).any(|w| w == b"close") {
                        close = true;
                    } else if v.windows(10).any(|w| w == b"keep-alive") {
                        close = false;
                    }
                }
                _ => {}
            }
            headers.append(name, value);
        }
        let framing = if chunked {
            Framing::Chunked
        } else if let Some(n) = length {
            Framing::Length(n)
        } else if status == StatusCode::NO_CONTENT || status == StatusCode::NOT_MODIFIED {
            Framing::Length(0)
        } else {
            Framing::Close
        };
        let _ = buf.split_to(len);
        return Ok(Some(ResponseHead {
            status,
            headers,
            framing,
            keep_alive: !close && framing != Framing::Close,
        }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_a_request() {
        let mut h = HeaderMap::new();
        h.insert("authorization", HeaderValue::from_static("Bearer k"));
        h.insert("host", HeaderValue::from_static("ignored"));
        h.insert("content-length", HeaderValue::from_static("999"));
        let mut out = Vec::new();
        encode_request(
            &mut out,
            &Method::POST,
            "127.0.0.1:9000",
            "/v1/chat/completions",
            &h,
            2,
        );
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "POST /v1/chat/completions HTTP/1.1\r\nhost: 127.0.0.1:9000\r\nauthorization: Bearer k\r\ncontent-length: 2\r\n\r\n"
        );
    }

    fn parse(s: &str) -> Result<Option<ResponseHead>, HeadError> {
        parse_response(&mut BytesMut::from(s))
    }

    #[test]
    fn framing_and_keep_alive_table() {
        let cases = [
            ("HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\n", Framing::Length(5), true),
            ("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n", Framing::Chunked, true),
            ("HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 1\r\n\r\n", Framing::Length(1), false),
            ("HTTP/1.1 200 OK\r\n\r\n", Framing::Close, false),
            ("HTTP/1.0 200 OK\r\ncontent-length: 1\r\n\r\n", Framing::Length(1), false),
            ("HTTP/1.0 200 OK\r\nconnection: keep-alive\r\ncontent-length: 1\r\n\r\n", Framing::Length(1), true),
            ("HTTP/1.1 204 No Content\r\n\r\n", Framing::Length(0), true),
            ("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 429 Too Many\r\nretry-after: 3\r\ncontent-length: 0\r\n\r\n", Framing::Length(0), true),
        ];
        for (text, framing, keep_alive) in cases {
            let head = parse(text).unwrap().unwrap();
            assert_eq!(
                (head.framing, head.keep_alive),
                (framing, keep_alive),
                "{text:?}"
            );
        }
        let head = parse("HTTP/1.1 429 Too Many\r\nRetry-After: 3\r\ncontent-length: 0\r\n\r\n")
            .unwrap()
            .unwrap();
        assert_eq!(head.status, 429);
        assert_eq!(head.headers["retry-after"], "3");
    }

    #[test]
    fn partial_invalid_and_oversized_heads() {
        assert!(parse("HTTP/1.1 200 OK\r\ncontent-le").unwrap().is_none());
        assert!(matches!(
            parse("garbage\r\n\r\n"),
            Err(HeadError::Invalid(_))
        ));
        assert!(matches!(
            parse("HTTP/1.1 200 OK\r\ncontent-length: 1\r\ncontent-length: 2\r\n\r\n"),
            Err(HeadError::Invalid(_))
        ));
        let big = format!("HTTP/1.1 200 OK\r\nx: {}", "a".repeat(MAX_HEAD + 1));
        assert_eq!(parse(&big).err(), Some(HeadError::TooLarge));
    }

    #[test]
    fn leaves_the_body_in_the_buffer() {
        let mut buf = BytesMut::from("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nhi");
        parse_response(&mut buf).unwrap().unwrap();
        assert_eq!(&buf[..], b"hi");
    }
}
