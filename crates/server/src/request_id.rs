//! Request ids: propagated from the client's `x-request-id` when it is sane, else generated.

use http::{HeaderMap, HeaderName, HeaderValue};

/// The header carrying the request id, in both directions.
pub const HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// The client's id if it is 1–128 visible ASCII characters, else a new random one.
pub fn from_headers(headers: &HeaderMap) -> HeaderValue {
    headers
        .get(&HEADER)
        .filter(|v| {
            let b = v.as_bytes();
            !b.is_empty() && b.len() <= 128 && b.iter().all(|c| c.is_ascii_graphic())
        })
        .cloned()
        .unwrap_or_else(generate)
}

/// Makes sure `headers` carry a sane request id (the client's, or a new one written in), so
/// that every later [`from_headers`] on the same request returns the same id.
pub fn ensure(headers: &mut HeaderMap) -> HeaderValue {
    let id = from_headers(headers);
    if headers.get(&HEADER) != Some(&id) {
        headers.insert(HEADER, id.clone());
    }
    id
}

/// A new id: 32 lowercase hex digits.
pub fn generate() -> HeaderValue {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let n = fastrand::u128(..);
    let mut out = [0u8; 32];
    for (i, slot) in out.iter_mut().enumerate() {
        *slot = HEX[((n >> (i * 4)) & 0xf) as usize];
    }
    // Only hex digits: always a valid header value.
    HeaderValue::from_bytes(&out).unwrap_or(HeaderValue::from_static("0"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn propagates_sane_ids_and_replaces_others() {
        let mut h = HeaderMap::new();
        h.insert(HEADER, HeaderValue::from_static("abc-123"));
        assert_eq!(from_headers(&h), "abc-123");
        h.insert(HEADER, HeaderValue::from_static("has space"));
        assert_eq!(from_headers(&h).len(), 32);
        h.insert(HEADER, HeaderValue::from_str(&"x".repeat(200)).unwrap());
        assert_eq!(from_headers(&h).len(), 32);
        assert_ne!(generate(), generate());
    }

    #[test]
    fn ensure_writes_one_id_that_later_reads_agree_on() {
        let mut h = HeaderMap::new();
        let id = ensure(&mut h);
        assert_eq!(from_headers(&h), id);
        assert_eq!(ensure(&mut h), id);
        h.insert(HEADER, HeaderValue::from_static("client-id"));
        assert_eq!(ensure(&mut h), "client-id");
    }
}
