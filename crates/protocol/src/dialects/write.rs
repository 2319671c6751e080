//! Direct JSON writing for the hot path of stream encoders: one delta per event, written
//! without building a `serde_json::Value` tree.

use std::fmt::Write as _;

use bytes::{BufMut, BytesMut};

/// Appends `s` as a JSON string (quoted and escaped).
pub(crate) fn json_str(out: &mut BytesMut, s: &str) {
    // Writing into a BytesMut cannot fail.
    let _ = serde_json::to_writer(out.writer(), s);
}

/// Appends an unsigned integer.
pub(crate) fn json_u64(out: &mut BytesMut, n: u64) {
    let _ = write!(out, "{n}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_like_serde() {
        let mut out = BytesMut::new();
        json_str(&mut out, "a\"b\\c\n\u{1}é");
        assert_eq!(
            &out[..],
            serde_json::to_string("a\"b\\c\n\u{1}é").unwrap().as_bytes()
        );
        out.clear();
        json_u64(&mut out, 1234);
        assert_eq!(&out[..], b"1234");
    }
}
