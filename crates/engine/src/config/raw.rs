//! The configuration file exactly as written: serde types with `deny_unknown_fields`, which
//! also generate the JSON Schema printed by `llmux config schema`.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer};

/// The whole configuration file.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    /// Listeners, limits and default timeouts.
    #[serde(default)]
    pub server: RawServer,
    /// Where llmux keeps its data (default `./data`).
    pub data_dir: Option<String>,
    /// Model used when a request names a model nothing else resolves.
    pub default_model: Option<String>,
    /// Upstream providers by id.
    #[serde(default)]
    pub providers: BTreeMap<String, RawProvider>,
    /// Virtual models by name: an alias (`"provider/model"`) or a model with a profile.
    #[serde(default)]
    pub models: BTreeMap<String, RawModel>,
    /// Upstream groups by name: several `provider/model` members behind one balancer.
    #[serde(default)]
    pub groups: BTreeMap<String, RawGroup>,
    /// Per-request usage storage.
    #[serde(default)]
    pub usage: super::usage::RawUsage,
    /// How data-plane clients authenticate.
    #[serde(default)]
    pub auth: super::client_auth::RawClientAuth,
    /// The request journal (JSONL, rotated by size).
    #[serde(default)]
    pub journal: super::journal::RawJournal,
    /// Endpoint auto-discovery: local servers and peers probed for models.
    #[serde(default)]
    pub discovery: super::discovery::RawDiscovery,
    /// Price overrides in USD per million tokens: `model` or `provider/model` → price.
    #[serde(default)]
    pub pricing: super::pricing::RawPricing,
    /// Admin listener credentials.
    #[serde(default)]
    pub admin: super::admin::RawAdmin,
}

/// `server:` section.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawServer {
    /// Data-plane address (default `127.0.0.1:8080`).
    pub listen: Option<String>,
    /// Admin address (default `127.0.0.1:8081`).
    pub admin_listen: Option<String>,
    /// Largest accepted request body (default `16MiB`).
    pub body_limit: Option<Human>,
    /// Default upstream timeouts for every provider.
    pub timeouts: Option<RawTimeouts>,
    /// Requests per client IP on the main data-plane listener (token bucket).
    #[serde(alias = "ratelimit")]
    pub rate_limit: Option<RawBucket>,
    /// Requests for the whole main listener, all clients together (token bucket).
    pub total_rate_limit: Option<RawBucket>,
    /// Further data-plane listeners, each with its own routing and limits.
    #[serde(default)]
    pub forwards: Vec<RawForward>,
}

/// A token bucket: a steady rate and a burst.
#[derive(Debug, Default, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawBucket {
    /// Requests per second, steady state (required unless `enabled: false`).
    pub per_second: Option<f64>,
    /// Requests allowed at once above the steady rate (default: twice `per_second`).
    pub burst: Option<u32>,
    /// `false` switches the limit off (seed compatibility).
    pub enabled: Option<bool>,
}

/// One `server.forwards[]` entry: a listener of its own.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawForward {
    /// Unique name (metrics label, logs).
    pub name: String,
    /// Address to listen on (`host:port`).
    pub listen: Option<String>,
    /// Seed spelling of the address: `address` + `port`.
    pub address: Option<String>,
    /// Seed spelling of the address: `address` + `port`.
    pub port: Option<u16>,
    /// Group serving every request no routing rule matches; without it the model name in the
    /// request decides, as on the main listener.
    pub default_group: Option<String>,
    /// Path rules, tried by priority (static, then most static segments, regex over plain
    /// parameters, longer patterns, then order).
    #[serde(default)]
    pub routing: Vec<RawRoute>,
    /// Requests per client IP (token bucket).
    #[serde(alias = "ratelimit")]
    pub rate_limit: Option<RawBucket>,
    /// Requests for the whole forward, all clients together (token bucket).
    pub total_rate_limit: Option<RawBucket>,
}

