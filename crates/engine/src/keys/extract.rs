//! Finding the key a client presented, wherever its SDK puts it: `Authorization: Bearer`
//! (OpenAI and most), `x-api-key` (Anthropic), `x-goog-api-key` or `?key=` (Gemini),
//! `api-key` (Azure OpenAI).

use http::header::AUTHORIZATION;
use http::HeaderMap;

/// Headers that carry the key bare, in the order they are tried after `Authorization`.
// Header names, not strings: a lookup by `&str` parses the name on every request.
const KEY_HEADERS: [http::HeaderName; 3] = [
    http::HeaderName::from_static("x-api-key"),
    http::HeaderName::from_static("x-goog-api-key"),
    http::HeaderName::from_static("api-key"),
];

/// The key the client presented, if any: the first non-empty of `Authorization: Bearer`
/// (scheme case-insensitive), `x-api-key`, `x-goog-api-key`, `api-key`, then the `key`
/// parameter of the raw `query` string. Values are trimmed. A query value is not
/// percent-decoded: llmux keys use only URL-safe characters, so an escaped one is not a
/// valid key anyway. Headers that are not visible ASCII are skipped.
pub fn presented_key<'a>(headers: &'a HeaderMap, query: Option<&'a str>) -> Option<&'a str> {
    let bearer = headers
        .get_all(AUTHORIZATION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| {
            let (scheme, rest) = v.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
        })
        .filter(|k| !k.is_empty());
    bearer
        .or_else(|| {
            KEY_HEADERS.iter().find_map(|name| {
                headers
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .map(str::trim)
                    .filter(|k| !k.is_empty())
            })
        })
        .or_else(|| {
            query?
                .split('&')
                .filter_map(|pair| pair.strip_prefix("key="))
                .map(str::trim)
                .find(|k| !k.is_empty())
        })
}
