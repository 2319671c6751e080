//! Fixture files: loaded once, cut into the body frames they are replayed as, and cached.
//!
//! Framing by extension: `.sse` one frame per event (cut after each blank line, `\n\n` or
//! `\r\n\r\n`), `.ndjson` one frame per line, `.chunks.jsonl` re-framed as SSE
//! (`event: <type>\ndata: <line>\n\n`, or `data: <line>\n\n` without a `type` field),
//! anything else (`.json`) one frame. Concatenating the frames of `.sse`, `.ndjson` and
//! `.json` gives the file back byte for byte.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, RwLock};

use bytes::Bytes;
use serde::Deserialize;

/// A fixture ready to be served.
#[derive(Debug)]
pub(crate) struct Fixture {
    pub(crate) frames: Vec<Bytes>,
    pub(crate) content_type: &'static str,
    /// `NNN` for `error-NNN-*` files, else 200.
    pub(crate) status: u16,
    /// Streamed (chunked) rather than sent with a `Content-Length`.
    pub(crate) streaming: bool,
}

/// Why a fixture cannot be served.
#[derive(Debug)]
pub(crate) enum FixtureError {
    /// The path is absolute or contains `..` (answered 400).
    BadPath(String),
    /// The file cannot be read (answered 500).
    Missing(String),
}

/// Cache of loaded fixtures, keyed by their relative path. Files are read once per server.
#[derive(Debug)]
pub(crate) struct FixtureCache {
    dir: PathBuf,
    loaded: RwLock<HashMap<String, Arc<Fixture>>>,
}

impl FixtureCache {
    pub(crate) fn new(dir: PathBuf) -> Self {
        Self {
            dir,
            loaded: RwLock::new(HashMap::new()),
        }
    }

    /// The fixture at `rel` (relative to the fixtures directory).
    pub(crate) async fn get(&self, rel: &str) -> Result<Arc<Fixture>, FixtureError> {
        if let Some(f) = self
            .loaded
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(rel)
        {
            return Ok(f.clone());
        }
        let safe = !rel.is_empty()
            && Path::new(rel)
                .components()
                .all(|c| matches!(c, Component::Normal(_) | Component::CurDir));
        if !safe {
            return Err(FixtureError::BadPath(format!(
                "x-mock-fixture must be a relative path without '..': {rel:?}"
            )));
        }
        let path = self.dir.join(rel);
        let data = tokio::fs::read(&path).await.map_err(|e| {
            FixtureError::Missing(format!("cannot read fixture {}: {e}", path.display()))
        })?;
        let fixture = Arc::new(Fixture::from_file(rel, Bytes::from(data)));
        self.loaded
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(rel.to_owned(), fixture.clone());
        Ok(fixture)
    }
}

impl Fixture {
    fn from_file(rel: &str, data: Bytes) -> Self {
        let name = rel.rsplit(['/', '\\']).next().unwrap_or(rel);
        let status = error_status(name).unwrap_or(200);
        let (frames, content_type, streaming) = if name.ends_with(".chunks.jsonl") {
            (reframe_chunks(&data), "text/event-stream", true)
        } else if name.ends_with(".sse") {
            (split_events(&data), "text/event-stream", true)
        } else if name.ends_with(".ndjson") {
            (split_lines(&data), "application/x-ndjson", true)
        } else if name.ends_with(".json") {
            (vec![data], "application/json", false)
        } else {
            (vec![data], "application/octet-stream", false)
        };
        Self {
            frames,
            content_type,
            status,
            streaming,
        }
    }
}

/// `NNN` from a file name `error-NNN-…`.
fn error_status(name: &str) -> Option<u16> {
    let rest = name.strip_prefix("error-")?;
    let (code, _) = rest.split_once('-')?;
    if code.len() != 3 {
        return None;
    }
    code.parse().ok().filter(|c| (200..=599).contains(c))
}

/// Cut after every blank line (`\n\n` or `\r\n\r\n`); a trailing partial event is kept.
fn split_events(data: &Bytes) -> Vec<Bytes> {
    let b = &data[..];
    let mut frames = Vec::new();
    let (mut start, mut i) = (0, 0);
    while i < b.len() {
        let sep = if b[i..].starts_with(b"\r\n\r\n") {
            4
        } else if b[i..].starts_with(b"\n\n") {
            2
        } else {
            0
        };
        if sep == 0 {
            i += 1;
            continue;
        }
        i += sep;
        frames.push(data.slice(start..i));
        start = i;
    }
    if start < b.len() {
        frames.push(data.slice(start..));
    }
    frames
}

/// Cut after every `\n`; a last line without newline is kept.
fn split_lines(data: &Bytes) -> Vec<Bytes> {
    let mut frames = Vec::new();
    let mut start = 0;
    for (i, _) in data.iter().enumerate().filter(|(_, c)| **c == b'\n') {
        frames.push(data.slice(start..=i));
        start = i + 1;
    }
    if start < data.len() {
        frames.push(data.slice(start..));
    }
    frames
}

#[derive(Deserialize)]
struct TypeField {
    #[serde(rename = "type")]
    kind: Option<String>,
}

/// One SSE event per non-empty line: `event: <type>` when the JSON has a string `type`.
fn reframe_chunks(data: &Bytes) -> Vec<Bytes> {
    String::from_utf8_lossy(data)
        .lines()
        .map(str::trim_end)
        .filter(|l| !l.is_empty())
        .map(|line| {
            let kind = serde_json::from_str::<TypeField>(line)
                .ok()
                .and_then(|t| t.kind);
            Bytes::from(match kind {
                Some(kind) => format!("event: {kind}\ndata: {line}\n\n"),
                None => format!("data: {line}\n\n"),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_keep_bytes() {
        let sse = Bytes::from_static(b"data: a\r\n\r\ndata: b\r\n\r\ntail");
        let frames = split_events(&sse);
        assert_eq!(frames.len(), 3);
        assert_eq!(frames.concat(), sse.to_vec());
        let nd = Bytes::from_static(b"{}\n{}\n{}");
        assert_eq!(split_lines(&nd).len(), 3);
        assert_eq!(error_status("error-429-x.json"), Some(429));
        assert_eq!(error_status("nonstream.json"), None);
    }

    #[test]
    fn reframes_chunks() {
        let c = Bytes::from_static(b"{\"type\":\"ping\"}\n{\"a\":1}\n");
        let frames = reframe_chunks(&c);
        assert_eq!(frames[0], "event: ping\ndata: {\"type\":\"ping\"}\n\n");
        assert_eq!(frames[1], "data: {\"a\":1}\n\n");
    }
}