/// A path rule of a forward.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawRoute {
    /// Pattern: static segments, `:name`, `{name:regex}`, `*`.
    pub path: String,
    /// The group serving requests on matching paths.
    pub target_group: String,
}

/// Upstream timeouts; any left out keeps its default.
#[derive(Debug, Default, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawTimeouts {
    /// TCP + TLS connect (default `10s`).
    pub connect: Option<Human>,
    /// From sending the request to the response head (default `300s`).
    pub first_byte: Option<Human>,
    /// Longest silence between two chunks of a response body (default `300s`).
    pub idle: Option<Human>,
    /// Whole non-streamed request, body included (default `600s`); streams have no total.
    pub total: Option<Human>,
}

/// One `providers.<id>` entry.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawProvider {
    /// API family: `openai`, `openai-compatible`, `openai-responses`, `azure`, `anthropic`,
    /// `gemini`, `ollama`.
    /// Implied by `preset`, or by an id that is a preset name.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// A built-in preset to start from (`groq`, `mistral`, ...); defaults to the id if it names one.
    pub preset: Option<String>,
    /// Base URL of the API (OpenAI family: up to and including `/v1`; Azure: the resource URL).
    pub base_url: Option<String>,
    /// The API key (use `${VAR}` rather than writing it here).
    pub api_key: Option<String>,
    /// Name of an environment variable holding the API key.
    pub api_key_env: Option<String>,
    /// Path of a file holding the API key (Docker/Kubernetes secrets).
    pub api_key_file: Option<String>,
    /// How the credential is sent: `bearer` (default for the OpenAI family), `header:<name>`,
    /// `none`, or a mapping with `type:` (`basic` takes `username` and a password).
    pub auth: Option<RawAuth>,
    /// Models this provider serves (replaces a preset's list).
    pub models: Option<Vec<String>>,
    /// Extra headers sent with every upstream request.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Header operations applied last to every upstream request, in order.
    #[serde(default)]
    pub header_ops: Vec<RawHeaderOp>,
    /// HTTP client settings: User-Agent, TCP keepalive, outbound proxy.
    pub http: Option<RawHttp>,
    /// Timeouts for this provider (override `server.timeouts`).
    pub timeouts: Option<RawTimeouts>,
    /// Ask for usage in streams with `stream_options.include_usage` (default: per preset, else true).
    pub stream_usage: Option<bool>,
    /// Azure: the `api-version` query parameter.
    pub api_version: Option<String>,
    /// Azure: model name → deployment name (a model without an entry uses its own name).
    #[serde(default)]
    pub deployments: BTreeMap<String, String>,
    /// Circuit breaker of each of this provider's models (as group members).
    pub breaker: Option<RawBreaker>,
    /// Requests and tokens per minute allowed to each of this provider's models.
    pub rate_limit: Option<RawMemberLimit>,
}

/// `auth:`: the short form, or a mapping.
#[derive(Debug, Clone, JsonSchema)]
#[schemars(untagged)]
pub enum RawAuth {
    /// `bearer`, `header:<name>` or `none`.
    Scheme(String),
    /// A mapping with `type:`.
    Full(RawAuthFull),
}

/// The long form of `auth:`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawAuthFull {
    /// `bearer`, `header:<name>`, `basic` or `none`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Basic auth: the username.
    pub username: Option<String>,
    /// Basic auth: the password (use `${VAR}` rather than writing it here).
    pub password: Option<String>,
    /// Basic auth: name of an environment variable holding the password.
    pub password_env: Option<String>,
    /// Basic auth: path of a file holding the password.
    pub password_file: Option<String>,
}

impl<'de> Deserialize<'de> for RawAuth {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match serde_json::Value::deserialize(d)? {
            serde_json::Value::String(s) => Ok(RawAuth::Scheme(s)),
            v @ serde_json::Value::Object(_) => serde_json::from_value(v)
                .map(RawAuth::Full)
                .map_err(serde::de::Error::custom),
            other => Err(serde::de::Error::custom(format!(
                "expected `bearer`, `header:<name>`, `none` or a mapping with `type:`, found {}",
                kind_of(&other)
            ))),
        }
    }
}

