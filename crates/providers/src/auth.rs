//! How a credential is presented to a provider: a bearer token, a key in a header of its own,
//! HTTP Basic (username and password), or nothing.

use http::header::{HeaderName, HeaderValue, AUTHORIZATION};

/// The way a provider wants its credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthScheme {
    /// `Authorization: Bearer <key>`.
    Bearer,
    /// The key alone in a custom header, e.g. `api-key` or `x-api-key`.
    Header(String),
    /// `Authorization: Basic base64(<username>:<password>)`; the secret is the password.
    Basic(String),
    /// No credential is sent.
    None,
}

impl AuthScheme {
    /// Parses the short configuration form: `bearer`, `none` or `header:<name>`. Basic auth
    /// needs a username, so it has no short form.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "bearer" => Some(AuthScheme::Bearer),
            "none" => Some(AuthScheme::None),
            _ => s
                .strip_prefix("header:")
                .filter(|name| HeaderName::from_bytes(name.as_bytes()).is_ok())
                .map(|name| AuthScheme::Header(name.to_ascii_lowercase())),
        }
    }

    /// The header carrying `secret` (the key, or the password of Basic auth), marked sensitive
    /// so it never shows in debug output. `None` when the scheme sends nothing or the result
    /// cannot be a header value.
    pub fn header(&self, secret: &str) -> Option<(HeaderName, HeaderValue)> {
        let (name, value) = match self {
            AuthScheme::None => return None,
            AuthScheme::Bearer => (AUTHORIZATION, format!("Bearer {secret}")),
            AuthScheme::Basic(username) => (
                AUTHORIZATION,
                format!(
                    "Basic {}",
                    base64(format!("{username}:{secret}").as_bytes())
                ),
            ),
            AuthScheme::Header(name) => (
                HeaderName::from_bytes(name.as_bytes()).ok()?,
                secret.to_owned(),
            ),
        };
        let mut value = HeaderValue::from_str(&value).ok()?;
        value.set_sensitive(true);
        Some((name, value))
    }
}

/// Standard base64 with padding (RFC 4648 §4), as Basic auth requires.
fn base64(input: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(input.len().div_ceil(3) * 4);
    for chunk in input.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        // Three bytes make four six-bit digits; a short chunk pads the missing ones with `=`.
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_config_forms() {
        assert_eq!(AuthScheme::parse("bearer"), Some(AuthScheme::Bearer));
        assert_eq!(AuthScheme::parse("none"), Some(AuthScheme::None));
        assert_eq!(
            AuthScheme::parse("header:X-Key"),
            Some(AuthScheme::Header("x-key".into()))
        );
        assert_eq!(AuthScheme::parse("header:bad name"), None);
        assert_eq!(AuthScheme::parse("basic"), None, "basic needs a username");
    }

    #[test]
    fn builds_sensitive_headers() {
        let (name, value) = AuthScheme::Bearer.header("sk-1").unwrap();
        assert_eq!(name, AUTHORIZATION);
        assert_eq!(value, "Bearer sk-1");
        assert!(value.is_sensitive());
        assert!(AuthScheme::None.header("k").is_none());
        assert!(AuthScheme::Bearer.header("bad\nkey").is_none());
        let (name, value) = AuthScheme::Header("x-key".into()).header("k1").unwrap();
        assert_eq!((name.as_str(), value.to_str().unwrap()), ("x-key", "k1"));
        assert!(value.is_sensitive());
    }

    #[test]
    fn basic_auth_encodes_username_and_password() {
        // RFC 7617's own example.
        let (name, value) = AuthScheme::Basic("Aladdin".into())
            .header("open sesame")
            .unwrap();
        assert_eq!(name, AUTHORIZATION);
        assert_eq!(value, "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
        assert!(value.is_sensitive());
    }

    #[test]
    fn base64_table() {
        // RFC 4648 §10 test vectors: every padding length.
        for (input, want) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(input.as_bytes()), want, "{input:?}");
        }
        assert_eq!(base64(&[0xfb, 0xff, 0xfe]), "+//+", "the last two digits");
    }
}
