//! `PathRouter`: picks the rule whose path pattern matches a request path, with the pattern
//! syntax and priority rules of llmproxy's path-based routing.
//!
//! Pattern syntax, segment by segment (a pattern starts with `/`):
//! - `users`: a static segment, matched byte for byte (no percent-decoding);
//! - `:name`: any one non-empty segment, captured as `name`;
//! - `{name:regex}`: one non-empty segment that the regex matches whole (it is anchored at both
//!   ends), captured as `name`; the regex may contain `/` and braces;
//! - `*`: any one non-empty segment; as the last segment, one or more trailing segments
//!   (`/files/*` matches `/files/a` and `/files/a/b`, not `/files`). Wildcards capture nothing.
//!
//! One trailing slash is ignored, in patterns and in paths alike: `/a/b/` and `/a/b` are the
//! same path. Paths are given without their query string; a path not starting with `/`
//! matches nothing.
//!
//! When several rules match, the winner is, in order: a static pattern (no parameter, no
//! wildcard); then the pattern with more static segments; then more regex-constrained
//! segments; then more segments; then the rule defined first.

use std::cmp::Reverse;
use std::collections::HashMap;
use std::fmt;

use regex::Regex;

/// Routes request paths to the value of the best-matching rule.
#[derive(Debug)]
pub struct PathRouter<T> {
    /// Static patterns by normalized path: an exact lookup, tried first.
    statics: HashMap<String, T>,
    /// The other rules, best priority first.
    dynamic: Vec<Rule<T>>,
}

#[derive(Debug)]
struct Rule<T> {
    /// The segments before a trailing wildcard (all of them when there is none).
    segments: Vec<Segment>,
    /// The pattern ends in `*`: one or more further segments.
    tail: bool,
    value: T,
}

#[derive(Debug)]
enum Segment {
    Static(String),
    Param(String),
    Regex { name: String, re: Regex },
    Any,
}

/// Why `PathRouter::new` refused its rules: every faulty pattern, in definition order.
#[derive(Debug)]
pub struct PathError {
    /// One entry per faulty pattern.
    pub problems: Vec<PatternProblem>,
}

/// One faulty pattern.
#[derive(Debug)]
pub struct PatternProblem {
    /// The rule's position in the list given to `PathRouter::new`, from 0.
    pub index: usize,
    /// The pattern as written.
    pub pattern: String,
    /// What is wrong with it.
    pub reason: PatternReason,
}

/// What is wrong with a path pattern.
#[derive(Debug, thiserror::Error)]
pub enum PatternReason {
    /// The pattern does not start with `/`.
    #[error("a path pattern must start with `/`")]
    NoLeadingSlash,
    /// `//` inside the pattern.
    #[error("empty segment (`//`)")]
    EmptySegment,
    /// `:` or `{:...}` without a name.
    #[error("empty parameter name")]
    EmptyParamName,
    /// A parameter name with other characters than ASCII letters, digits and `_`.
    #[error("parameter name `{0}` may hold only ASCII letters, digits and `_`")]
    BadParamName(String),
    /// The same parameter name twice in one pattern.
    #[error("parameter `{0}` appears twice")]
    DuplicateParam(String),
    /// `{name}` or `{name:}`: braces need a regex.
    #[error("`{{{0}}}` needs a regex: write `{{{0}:regex}}`, or `:{0}` for any segment")]
    MissingRegex(String),
    /// The regex of a `{name:regex}` segment does not compile.
    #[error("bad regex for parameter `{name}`: {source}")]
    BadRegex {
        /// The parameter name.
        name: String,
        /// The regex compiler's message.
        source: regex::Error,
    },
    /// A `{` without its closing `}`.
    #[error("unclosed `{{`")]
    UnclosedBrace,
    /// `*`, `{` or `}` inside a segment holding other text, or text after a closing `}`.
    #[error("`{0}`: `*` and `{{name:regex}}` must each be a whole segment")]
    NotWholeSegment(String),
    /// `?` or `#` outside a regex: paths are matched without query string or fragment.
    #[error("`?` and `#` cannot appear in a path pattern (paths are matched without query)")]
    QueryInPattern,
    /// Another rule matches exactly the same paths.
    #[error("matches the same paths as rule {first}")]
    Duplicate {
        /// Position of the earlier rule, from 0.
        first: usize,
    },
}

impl fmt::Display for PathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.problems.len();
        write!(
            f,
            "{n} invalid path pattern{}: ",
            if n == 1 { "" } else { "s" }
        )?;
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "rule {} `{}`: {}", p.index, p.pattern, p.reason)?;
        }
        Ok(())
    }
}

impl std::error::Error for PathError {}