/// One `header_ops` entry.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawHeaderOp {
    /// `insert` (only when absent), `replace` (add or overwrite) or `remove`.
    pub op: String,
    /// The header name.
    #[serde(alias = "key")]
    pub name: String,
    /// The value (`insert` and `replace`; `remove` takes none).
    pub value: Option<String>,
}

/// `http:` of a provider or a group.
#[derive(Debug, Default, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawHttp {
    /// `User-Agent` sent upstream instead of the client's.
    #[serde(alias = "agent")]
    pub user_agent: Option<String>,
    /// Idle time before TCP keepalive probes (default `60s`); `0` or `false` switches them off.
    pub keepalive: Option<RawKeepalive>,
    /// Outbound proxy: `http://[user:password@]host:port` (or `https://`).
    pub proxy: Option<String>,
}

/// A keepalive setting: a duration, or a switch.
#[derive(Debug, Clone, JsonSchema)]
#[schemars(untagged)]
pub enum RawKeepalive {
    /// `true` keeps the default, `false` switches keepalive off.
    Switch(bool),
    /// A duration (`0` switches keepalive off).
    Every(Human),
}

impl<'de> Deserialize<'de> for RawKeepalive {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match serde_json::Value::deserialize(d)? {
            serde_json::Value::Bool(b) => Ok(RawKeepalive::Switch(b)),
            serde_json::Value::String(s) => Ok(RawKeepalive::Every(Human::Text(s))),
            serde_json::Value::Number(n) => Ok(RawKeepalive::Every(Human::Number(
                n.as_f64().unwrap_or(0.0),
            ))),
            other => Err(serde::de::Error::custom(format!(
                "expected a duration such as `60s`, or `false`, found {}",
                kind_of(&other)
            ))),
        }
    }
}

/// A circuit breaker; any field left out keeps its default.
#[derive(Debug, Default, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawBreaker {
    /// Failure rate (0.01 to 1.0) over the window that opens the breaker (default 0.5).
    pub threshold: Option<f64>,
    /// Sliding window the failure rate is measured over (default `60s`).
    pub window: Option<Human>,
    /// Fewest requests in the window before the rate counts (default 5).
    pub min_requests: Option<u32>,
    /// How long an open breaker refuses before a half-open probe (default `30s`).
    pub cooldown: Option<Human>,
    /// `false` switches the breaker off.
    pub enabled: Option<bool>,
}

/// Requests and tokens per minute for one upstream model.
#[derive(Debug, Default, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawMemberLimit {
    /// Requests per minute.
    pub rpm: Option<u32>,
    /// Tokens (prompt + completion) per minute.
    pub tpm: Option<u32>,
}

/// One `groups.<name>` entry.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawGroup {
    /// Balancing strategy: `round_robin` (default), `weighted_round_robin`, `random`,
    /// `failover`, `response_aware`, `least_in_flight`, `ttft_aware`.
    pub strategy: Option<String>,
    /// The members: `provider/model`, or a mapping with `target`, `weight`, `priority`.
    pub members: Vec<RawMember>,
    /// Retries after a failed attempt (before the first byte reached the client).
    pub retry: Option<RawRetry>,
    /// Timeouts for every member of this group (override the providers' own).
    pub timeouts: Option<RawTimeouts>,
    /// Send a second attempt when the first is slow to start answering.
    pub hedge: Option<RawHedge>,
    /// HTTP client settings for this group's members (override their providers' own).
    pub http: Option<RawHttp>,
    /// Free text shown in model listings.
    pub description: Option<String>,
}

/// A group member: short or long form.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum RawMember {
    /// `provider/model`.
    Target(String),
    /// With weight and priority.
    Full(RawMemberFull),
}

