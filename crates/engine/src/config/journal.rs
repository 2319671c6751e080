//! `journal:` section: the optional request journal (one JSON line per request, rotated by
//! size) and whether request bodies are captured into it.

use std::path::{Path, PathBuf};

use schemars::JsonSchema;
use serde::Deserialize;

use super::validate::Errors;

/// File name of the journal inside the data directory when `path` is not given.
pub const DEFAULT_JOURNAL_FILE: &str = "journal.jsonl";
/// Size at which the journal file is rotated, in MiB, when the file does not say.
pub const DEFAULT_JOURNAL_MAX_SIZE_MB: f64 = 100.0;
/// Files kept (the live one included) when the file does not say.
pub const DEFAULT_JOURNAL_MAX_FILES: u32 = 5;
/// Largest captured body, in bytes, when the file does not say.
pub const DEFAULT_JOURNAL_MAX_BODY_BYTES: usize = 65_536;

/// `journal:` as written.
#[derive(Debug, Default, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawJournal {
    /// Write one JSON line per request (default `false`).
    pub enabled: Option<bool>,
    /// The journal file (default `<data_dir>/journal.jsonl`).
    pub path: Option<String>,
    /// Rotate the file once it would grow past this many MiB (default 100; fractions allowed).
    pub max_size_mb: Option<f64>,
    /// Files kept, the live one included: `journal.jsonl`, `journal.1.jsonl`, ... (default 5).
    pub max_files: Option<u32>,
    /// Put each request's body into its line, secrets redacted (default `false`).
    pub capture_bodies: Option<bool>,
    /// Captured bodies are cut to this many bytes (default 65536).
    pub max_body_bytes: Option<usize>,
}

/// The validated `journal:` settings.
#[derive(Debug, Clone, PartialEq)]
pub struct JournalConfig {
    /// Whether the journal is written at all.
    pub enabled: bool,
    /// The file as configured; `None` is `<data_dir>/journal.jsonl` (see [`JournalConfig::path_in`]).
    pub path: Option<PathBuf>,
    /// Size in bytes past which the live file is rotated.
    pub max_size_bytes: u64,
    /// Files kept, the live one included (at least 1).
    pub max_files: u32,
    /// Whether request bodies go into the lines.
    pub capture_bodies: bool,
    /// Largest captured body in bytes (at least 1).
    pub max_body_bytes: usize,
}

impl Default for JournalConfig {
    fn default() -> Self {
        JournalConfig {
            enabled: false,
            path: None,
            max_size_bytes: mb_to_bytes(DEFAULT_JOURNAL_MAX_SIZE_MB),
            max_files: DEFAULT_JOURNAL_MAX_FILES,
            capture_bodies: false,
            max_body_bytes: DEFAULT_JOURNAL_MAX_BODY_BYTES,
        }
    }
}

impl JournalConfig {
    /// The journal file for `data_dir`: the configured path, or `<data_dir>/journal.jsonl`.
    pub fn path_in(&self, data_dir: &Path) -> PathBuf {
        self.path
            .clone()
            .unwrap_or_else(|| data_dir.join(DEFAULT_JOURNAL_FILE))
    }

    /// Whether the engine should put request bodies into records: the journal is on and
    /// captures them.
    pub fn captures_bodies(&self) -> bool {
        self.enabled && self.capture_bodies
    }
}

fn mb_to_bytes(mb: f64) -> u64 {
    // Validated finite and positive; `as` saturates, and a tiny size still means one byte.
    ((mb * 1024.0 * 1024.0) as u64).max(1)
}

/// Validates `journal:`, reporting each bad value at its path.
pub(super) fn journal(raw: RawJournal, errors: &mut Errors<'_>) -> JournalConfig {
    let mut config = JournalConfig {
        enabled: raw.enabled.unwrap_or(false),
        capture_bodies: raw.capture_bodies.unwrap_or(false),
        ..JournalConfig::default()
    };
    if let Some(path) = raw.path {
        if path.trim().is_empty() {
            errors.at("journal.path", "the journal path must not be empty");
        } else {
            config.path = Some(PathBuf::from(path));
        }
    }
    if let Some(mb) = raw.max_size_mb {
        if mb.is_finite() && mb > 0.0 {
            config.max_size_bytes = mb_to_bytes(mb);
        } else {
            errors.at(
                "journal.max_size_mb",
                format!(
                    "`{mb}` is not a usable size: give a number of MiB above 0, e.g. 100 or 0.5"
                ),
            );
        }
    }
    match raw.max_files {
        Some(0) => errors.at(
            "journal.max_files",
            "at least 1 file must be kept (the live journal)",
        ),
        Some(n) => config.max_files = n,
        None => {}
    }
    match raw.max_body_bytes {
        Some(0) => errors.at(
            "journal.max_body_bytes",
            "must be at least 1; to capture no bodies set `capture_bodies: false`",
        ),
        Some(n) => config.max_body_bytes = n,
        None => {}
    }
    config
}
