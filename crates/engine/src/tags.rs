//! Request tags (seed 004): which tags a request is attributed to, from which source, and the
//! model name with any `@tag` suffix removed.
//!
//! # Sources, in priority order
//!
//! The first source that yields at least one tag wins; the others are not merged in:
//!
//! 1. The bearer token, only when auth is [`AuthMode::None`] (the "token is the tag" trick:
//!    `api_key="alice"` in any SDK tags the request `alice`). See *Bearer tokens* below.
//! 2. The `X-Proxy-Tag` header.
//! 3. The model suffix: `claude-sonnet@alice` is model `claude-sonnet`, tag `alice`.
//! 4. The key's own tags (an llmux key in [`AuthMode::ProxyKey`]).
//! 5. The configured default tag (none if it is empty).
//!
//! Each source may hold several comma-separated tags; each is trimmed, empty items are skipped,
//! duplicates are dropped (first occurrence kept). A tag is at most [`MAX_TAG_LEN`] bytes of
//! `[A-Za-z0-9._:-]`, and a request has at most [`MAX_TAGS`] tags, so stored labels stay bounded.
//! A source that is present but invalid is an error ([`TagError`]), not silently skipped: a
//! client that meant to tag its traffic learns at once that it did not.
//!
//! # Bearer tokens
//!
//! With auth `none` a client may still send a real provider key (an SDK picks up
//! `OPENAI_API_KEY` from the environment). Such a token must never be stored as a tag nor echoed
//! in an error, so a bearer token is *ignored* (the next source is used) when it starts with a
//! known provider key prefix ([`SECRET_PREFIXES`]: `sk-` covers OpenAI, Anthropic `sk-ant-`,
//! OpenRouter `sk-or-`, DeepSeek; `AIza` Google; and others), or when it is not a valid tag list
//! at all (too long, other characters): an opaque string is treated as a secret, never rejected.
//! In `proxy_key` and `passthrough` modes the bearer token is a credential and never a tag.
//!
//! # The model suffix and models that contain `@`
//!
//! The model is split at its *last* `@`. Some real model ids contain `@`: Vertex AI pins versions
//! that way (`claude-3-5-sonnet@20240620`, `text-bison@001`). So a suffix made only of digits is
//! part of the model, not a tag, and `claude-3-5-sonnet@20240620@alice` is that model tagged
//! `alice`. A purely numeric tag can still be given in the header. An empty suffix (`model@`) is
//! also left alone. The suffix is removed from the model whichever source wins, so that a model
//! written with a tag still resolves; it is only validated when it is the winning source.

#[cfg(test)]
mod tests;

use std::fmt;

/// Longest tag, in bytes.
pub const MAX_TAG_LEN: usize = 64;

/// Most tags on one request.
pub const MAX_TAGS: usize = 16;

/// Bearer-token prefixes of real provider keys; a token starting with one is never a tag.
pub const SECRET_PREFIXES: &[&str] = &[
    "sk-",    // OpenAI, Anthropic (sk-ant-), OpenRouter (sk-or-), DeepSeek, many compatibles
    "AIza",   // Google API keys (Gemini)
    "gsk_",   // Groq
    "xai-",   // xAI
    "pplx-",  // Perplexity
    "hf_",    // Hugging Face
    "r8_",    // Replicate
    "nvapi-", // NVIDIA
];

/// How the data plane authenticates clients (issue 5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMode {
    /// No client auth; the bearer token, if any, may be a tag.
    None,
    /// Clients present an llmux key; the bearer token is that key.
    ProxyKey,
    /// The client's own provider key is forwarded; the bearer token is that key.
    Passthrough,
}

/// Where a request's tags came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagSource {
    /// The bearer token (auth `none` only).
    Bearer,
    /// The `X-Proxy-Tag` header.
    Header,
    /// The `@tag` suffix of the requested model.
    ModelSuffix,
    /// The llmux key's own tags.
    Key,
    /// The configured default tag.
    Default,
    /// No source gave a tag (the default tag is empty).
    Untagged,
}

impl fmt::Display for TagSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Bearer => "bearer token",
            Self::Header => "X-Proxy-Tag header",
            Self::ModelSuffix => "model @tag suffix",
            Self::Key => "key tags",
            Self::Default => "default tag",
            Self::Untagged => "no tag",
        })
    }
}

/// Everything the tags of one request depend on.
#[derive(Debug, Clone, Copy)]
pub struct TagInput<'a> {
    /// The data-plane auth mode.
    pub auth: AuthMode,
    /// The bearer token (from `Authorization`, `x-api-key`, ...), if any.
    pub bearer: Option<&'a str>,
    /// The `X-Proxy-Tag` header value, if any.
    pub header: Option<&'a str>,
    /// The model as the client requested it, possibly with an `@tag` suffix.
    pub model: &'a str,
    /// The llmux key's own tags (empty without a key).
    pub key_tags: &'a [String],
    /// The configured default tag; empty means "no default".
    pub default_tag: &'a str,
}

