//! `usage:` section: whether every request is stored in the usage database, and how long.

use schemars::JsonSchema;
use serde::Deserialize;

/// Days of usage kept when the file does not say.
pub const DEFAULT_RETENTION_DAYS: u32 = 30;

/// `usage:` as written.
#[derive(Debug, Default, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawUsage {
    /// Store one row per request in `<data_dir>/llmux.db` (default `true`).
    pub enabled: Option<bool>,
    /// Days rows are kept before the daily purge deletes them (default 30; `0` keeps them
    /// forever).
    pub retention_days: Option<u32>,
    /// Tag(s) of requests that no other source tags (comma-separated; default none).
    pub default_tag: Option<String>,
    /// Store each client's reverse-DNS host name beside its address (default `false`).
    pub reverse_dns: Option<bool>,
}

/// The validated `usage:` settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageConfig {
    /// Whether requests are stored at all; `false` opens no database.
    pub enabled: bool,
    /// Days rows are kept; `None` keeps them forever.
    pub retention_days: Option<u32>,
    /// Tags of requests no other source tags; empty for none.
    pub default_tag: String,
    /// Whether rows get the client's reverse-DNS host name.
    pub reverse_dns: bool,
}

impl Default for UsageConfig {
    fn default() -> Self {
        UsageConfig {
            enabled: true,
            retention_days: Some(DEFAULT_RETENTION_DAYS),
            default_tag: String::new(),
            reverse_dns: false,
        }
    }
}

impl From<RawUsage> for UsageConfig {
    fn from(raw: RawUsage) -> Self {
        UsageConfig {
            enabled: raw.enabled.unwrap_or(true),
            retention_days: match raw.retention_days {
                Some(0) => None,
                Some(days) => Some(days),
                None => Some(DEFAULT_RETENTION_DAYS),
            },
            default_tag: raw.default_tag.unwrap_or_default(),
            reverse_dns: raw.reverse_dns.unwrap_or(false),
        }
    }
}