impl<T> PathRouter<T> {
    /// Compiles `(pattern, value)` rules (regexes included, once). Every faulty pattern is
    /// reported in one error.
    pub fn new(rules: Vec<(String, T)>) -> Result<Self, PathError> {
        let mut statics = HashMap::new();
        let mut keyed = Vec::new();
        let mut shapes: HashMap<String, usize> = HashMap::new();
        let mut problems = Vec::new();
        for (index, (pattern, value)) in rules.into_iter().enumerate() {
            let parsed = parse(&pattern).and_then(|p| match shapes.get(&p.shape) {
                Some(&first) => Err(PatternReason::Duplicate { first }),
                None => Ok(p),
            });
            let p = match parsed {
                Ok(p) => p,
                Err(reason) => {
                    problems.push(PatternProblem {
                        index,
                        pattern,
                        reason,
                    });
                    continue;
                }
            };
            shapes.insert(p.shape, index);
            if p.is_static {
                statics.insert(normalize_pattern(&pattern).to_owned(), value);
            } else {
                let count = |f: fn(&Segment) -> bool| p.segments.iter().filter(|s| f(s)).count();
                let key = (
                    Reverse(count(|s| matches!(s, Segment::Static(_)))),
                    Reverse(count(|s| matches!(s, Segment::Regex { .. }))),
                    Reverse(p.segments.len() + usize::from(p.tail)),
                    index,
                );
                let rule = Rule {
                    segments: p.segments,
                    tail: p.tail,
                    value,
                };
                keyed.push((key, rule));
            }
        }
        if !problems.is_empty() {
            return Err(PathError { problems });
        }
        keyed.sort_by_key(|(key, _)| *key);
        let dynamic = keyed.into_iter().map(|(_, rule)| rule).collect();
        Ok(Self { statics, dynamic })
    }

    /// The value of the best rule matching `path` (no query string). Allocates nothing.
    pub fn route(&self, path: &str) -> Option<&T> {
        self.find(path).map(|(value, _)| value)
    }

    /// The best rule's value and the parameters it captured, in pattern order.
    pub fn route_with_params(&self, path: &str) -> Option<(&T, Vec<(String, String)>)> {
        let (value, rule) = self.find(path)?;
        let mut params = Vec::new();
        if let (Some(rule), Some((body, count))) = (rule, split_path(path)) {
            rule.matches(body, count, |name, part| {
                params.push((name.to_owned(), part.to_owned()));
            });
        }
        Some((value, params))
    }

    /// The winning value, with its rule when it is not a static one.
    fn find(&self, path: &str) -> Option<(&T, Option<&Rule<T>>)> {
        let (body, count) = split_path(path)?;
        // `body` is the normalized path less its leading `/`.
        if let Some(value) = path.get(..body.len() + 1).and_then(|p| self.statics.get(p)) {
            return Some((value, None));
        }
        self.dynamic
            .iter()
            .find(|rule| rule.matches(body, count, |_, _| {}))
            .map(|rule| (&rule.value, Some(rule)))
    }
}

/// The path less its leading `/` and one trailing `/`, with its number of segments.
fn split_path(path: &str) -> Option<(&str, usize)> {
    let body = path.strip_prefix('/')?;
    let body = body.strip_suffix('/').unwrap_or(body);
    let count = if body.is_empty() {
        0
    } else {
        memchr::memchr_iter(b'/', body.as_bytes()).count() + 1
    };
    Some((body, count))
}

impl<T> Rule<T> {
    /// Whether the rule matches the path `body` of `count` segments; reports each captured
    /// parameter to `on_param` (possibly before failing later).
    fn matches(&self, body: &str, count: usize, mut on_param: impl FnMut(&str, &str)) -> bool {
        let fixed = self.segments.len();
        if (self.tail && count <= fixed) || (!self.tail && count != fixed) {
            return false;
        }
        let mut rest = body;
        for segment in &self.segments {
            let (part, after) = rest.split_once('/').unwrap_or((rest, ""));
            let ok = !part.is_empty()
                && match segment {
                    Segment::Static(text) => part == text,
                    Segment::Any | Segment::Param(_) => true,
                    Segment::Regex { re, .. } => re.is_match(part),
                };
            if !ok {
                return false;
            }
            if let Segment::Param(name) | Segment::Regex { name, .. } = segment {
                on_param(name, part);
            }
            rest = after;
        }
        !self.tail || !rest.is_empty()
    }
}

/// A pattern, compiled.
struct Parsed {
    segments: Vec<Segment>,
    tail: bool,
    is_static: bool,
    /// What the pattern matches, independent of parameter names: equal shapes are duplicates.
    shape: String,
}

/// The pattern less one trailing `/` (the root pattern `/` stays).
fn normalize_pattern(pattern: &str) -> &str {
    match pattern.strip_suffix('/') {
        Some(p) if !p.is_empty() => p,
        _ => pattern,
    }
}