/// The long form of a group member.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawMemberFull {
    /// `provider/model` (or a model listed by exactly one provider).
    pub target: String,
    /// Share of traffic under `weighted_round_robin` and `random` (default 1).
    pub weight: Option<u32>,
    /// Tier: members of a lower number are used first (default 0).
    pub priority: Option<u32>,
}

/// Retry settings of a group.
#[derive(Debug, Default, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawRetry {
    /// Retries after the first attempt (default 2; 0 switches retries off).
    pub attempts: Option<u32>,
    /// Backoff base before the first retry of the same member (default `200ms`).
    pub initial: Option<Human>,
    /// Longest backoff (default `5s`).
    pub max_backoff: Option<Human>,
    /// Longest `Retry-After` llmux waits for; longer ones end the retries (default `10s`).
    pub max_retry_after: Option<Human>,
    /// Retries allowed as a share of requests (default 0.2: at most 20% extra load).
    pub budget: Option<f64>,
}

/// Hedged requests of a group.
#[derive(Debug, Default, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawHedge {
    /// A fixed delay before the second attempt; default: the p95 of recent time to first byte.
    pub after: Option<Human>,
    /// Lower bound of the delay when it comes from the p95 (default `100ms`).
    pub min_delay: Option<Human>,
}

/// A virtual model: a plain alias or a target with a parameter profile.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum RawModel {
    /// Short form: `name: provider/model`.
    Alias(String),
    /// Long form with a profile.
    Profile(RawProfile),
}

/// The long form of a virtual model.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawProfile {
    /// `provider/model` (or a model listed by exactly one provider) that serves this name.
    pub target: Option<String>,
    /// A group (see `groups:`) that serves this name, instead of `target`.
    pub group: Option<String>,
    /// Models tried, in order, when the target is unavailable or keeps failing.
    pub fallbacks: Option<Vec<String>>,
    /// Also fall back when the prompt is too long for the model (default false).
    pub fallback_on_context_length: Option<bool>,
    /// Request fields applied when the caller did not send them (nested objects merge).
    pub defaults: Option<serde_json::Map<String, serde_json::Value>>,
    /// Request fields forced over whatever the caller sent (nested objects merge).
    pub clamp: Option<serde_json::Map<String, serde_json::Value>>,
    /// Free text shown in model listings.
    pub description: Option<String>,
    /// Price of requests made under this name (USD per million tokens), over any other.
    pub price: Option<Box<super::pricing::RawPrice>>,
    /// Context window in tokens, shown in listings.
    pub context_length: Option<u32>,
    /// Capability tags (`vision`, `tools`, ...), shown in listings.
    pub capabilities: Option<Vec<String>>,
}

/// A duration (`30s`, `500ms`, `5m`, or a number of seconds) or a size (`16MiB`, or bytes).
#[derive(Debug, Clone, JsonSchema)]
#[schemars(untagged)]
pub enum Human {
    /// Written with a unit.
    Text(String),
    /// A bare number (seconds or bytes).
    Number(f64),
}

impl Human {
    /// The value as text, for the unit parsers.
    pub fn as_text(&self) -> String {
        match self {
            Human::Text(s) => s.clone(),
            Human::Number(n) => n.to_string(),
        }
    }
}

impl<'de> Deserialize<'de> for Human {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match serde_json::Value::deserialize(d)? {
            serde_json::Value::String(s) => Ok(Human::Text(s)),
            serde_json::Value::Number(n) => Ok(Human::Number(n.as_f64().unwrap_or(0.0))),
            other => Err(serde::de::Error::custom(format!(
                "expected a string such as `30s` or `16MiB`, or a number, found {}",
                kind_of(&other)
            ))),
        }
    }
}

/// Names the JSON type of a value, for error messages.
pub fn kind_of(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "nothing (null)",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "a list",
        serde_json::Value::Object(_) => "a mapping",
    }
}

/// The configuration's JSON Schema, pretty-printed.
pub fn schema_json() -> String {
    let schema = schemars::schema_for!(RawConfig);
    serde_json::to_string_pretty(&schema).unwrap_or_default()
}
