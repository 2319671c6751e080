//! The hot path of OpenAI stream decoding: a chunk that carries only a piece of answer text
//! (`"delta":{"content":"..."}`, one choice, no finish reason, no usage) is read with a few
//! byte searches instead of a full parse. Anything else returns `None` and takes the general
//! path, so the fast path can only be narrower, never different.

use std::sync::LazyLock;

use memchr::memmem::Finder;

/// Keys whose presence (as a key: quoted and followed by `:`) sends a chunk to the general
/// path. Inside a JSON string a quote is always escaped, so these cannot match answer text.
const GENERAL_KEYS: [&[u8]; 6] = [
    b"\"tool_calls\":",
    b"\"reasoning_content\":",
    b"\"reasoning\":",
    b"\"error\":",
    b"\"usage\":{",
    b"\"refusal\":\"",
];

/// Searchers built once (building one costs more than a search in a chunk).
struct Finders {
    delta_content: Finder<'static>,
    delta: Finder<'static>,
    index: Finder<'static>,
    finish_reason: Finder<'static>,
    general: Vec<Finder<'static>>,
}

static FINDERS: LazyLock<Finders> = LazyLock::new(|| Finders {
    delta_content: Finder::new(DELTA),
    delta: Finder::new(b"\"delta\":"),
    index: Finder::new(b"\"index\":"),
    finish_reason: Finder::new(b"\"finish_reason\":"),
    general: GENERAL_KEYS.iter().map(|k| Finder::new(*k)).collect(),
});

const DELTA: &[u8] = b"\"delta\":{\"content\":\"";

/// The answer text of a text-only chunk, or `None` when the chunk needs the general path.
pub(super) fn content_only(data: &[u8]) -> Option<String> {
    let f = &*FINDERS;
    let at = f.delta_content.find(data)?;
    // One choice only: a second `"delta":` means several.
    if f.delta.find(&data[at + 1..]).is_some() {
        return None;
    }
    if f.general.iter().any(|k| k.find(data).is_some()) {
        return None;
    }
    // Every `"index":` of the chunk (the choice's) must be 0.
    for pos in f.index.find_iter(data) {
        if data.get(pos + 8) != Some(&b'0') || data.get(pos + 9).is_some_and(u8::is_ascii_digit) {
            return None;
        }
    }
    // A finish reason, if the key is there, must be null.
    if let Some(pos) = f.finish_reason.find(data) {
        if !data[pos + 16..].starts_with(b"null") {
            return None;
        }
    }
    let start = at + DELTA.len() - 1; // the opening quote
    let mut i = start + 1;
    let mut escaped = false;
    while i < data.len() {
        match data[i] {
            b'\\' => {
                escaped = true;
                i += 2;
                continue;
            }
            b'"' => break,
            _ => i += 1,
        }
    }
    // The delta must hold nothing else: its object closes right after the string.
    if data.get(i + 1) != Some(&b'}') {
        return None;
    }
    if escaped {
        serde_json::from_slice::<String>(&data[start..=i]).ok()
    } else {
        std::str::from_utf8(&data[start + 1..i])
            .ok()
            .map(str::to_owned)
    }
}

#[cfg(test)]
mod tests {
    use super::content_only;

    #[test]
    fn text_chunks_only() {
        let cases: &[(&str, Option<&str>)] = &[
            (
                r#"{"id":"c","choices":[{"index":0,"delta":{"content":"Hi \"you\"\n"},"finish_reason":null}]}"#,
                Some("Hi \"you\"\n"),
            ),
            (
                r#"{"id":"c","choices":[{"index":0,"delta":{"content":"é"},"logprobs":null,"finish_reason":null}],"usage":null}"#,
                Some("é"),
            ),
            (
                r#"{"choices":[{"index":0,"delta":{"content":"a"},"finish_reason":"stop"}]}"#,
                None,
            ),
            (
                r#"{"choices":[{"index":1,"delta":{"content":"a"},"finish_reason":null}]}"#,
                None,
            ),
            (
                r#"{"choices":[{"index":10,"delta":{"content":"a"}}]}"#,
                None,
            ),
            (
                r#"{"choices":[{"index":0,"delta":{"content":"a"}},{"index":0,"delta":{"content":"b"}}]}"#,
                None,
            ),
            (
                r#"{"choices":[{"index":0,"delta":{"content":"a","role":"assistant"}}]}"#,
                None,
            ),
            (
                r#"{"choices":[{"index":0,"delta":{"role":"assistant","content":"a"}}]}"#,
                None,
            ),
            (
                r#"{"choices":[{"index":0,"delta":{"content":"a"}}],"usage":{"prompt_tokens":1}}"#,
                None,
            ),
            (
                r#"{"choices":[{"index":0,"delta":{"content":"say \"error\": no"}}]}"#,
                Some("say \"error\": no"),
            ),
            (r#"{"choices":[{"index":0,"delta":{"content":"cut"#, None),
        ];
        for (data, want) in cases {
            assert_eq!(content_only(data.as_bytes()).as_deref(), *want, "{data}");
        }
    }
}