fn parse(pattern: &str) -> Result<Parsed, PatternReason> {
    let body = normalize_pattern(pattern)
        .strip_prefix('/')
        .ok_or(PatternReason::NoLeadingSlash)?;
    let mut segments = Vec::new();
    let mut names: Vec<String> = Vec::new();
    let mut shape = String::new();
    for text in split_pattern(body)? {
        let segment = parse_segment(text)?;
        shape.push('/');
        match &segment {
            Segment::Static(s) => shape.push_str(s),
            Segment::Any => shape.push('*'),
            Segment::Param(_) => shape.push(':'),
            Segment::Regex { re, .. } => {
                shape.push('{');
                shape.push_str(re.as_str());
                shape.push('}');
            }
        }
        if let Segment::Param(name) | Segment::Regex { name, .. } = &segment {
            if names.contains(name) {
                return Err(PatternReason::DuplicateParam(name.clone()));
            }
            names.push(name.clone());
        }
        segments.push(segment);
    }
    let tail = matches!(segments.last(), Some(Segment::Any));
    if tail {
        segments.pop();
    }
    let is_static = !tail && segments.iter().all(|s| matches!(s, Segment::Static(_)));
    Ok(Parsed {
        segments,
        tail,
        is_static,
        shape,
    })
}

/// Splits a pattern body (after its leading `/`) into segments; a `{...}` segment may hold
/// `/` inside its regex.
fn split_pattern(body: &str) -> Result<Vec<&str>, PatternReason> {
    let mut segments = Vec::new();
    if body.is_empty() {
        return Ok(segments); // the root pattern `/`
    }
    let mut start = 0;
    loop {
        let rest = body.get(start..).unwrap_or("");
        let len = if rest.starts_with('{') {
            // Without a close outside character classes, a typo such as `{id:[0-9+}` is
            // better reported by the regex compiler than as an unclosed brace.
            let close = closing_brace(rest, true)
                .or_else(|| closing_brace(rest, false))
                .ok_or(PatternReason::UnclosedBrace)?;
            if !matches!(rest.as_bytes().get(close + 1), None | Some(b'/')) {
                let end = rest.find('/').unwrap_or(rest.len());
                return Err(PatternReason::NotWholeSegment(rest[..end].to_owned()));
            }
            close + 1
        } else {
            rest.find('/').unwrap_or(rest.len())
        };
        segments.push(&rest[..len]);
        if len == rest.len() {
            return Ok(segments);
        }
        start += len + 1;
    }
}

/// The byte index of the `}` closing the `{` that `text` starts with, skipping escaped
/// characters and, with `classes`, bracketed character classes of the regex inside.
fn closing_brace(text: &str, classes: bool) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut in_class = false;
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'\\' => i += 1,
            b'[' if classes && !in_class => {
                in_class = true;
                // A `]` right after `[` or `[^` is a literal member of the class.
                if bytes.get(i + 1) == Some(&b'^') {
                    i += 1;
                }
                if bytes.get(i + 1) == Some(&b']') {
                    i += 1;
                }
            }
            b']' if in_class => in_class = false,
            b'{' if !in_class => depth += 1,
            b'}' if !in_class => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

fn parse_segment(text: &str) -> Result<Segment, PatternReason> {
    if text.is_empty() {
        return Err(PatternReason::EmptySegment);
    }
    if text == "*" {
        return Ok(Segment::Any);
    }
    if let Some(name) = text.strip_prefix(':') {
        check_name(name)?;
        return Ok(Segment::Param(name.to_owned()));
    }
    if let Some(inner) = text.strip_prefix('{').and_then(|t| t.strip_suffix('}')) {
        let (name, regex) = inner.split_once(':').unwrap_or((inner, ""));
        check_name(name)?;
        if regex.is_empty() {
            return Err(PatternReason::MissingRegex(name.to_owned()));
        }
        let bad = |source| PatternReason::BadRegex {
            name: name.to_owned(),
            source,
        };
        // Compiled alone first, so that unbalanced groups such as `a)|(b` cannot undo the
        // anchors added around it.
        Regex::new(regex).map_err(bad)?;
        let re = Regex::new(&format!("^(?:{regex})$")).map_err(bad)?;
        return Ok(Segment::Regex {
            name: name.to_owned(),
            re,
        });
    }
    if text.contains(['*', '{', '}']) {
        return Err(PatternReason::NotWholeSegment(text.to_owned()));
    }
    if text.contains(['?', '#']) {
        return Err(PatternReason::QueryInPattern);
    }
    Ok(Segment::Static(text.to_owned()))
}

fn check_name(name: &str) -> Result<(), PatternReason> {
    if name.is_empty() {
        return Err(PatternReason::EmptyParamName);
    }
    if !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return Err(PatternReason::BadParamName(name.to_owned()));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
