//! Endpoint auto-discovery (seed 000): probes 127.0.0.1, `host.docker.internal` and the
//! configured peers for Ollama, LM Studio, vLLM and LiteLLM, names what answers, and merges
//! the finds (and the live model lists of configured Ollama / OpenAI-compatible providers
//! without a `models:` list) into a [`Config`](crate::config::Config).
//!
//! `naming` holds the pure parts (targets, names, the merge), `probe` the signatures read from
//! answers, `scanner` the IO (name resolution and HTTP, all within one deadline).

mod naming;
mod probe;
mod scanner;

use std::collections::BTreeMap;
use std::time::Duration;

use llmux_providers::ProviderKind;
use serde::Serialize;

pub use naming::{
    apply, has_dynamic_models, host_dashes, is_own, merged_key, name_hits, plan, report,
};
pub use probe::{classify_models, classify_tags};
pub use scanner::{Scanner, LOCAL_HOSTS};

/// A kind of local model server discovery knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Flavor {
    /// Ollama (`GET /api/tags`).
    Ollama,
    /// LM Studio (`GET /v1/models`, `owned_by: organization_owner`).
    #[serde(rename = "lmstudio")]
    LmStudio,
    /// vLLM (`GET /v1/models`, `owned_by: vllm`).
    Vllm,
    /// LiteLLM (`GET /v1/models`, `owned_by: openai` or `litellm`).
    #[serde(rename = "litellm")]
    LiteLlm,
    /// Another OpenAI-compatible server on a port none of the others uses by default.
    #[serde(rename = "openai-compatible")]
    OpenAiCompatible,
}

impl Flavor {
    /// The four well-known servers, in probe order.
    pub const WELL_KNOWN: [Flavor; 4] = [
        Flavor::Ollama,
        Flavor::LmStudio,
        Flavor::Vllm,
        Flavor::LiteLlm,
    ];

    /// The name a local hit registers as: `ollama`, `lmstudio`, `vllm`, `litellm`,
    /// `openai-compatible`.
    pub fn name(self) -> &'static str {
        match self {
            Flavor::Ollama => "ollama",
            Flavor::LmStudio => "lmstudio",
            Flavor::Vllm => "vllm",
            Flavor::LiteLlm => "litellm",
            Flavor::OpenAiCompatible => "openai-compatible",
        }
    }

    /// The port the server listens on out of the box.
    pub fn default_port(self) -> Option<u16> {
        match self {
            Flavor::Ollama => Some(11434),
            Flavor::LmStudio => Some(1234),
            Flavor::Vllm => Some(8000),
            Flavor::LiteLlm => Some(4000),
            Flavor::OpenAiCompatible => None,
        }
    }

    /// The API family llmux talks to it with.
    pub fn kind(self) -> ProviderKind {
        match self {
            Flavor::Ollama => ProviderKind::Ollama,
            _ => ProviderKind::OpenAiCompatible,
        }
    }

    /// The provider base URL for a server at `host:port` (`/v1` for the OpenAI family).
    pub fn base_url(self, host: &str, port: u16) -> String {
        let host = if host.contains(':') {
            format!("[{host}]")
        } else {
            host.to_owned()
        };
        match self {
            Flavor::Ollama => format!("http://{host}:{port}"),
            _ => format!("http://{host}:{port}/v1"),
        }
    }
}

/// One host and port to probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Host as written (IPv6 without brackets).
    pub host: String,
    /// Port.
    pub port: u16,
    /// A local host (loopback or the Docker host gateway): hits get bare names.
    pub local: bool,
    /// The server its port is the well-known port of, if any (the signature still decides).
    pub expect: Option<Flavor>,
}

/// A server a probe found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hit {
    /// What answered.
    pub flavor: Flavor,
    /// Host as written.
    pub host: String,
    /// Port.
    pub port: u16,
    /// Found on a local host.
    pub local: bool,
    /// The models it lists.
    pub models: Vec<String>,
}

/// A target or host a scan did not register, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    /// `host` or `host:port`.
    pub target: String,
    /// Why: `unresolvable`, `llmux itself`, `connection refused`, `no answer within the timeout`...
    pub reason: String,
}

/// What one scan saw.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Scan {
    /// Servers found, in target order (local hosts first, then peers as listed).
    pub hits: Vec<Hit>,
    /// Fresh model lists of configured providers, by provider id (failed listings are absent).
    pub listed: BTreeMap<String, Vec<String>>,
    /// Targets not registered.
    pub skipped: Vec<Skipped>,
    /// How long the scan took.
    pub took: Duration,
}

/// One discovered provider as `POST /api/v1/discovery/scan` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FoundProvider {
    /// Provider id it registers as.
    pub name: String,
    /// Server kind (`ollama`, `lmstudio`, `vllm`, `litellm`, `openai-compatible`).
    pub kind: Flavor,
    /// Base URL.
    pub base_url: String,
    /// Models listed.
    pub models: Vec<String>,
}

/// A configured provider whose model list a scan refreshed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Refreshed {
    /// Provider id.
    pub name: String,
    /// Models it lists now.
    pub models: Vec<String>,
}

/// A scan as the admin API returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScanReport {
    /// Discovered providers.
    pub found: Vec<FoundProvider>,
    /// Configured providers whose model lists were read.
    pub refreshed: Vec<Refreshed>,
    /// Targets not registered, and why.
    pub skipped: Vec<Skipped>,
    /// Scan time in milliseconds.
    pub took_ms: u64,
}

#[cfg(test)]
mod tests;
