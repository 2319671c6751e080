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
    /// How the key is sent: `bearer` (default for the OpenAI family), `header:<name>`, `none`.
    pub auth: Option<String>,
    /// Models this provider serves (replaces a preset's list).
    pub models: Option<Vec<String>>,
    /// Extra headers sent with every upstream request.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Timeouts for this provider (override `server.timeouts`).
    pub timeouts: Option<RawTimeouts>,
    /// Ask for usage in streams with `stream_options.include_usage` (default: per preset, else true).
    pub stream_usage: Option<bool>,
    /// Azure: the `api-version` query parameter.
    pub api_version: Option<String>,
    /// Azure: model name → deployment name (a model without an entry uses its own name).
    #[serde(default)]
    pub deployments: BTreeMap<String, String>,
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
    pub target: String,
    /// Request fields applied when the caller did not send them (nested objects merge).
    pub defaults: Option<serde_json::Map<String, serde_json::Value>>,
    /// Request fields forced over whatever the caller sent (nested objects merge).
    pub clamp: Option<serde_json::Map<String, serde_json::Value>>,
    /// Free text shown in model listings.
    pub description: Option<String>,
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
