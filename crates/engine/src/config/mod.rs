//! Configuration: parsed raw (YAML, `deny_unknown_fields`), merged with the environment,
//! validated with every error reported at once, and returned typed.
//!
//! Sources, lowest first: the embedded defaults, the config file, env-declared endpoints
//! (`LLMUX_ENDPOINT_<NAME>_*`), the presets switched on by their API key variables, and the
//! objects made through the admin API ([`Config::load_composed`]).

mod admin;
mod client_auth;
mod compose;
mod discovery;
mod env;
mod errors;
mod forwards;
mod groups;
mod journal;
mod outbound;
mod pricing;
mod raw;
mod skipping;
mod sources;
mod units;
mod usage;
mod validate;
mod yaml;

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use llmux_providers::{AuthScheme, Preset, ProviderKind, Quirks};

pub use admin::{AdminConfig, RawAdmin, ADMIN_PASSWORD_ENV, ADMIN_TOKEN_ENV};
pub use client_auth::{parse_auth_mode, ClientAuth, RawAuthMode, RawClientAuth};
pub use compose::{ApiObjects, Composition, SETTINGS};
pub use discovery::{
    parse_peer, DiscoveryConfig, Peer, RawDiscovery, DEFAULT_DISCOVERY_REFRESH,
    DEFAULT_DISCOVERY_TIMEOUT,
};
pub use env::Env;
pub use errors::{did_you_mean, ConfigError, ConfigErrors};
pub use journal::{
    JournalConfig, RawJournal, DEFAULT_JOURNAL_FILE, DEFAULT_JOURNAL_MAX_BODY_BYTES,
    DEFAULT_JOURNAL_MAX_FILES, DEFAULT_JOURNAL_MAX_SIZE_MB,
};
pub use outbound::{HeaderOp, HeaderOpKind, HttpSettings, ProxyUrl};
pub use pricing::{build as build_pricing, RawPrice, RawPricing};
pub use raw::schema_json;
pub use skipping::compose_skipping;
pub use units::{parse_duration, parse_size};
pub use usage::{RawUsage, UsageConfig, DEFAULT_RETENTION_DAYS};

/// The validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Listeners and limits.
    pub server: ServerConfig,
    /// Where llmux keeps its data.
    pub data_dir: PathBuf,
    /// Model used when nothing else resolves a requested model.
    pub default_model: Option<String>,
    /// Per-request usage storage (`usage:`).
    pub usage: UsageConfig,
    /// How data-plane clients authenticate (`auth:`).
    pub auth: ClientAuth,
    /// The request journal (`journal:`).
    pub journal: JournalConfig,
    /// Endpoint auto-discovery (`discovery:`).
    pub discovery: DiscoveryConfig,
    /// Price overrides (`pricing:`): `model` or `provider/model` → price, as written.
    pub pricing: Vec<(String, crate::pricing::PriceOverride)>,
    /// Admin listener credentials (`admin:` and `LLMUX_ADMIN_*`).
    pub admin: AdminConfig,
    /// Providers, in the order they were declared (file, env endpoints, presets).
    pub providers: Vec<ProviderConfig>,
    /// Virtual models, by name order.
    pub models: Vec<ModelConfig>,
    /// Upstream groups, by name order.
    pub groups: Vec<GroupConfig>,
    /// The file this came from, if any.
    pub file: Option<PathBuf>,
    /// Preset key variables that were not set (for the start-up summary).
    pub unset_presets: Vec<&'static Preset>,
    /// Where the admin API's objects went (empty without any).
    pub composition: Composition,
}

/// `server:` settings.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Data-plane address.
    pub listen: SocketAddr,
    /// Admin address.
    pub admin_listen: SocketAddr,
    /// Largest accepted request body, in bytes.
    pub body_limit: usize,
    /// Default upstream timeouts.
    pub timeouts: Timeouts,
    /// Requests per client IP on the main listener.
    pub rate_limit: Option<BucketSettings>,
    /// Requests for the whole main listener.
    pub total_rate_limit: Option<BucketSettings>,
    /// Further data-plane listeners.
    pub forwards: Vec<ForwardConfig>,
}

/// A token bucket's settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BucketSettings {
    /// Steady rate, requests per second.
    pub per_second: f64,
    /// Burst size.
    pub burst: u32,
}

/// A data-plane listener of its own (seed 002's "forward").
#[derive(Debug, Clone)]
pub struct ForwardConfig {
    /// Unique name.
    pub name: String,
    /// Address.
    pub listen: SocketAddr,
    /// Group for requests no rule matches (`None`: the model name decides).
    pub default_group: Option<String>,
    /// `(path pattern, group)` rules.
    pub routing: Vec<(String, String)>,
    /// Requests per client IP.
    pub rate_limit: Option<BucketSettings>,
    /// Requests for the whole forward.
    pub total_rate_limit: Option<BucketSettings>,
    /// Where it came from (the file or the admin API).
    pub source: Source,
}