/// The outcome: the model to resolve and the request's tags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tagged {
    /// The requested model with any `@tag` suffix removed.
    pub model: String,
    /// The tags, deduplicated, in the order given.
    pub tags: Vec<String>,
    /// Which source the tags came from.
    pub source: TagSource,
}

/// What is wrong with a tag list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TagProblem {
    /// A tag longer than [`MAX_TAG_LEN`] bytes (its length).
    TooLong(usize),
    /// A character outside `[A-Za-z0-9._:-]`.
    BadChar(char),
    /// More than [`MAX_TAGS`] distinct tags.
    TooMany,
}

/// A tag source that is present but invalid; the request should be refused with a 400.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid tag {tag:?} in the {origin}: {}", describe(.problem))]
pub struct TagError {
    /// The offending source (not named `source`: that is the error-chain field).
    pub origin: TagSource,
    /// The offending tag (cut to [`MAX_TAG_LEN`] characters); empty for [`TagProblem::TooMany`].
    pub tag: String,
    /// What is wrong with it.
    pub problem: TagProblem,
}

fn describe(problem: &TagProblem) -> String {
    match problem {
        TagProblem::TooLong(len) => format!("{len} bytes, at most {MAX_TAG_LEN} allowed"),
        TagProblem::BadChar(c) => format!("character {c:?} not allowed, use [A-Za-z0-9._:-]"),
        TagProblem::TooMany => format!("more than {MAX_TAGS} tags"),
    }
}

/// Works out the tags of one request and the model without its tag suffix.
///
/// Sources are tried in the priority order of the module docs; the first with a tag wins.
pub fn request_tags(input: TagInput<'_>) -> Result<Tagged, TagError> {
    let (model, suffix) = split_model(input.model);
    let done = |tags: Vec<String>, source| {
        Ok(Tagged {
            model: model.to_owned(),
            tags,
            source,
        })
    };
    if input.auth == AuthMode::None {
        if let Some(token) = input.bearer.filter(|t| !looks_like_secret(t)) {
            // An invalid token is opaque, maybe a secret: ignored, never rejected nor echoed.
            if let Ok(tags) = parse(token, TagSource::Bearer) {
                if !tags.is_empty() {
                    return done(tags, TagSource::Bearer);
                }
            }
        }
    }
    for (raw, source) in [
        (input.header, TagSource::Header),
        (suffix, TagSource::ModelSuffix),
    ] {
        if let Some(raw) = raw {
            let tags = parse(raw, source)?;
            if !tags.is_empty() {
                return done(tags, source);
            }
        }
    }
    let key = parse_all(input.key_tags.iter().map(String::as_str), TagSource::Key)?;
    if !key.is_empty() {
        return done(key, TagSource::Key);
    }
    let default = parse(input.default_tag, TagSource::Default)?;
    if default.is_empty() {
        return done(default, TagSource::Untagged);
    }
    done(default, TagSource::Default)
}

/// Whether a bearer token starts like a real provider key.
pub fn looks_like_secret(token: &str) -> bool {
    let token = token.trim();
    SECRET_PREFIXES.iter().any(|p| token.starts_with(p))
}

/// Splits `model@tags` at the last `@`; a digits-only or empty suffix stays in the model.
fn split_model(model: &str) -> (&str, Option<&str>) {
    match model.rsplit_once('@') {
        Some((name, suffix))
            if !name.is_empty()
                && !suffix.is_empty()
                && !suffix.bytes().all(|b| b.is_ascii_digit()) =>
        {
            (name, Some(suffix))
        }
        _ => (model, None),
    }
}

/// Parses one comma-separated tag list.
fn parse(raw: &str, source: TagSource) -> Result<Vec<String>, TagError> {
    parse_all(raw.split(','), source)
}

/// Trims, skips empties, validates and deduplicates tags, keeping the first occurrence.
fn parse_all<'a>(
    items: impl Iterator<Item = &'a str>,
    source: TagSource,
) -> Result<Vec<String>, TagError> {
    let mut tags: Vec<String> = Vec::new();
    for tag in items.map(str::trim).filter(|t| !t.is_empty()) {
        validate(tag).map_err(|problem| TagError {
            origin: source,
            tag: tag.chars().take(MAX_TAG_LEN).collect(),
            problem,
        })?;
        if !tags.iter().any(|t| t == tag) {
            if tags.len() == MAX_TAGS {
                // Stop here: a huge list is refused without being read to its end.
                return Err(TagError {
                    origin: source,
                    tag: String::new(),
                    problem: TagProblem::TooMany,
                });
            }
            tags.push(tag.to_owned());
        }
    }
    Ok(tags)
}

fn validate(tag: &str) -> Result<(), TagProblem> {
    if let Some(c) = tag
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | ':' | '-')))
    {
        return Err(TagProblem::BadChar(c));
    }
    if tag.len() > MAX_TAG_LEN {
        return Err(TagProblem::TooLong(tag.len()));
    }
    Ok(())
}
