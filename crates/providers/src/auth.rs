//! How an API key is presented to a provider.

use http::header::{HeaderName, HeaderValue, AUTHORIZATION};

/// The way a provider wants its credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthScheme {
    /// `Authorization: Bearer <key>`.
    Bearer,
    /// The key alone in a custom header, e.g. `api-key` or `x-api-key`.
    Header(String),
    /// No credential is sent.
    None,
}

impl AuthScheme {
    /// Parses the configuration form: `bearer`, `none` or `header:<name>`.
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

    /// The header carrying `key`, marked sensitive so it never shows in debug output.
    /// `None` when the scheme sends nothing or the key cannot be a header value.
    pub fn header(&self, key: &str) -> Option<(HeaderName, HeaderValue)> {
        let (name, value) = match self {
            AuthScheme::None => return None,
            AuthScheme::Bearer => (AUTHORIZATION, format!("Bearer {key}")),
            AuthScheme::Header(name) => (
                HeaderName::from_bytes(name.as_bytes()).ok()?,
                key.to_owned(),
            ),
        };
        let mut value = HeaderValue::from_str(&value).ok()?;
        value.set_sensitive(true);
        Some((name, value))
    }
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
        assert_eq!(AuthScheme::parse("basic"), None);
    }

    #[test]
    fn builds_sensitive_headers() {
        let (name, value) = AuthScheme::Bearer.header("sk-1").unwrap();
        assert_eq!(name, AUTHORIZATION);
        assert_eq!(value, "Bearer sk-1");
        assert!(value.is_sensitive());
        assert!(AuthScheme::None.header("k").is_none());
        assert!(AuthScheme::Bearer.header("bad\nkey").is_none());
    }
}