/// Upstream timeouts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// TCP + TLS connect.
    pub connect: Duration,
    /// Request sent → response head received.
    pub first_byte: Duration,
    /// Longest gap between two body chunks.
    pub idle: Duration,
    /// Whole non-streamed exchange.
    pub total: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(10),
            first_byte: Duration::from_secs(300),
            idle: Duration::from_secs(300),
            total: Duration::from_secs(600),
        }
    }
}

/// Where a provider's, model's or group's definition came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// The configuration file.
    File,
    /// `LLMUX_ENDPOINT_<NAME>_*` (or `LLM_PROXY_ENDPOINT_<NAME>_*`) variables.
    EnvEndpoint(String),
    /// A preset switched on by its API key variable.
    Preset(String),
    /// Found by endpoint auto-discovery (in memory only, re-probed).
    Discovered,
    /// The admin API's registry.
    Api,
}

impl Source {
    /// Short tag: `config`, `env`, `preset`, `discovered` or `api`.
    pub fn tag(&self) -> &'static str {
        match self {
            Source::File => "config",
            Source::EnvEndpoint(_) => "env",
            Source::Preset(_) => "preset",
            Source::Discovered => "discovered",
            Source::Api => "api",
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::File => f.write_str("config file"),
            Source::EnvEndpoint(prefix) => write!(f, "env {prefix}*"),
            Source::Preset(var) => write!(f, "preset, key from {var}"),
            Source::Discovered => f.write_str("discovered"),
            Source::Api => f.write_str("admin API"),
        }
    }
}

/// A secret (API key) that never prints itself.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret itself, for building the upstream request only.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// A form safe to show: `sk-...abcd` (at most the last four characters).
    pub fn masked(&self) -> String {
        let chars: Vec<char> = self.0.chars().collect();
        if chars.len() < 12 {
            return "****".to_owned();
        }
        let head: String = chars[..3].iter().collect();
        let tail: String = chars[chars.len() - 4..].iter().collect();
        format!("{head}...{tail}")
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(****)")
    }
}

/// One upstream provider, resolved from every source.
#[derive(Debug, Clone)]
pub struct ProviderConfig {
    /// Unique id, used in `provider/model` names.
    pub id: String,
    /// API family.
    pub kind: ProviderKind,
    /// The preset it is based on, if any.
    pub preset: Option<&'static Preset>,
    /// Base URL without a trailing slash.
    pub base_url: String,
    /// The credential, if any: the API key, or the password of `basic` auth.
    pub api_key: Option<Secret>,
    /// Where the credential came from (`env OPENAI_API_KEY`, `config file`), never the value.
    pub key_origin: Option<String>,
    /// How the credential is sent.
    pub auth: AuthScheme,
    /// Models served.
    pub models: Vec<String>,
    /// Extra upstream headers (validated names and values).
    pub headers: Vec<(String, String)>,
    /// Header operations applied last to every upstream request, in order.
    pub header_ops: Vec<HeaderOp>,
    /// HTTP client settings.
    pub http: HttpSettings,
    /// Upstream timeouts.
    pub timeouts: Timeouts,
    /// Host quirks.
    pub quirks: Quirks,
    /// Where the definition came from.
    pub source: Source,
    /// Azure `api-version`.
    pub api_version: Option<String>,
    /// Azure model → deployment map.
    pub deployments: BTreeMap<String, String>,
    /// Circuit breaker of each of its models; `None` when switched off.
    pub breaker: Option<BreakerSettings>,
    /// Requests and tokens per minute per model.
    pub rate_limit: MemberLimit,
}

/// Circuit breaker settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BreakerSettings {
    /// Failure rate that opens the breaker.
    pub threshold: f64,
    /// Window the rate is measured over.
    pub window: Duration,
    /// Fewest requests in the window before the rate counts.
    pub min_requests: u32,
    /// Open time before a half-open probe.
    pub cooldown: Duration,
}

impl Default for BreakerSettings {
    fn default() -> Self {
        BreakerSettings {
            threshold: 0.5,
            window: Duration::from_secs(60),
            min_requests: 5,
            cooldown: Duration::from_secs(30),
        }
    }
}

/// Requests and tokens per minute for one upstream model (`None`: unlimited).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MemberLimit {
    /// Requests per minute.
    pub rpm: Option<u32>,
    /// Tokens per minute.
    pub tpm: Option<u32>,
}

/// What a virtual model points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelTarget {
    /// `provider/model`, or a model listed by exactly one provider.
    Model(String),
    /// A group name.
    Group(String),
}

/// An upstream group.
#[derive(Debug, Clone)]
pub struct GroupConfig {
    /// The group's name (also usable as a model name).
    pub name: String,
    /// How a member is picked.
    pub strategy: crate::routing::balance::Strategy,
    /// Members in declaration order.
    pub members: Vec<MemberConfig>,
    /// Retry settings.
    pub retry: RetrySettings,
    /// Timeouts overriding the members' providers' own.
    pub timeouts: Option<Timeouts>,
    /// Hedged requests, when switched on.
    pub hedge: Option<HedgeSettings>,
    /// HTTP client settings overriding the members' providers' own, when the group has any.
    pub http: Option<HttpSettings>,
    /// Free text for listings.
    pub description: Option<String>,
    /// Where the definition came from (`File` or `Api`).
    pub source: Source,
}

