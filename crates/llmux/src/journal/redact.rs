//! Body capture for the journal: a request body cut to a size and stripped of secrets
//! (fields named like credentials, and any word that looks like a provider or llmux key).

use llmux_engine::keys::KEY_PREFIX;
use llmux_engine::tags::SECRET_PREFIXES;
use serde_json::Value;

/// What replaces a secret.
pub const REDACTED: &str = "[redacted]";

/// Field names (lower case, only letters and digits kept) whose values are always secret; a
/// name ending in one counts too (`client_secret`, `access_token`, `x-api-key`).
const SECRET_NAMES: &[&str] = &[
    "apikey",
    "authorization",
    "password",
    "passwd",
    "secret",
    "token",
    "accesskey",
    "privatekey",
    "cookie",
];

/// A captured body: JSON when the body was JSON and fits, else a (cut) string.
#[derive(Debug, Clone, PartialEq)]
pub struct Captured {
    /// The redacted body.
    pub body: Value,
    /// Whether it was cut to the size limit (it is then a string).
    pub truncated: bool,
}

/// Redacts `body` and cuts it to at most `max_bytes` bytes of JSON text.
///
/// A JSON body is redacted field by field and kept as JSON when its redacted text fits;
/// otherwise (too long, or not JSON at all) it becomes a string, redacted word by word.
pub fn capture(body: &[u8], max_bytes: usize) -> Captured {
    if let Ok(mut value) = serde_json::from_slice::<Value>(body) {
        redact_value(&mut value);
        let text = value.to_string();
        if text.len() <= max_bytes {
            return Captured {
                body: value,
                truncated: false,
            };
        }
        return Captured {
            body: Value::String(cut(&text, max_bytes).to_owned()),
            truncated: true,
        };
    }
    let text = String::from_utf8_lossy(body);
    let text = redact_text(&text).unwrap_or_else(|| text.into_owned());
    let truncated = text.len() > max_bytes;
    Captured {
        body: Value::String(cut(&text, max_bytes).to_owned()),
        truncated,
    }
}

/// Replaces, in place, every value under a credential-like field name and every key-like
/// word inside strings.
pub fn redact_value(value: &mut Value) {
    match value {
        Value::String(s) => {
            if let Some(clean) = redact_text(s) {
                *s = clean;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact_value),
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                if is_secret_name(key) {
                    *v = Value::String(REDACTED.to_owned());
                } else {
                    redact_value(v);
                }
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

/// Whether a field name names a credential.
pub fn is_secret_name(key: &str) -> bool {
    let folded: String = key
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    SECRET_NAMES.iter().any(|name| folded.ends_with(name))
}

/// Whether `word` starts like a provider key or an llmux key.
fn is_secret_word(word: &str) -> bool {
    word.starts_with(KEY_PREFIX) || SECRET_PREFIXES.iter().any(|p| word.starts_with(p))
}

/// Characters a key is made of: a word is a longest run of them.
fn in_word(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_')
}

/// `text` with every key-like word replaced by [`REDACTED`], or `None` when it has none
/// (the common case: no allocation).
pub fn redact_text(text: &str) -> Option<String> {
    let mut out: Option<String> = None;
    let mut copied = 0;
    let mut rest = text.char_indices().peekable();
    while let Some((start, c)) = rest.next() {
        if !in_word(c) {
            continue;
        }
        let mut end = start + c.len_utf8();
        while let Some(&(i, c)) = rest.peek() {
            if !in_word(c) {
                break;
            }
            end = i + c.len_utf8();
            rest.next();
        }
        if is_secret_word(&text[start..end]) {
            let o = out.get_or_insert_with(|| String::with_capacity(text.len()));
            o.push_str(&text[copied..start]);
            o.push_str(REDACTED);
            copied = end;
        }
    }
    out.map(|mut o| {
        o.push_str(&text[copied..]);
        o
    })
}

/// The longest prefix of `s` of at most `max` bytes that ends on a character boundary.
fn cut(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}