/// One member of a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberConfig {
    /// `provider/model` as written.
    pub target: String,
    /// Traffic share.
    pub weight: u32,
    /// Tier (lower first).
    pub priority: u32,
}

/// Retry settings of a group.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetrySettings {
    /// Retries after the first attempt.
    pub attempts: u32,
    /// Backoff base.
    pub initial: Duration,
    /// Longest backoff.
    pub max_backoff: Duration,
    /// Longest `Retry-After` waited for.
    pub max_retry_after: Duration,
    /// Retries as a share of requests.
    pub budget: f64,
}

impl Default for RetrySettings {
    fn default() -> Self {
        RetrySettings {
            attempts: 2,
            initial: Duration::from_millis(200),
            max_backoff: Duration::from_secs(5),
            max_retry_after: Duration::from_secs(10),
            budget: 0.2,
        }
    }
}

/// Hedged-request settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HedgeSettings {
    /// Fixed delay; `None` means the p95 of recent time to first byte.
    pub after: Option<Duration>,
    /// Lower bound of a p95-derived delay.
    pub min_delay: Duration,
}

/// A virtual model.
#[derive(Debug, Clone)]
pub struct ModelConfig {
    /// The name clients use.
    pub name: String,
    /// What serves it.
    pub target: ModelTarget,
    /// Fields applied when the caller did not send them.
    pub defaults: Option<serde_json::Map<String, serde_json::Value>>,
    /// Fields forced over the caller's.
    pub clamp: Option<serde_json::Map<String, serde_json::Value>>,
    /// Free text for listings.
    pub description: Option<String>,
    /// Models tried in order when the target is unavailable or keeps failing.
    pub fallbacks: Vec<String>,
    /// Whether a prompt too long for the model also falls back.
    pub fallback_on_context_length: bool,
    /// The price of every request made under this name, over any other price.
    pub price: Option<crate::pricing::PriceOverride>,
    /// Context window in tokens, as the operator states it (listings only).
    pub context_length: Option<u32>,
    /// Capability tags, as the operator states them (listings only).
    pub capabilities: Vec<String>,
    /// Where the definition came from (`File` or `Api`).
    pub source: Source,
}

/// The embedded defaults.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
/// The embedded admin default.
pub const DEFAULT_ADMIN_LISTEN: &str = "127.0.0.1:8081";
/// The embedded body limit.
pub const DEFAULT_BODY_LIMIT: usize = 16 << 20;

impl Config {
    /// Builds the configuration from an optional YAML file text and the environment.
    ///
    /// `file` is `(display name, contents)`.
    pub fn load(file: Option<(&str, &str)>, env: &Env) -> Result<Config, ConfigErrors> {
        validate::load(file, env, &ApiObjects::default())
    }

    /// Builds the configuration from the file text, the environment and the admin API's
    /// objects (which win over both when `admin.allow_file_overrides` is on, and otherwise
    /// only fill names the file and environment leave free). An error inside an API object
    /// carries its path (`providers.x.base_url`) and no file line.
    pub fn load_composed(
        file: Option<(&str, &str)>,
        env: &Env,
        api: &ApiObjects,
    ) -> Result<Config, ConfigErrors> {
        validate::load(file, env, api)
    }

    /// Reads `path` (if given) and builds the configuration with the admin API's objects.
    pub fn load_path_composed(
        path: Option<&std::path::Path>,
        env: &Env,
        api: &ApiObjects,
    ) -> Result<Config, ConfigErrors> {
        let every: std::collections::BTreeSet<String> = api.paths().into_iter().collect();
        Config::load_path_skipping(path, env, api, &every)
    }

    /// Reads `path` (if given) once and builds the configuration with the admin API's
    /// objects, leaving out those not in `required` that no longer validate
    /// ([`compose_skipping`]).
    pub fn load_path_skipping(
        path: Option<&std::path::Path>,
        env: &Env,
        api: &ApiObjects,
        required: &std::collections::BTreeSet<String>,
    ) -> Result<Config, ConfigErrors> {
        let Some(path) = path else {
            return compose_skipping(api, required, |a| Config::load_composed(None, env, a));
        };
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| ConfigErrors {
            file: Some(name.clone()),
            errors: vec![ConfigError {
                path: String::new(),
                line: None,
                message: format!("cannot read the configuration file: {e}"),
            }],
        })?;
        let mut config = compose_skipping(api, required, |a| {
            Config::load_composed(Some((&name, &text)), env, a)
        })?;
        config.file = Some(path.to_path_buf());
        Ok(config)
    }

    /// Reads `path` (if given) and builds the configuration.
    pub fn load_path(path: Option<&std::path::Path>, env: &Env) -> Result<Config, ConfigErrors> {
        Config::load_path_composed(path, env, &ApiObjects::default())
    }

    /// The provider with this id.
    pub fn provider(&self, id: &str) -> Option<&ProviderConfig> {
        self.providers.iter().find(|p| p.id == id)
    }

    /// The group with this name.
    pub fn group(&self, name: &str) -> Option<&GroupConfig> {
        self.groups.iter().find(|g| g.name == name)
    }
}

#[cfg(test)]
mod tests;
