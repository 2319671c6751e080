//! `discovery:` section: which local servers and peers llmux probes for OpenAI-compatible
//! and Ollama endpoints, how long a probe may take and how often the scan repeats; the
//! environment (`LLMUX_LOCAL_DISCOVERY`, `LLMUX_DISCOVERY_PEERS`) wins over the file.

use std::time::Duration;

use schemars::JsonSchema;
use serde::Deserialize;

use super::env::Env;
use super::raw::Human;
use super::units::parse_duration;
use super::validate::Errors;
use crate::discovery::Flavor;

/// Longest a scan may take when the file does not say.
pub const DEFAULT_DISCOVERY_TIMEOUT: Duration = Duration::from_millis(500);
/// Time between two scans when the file does not say.
pub const DEFAULT_DISCOVERY_REFRESH: Duration = Duration::from_secs(60);

/// `discovery:` as written.
#[derive(Debug, Default, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawDiscovery {
    /// Probe 127.0.0.1 and host.docker.internal (default `true`; env `LLMUX_LOCAL_DISCOVERY=0`
    /// switches it off).
    pub local_scan: Option<bool>,
    /// Further hosts to probe: `host` (every well-known port) or `host:port` (that port, every
    /// signature). Env `LLMUX_DISCOVERY_PEERS` (comma-separated) replaces this list.
    pub peers: Option<Vec<String>>,
    /// Longest a whole scan may take, name resolution included (default `500ms`).
    pub timeout: Option<Human>,
    /// Time between scans, which also refresh the model lists (default `60s`; `0` scans only at
    /// start-up and on demand).
    pub refresh: Option<Human>,
    /// The well-known ports, when a server listens elsewhere (default ollama 11434, lmstudio
    /// 1234, vllm 8000, litellm 4000).
    pub ports: Option<RawPorts>,
}

/// `discovery.ports` as written.
#[derive(Debug, Default, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawPorts {
    /// Ollama (default 11434).
    pub ollama: Option<u16>,
    /// LM Studio (default 1234).
    pub lmstudio: Option<u16>,
    /// vLLM (default 8000).
    pub vllm: Option<u16>,
    /// LiteLLM (default 4000).
    pub litellm: Option<u16>,
}

/// One peer to probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Peer {
    /// Host name or IP address as written (IPv6 without brackets).
    pub host: String,
    /// The one port to probe; `None` probes every well-known port.
    pub port: Option<u16>,
}

/// The validated `discovery:` settings.
#[derive(Debug, Clone, PartialEq)]
pub struct DiscoveryConfig {
    /// Whether 127.0.0.1 and host.docker.internal are probed.
    pub local_scan: bool,
    /// Further hosts, in the order given.
    pub peers: Vec<Peer>,
    /// Longest a scan may take.
    pub timeout: Duration,
    /// Time between scans; zero means no periodic scan.
    pub refresh: Duration,
    /// `(flavor, port)` of each well-known server, in probe order.
    pub ports: Vec<(Flavor, u16)>,
}

impl Default for DiscoveryConfig {
    fn default() -> Self {
        DiscoveryConfig {
            local_scan: true,
            peers: Vec::new(),
            timeout: DEFAULT_DISCOVERY_TIMEOUT,
            refresh: DEFAULT_DISCOVERY_REFRESH,
            ports: Flavor::WELL_KNOWN
                .iter()
                .map(|f| (*f, f.default_port().unwrap_or(0)))
                .collect(),
        }
    }
}

impl DiscoveryConfig {
    /// Whether a scan probes anything at all.
    pub fn scans(&self) -> bool {
        self.local_scan || !self.peers.is_empty()
    }
}

/// Parses one peer: `host`, `host:port`, `[v6]`, `[v6]:port` or a bare IPv6 address.
pub fn parse_peer(s: &str) -> Result<Peer, String> {
    let s = s.trim();
    let bad = |why: &str| Err(format!("peer `{s}`: {why}; write `host` or `host:port`"));
    let (host, port) = if let Some(rest) = s.strip_prefix('[') {
        let Some((host, after)) = rest.split_once(']') else {
            return bad("missing `]`");
        };
        match after {
            "" => (host, None),
            _ => match after.strip_prefix(':') {
                Some(p) => (host, Some(p)),
                None => return bad("unexpected text after `]`"),
            },
        }
    } else if s.matches(':').count() == 1 {
        let (h, p) = s.split_once(':').unwrap_or((s, ""));
        (h, Some(p))
    } else {
        (s, None)
    };
    if host.is_empty() {
        return bad("the host is empty");
    }
    let host_ok = host
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ':'));
    if !host_ok {
        return bad("the host has characters a host name or IP address cannot have");
    }
    let port = match port {
        None => None,
        Some(p) => match p.parse::<u16>() {
            Ok(n) if n > 0 => Some(n),
            _ => return bad("the port must be a number from 1 to 65535"),
        },
    };
    Ok(Peer {
        host: host.to_ascii_lowercase(),
        port,
    })
}

/// Validates `discovery:` and applies the environment over it.
pub(super) fn discovery(raw: RawDiscovery, env: &Env, errors: &mut Errors<'_>) -> DiscoveryConfig {
    let mut config = DiscoveryConfig {
        local_scan: raw.local_scan.unwrap_or(true),
        ..DiscoveryConfig::default()
    };
    let local_var = ["LLMUX_LOCAL_DISCOVERY", "LLM_PROXY_LOCAL_DISCOVERY"]
        .into_iter()
        .find_map(|v| env.get(v).map(|value| (v, value)));
    if let Some((var, value)) = local_var {
        match value.trim().to_ascii_lowercase().as_str() {
            "0" | "false" | "off" | "no" => config.local_scan = false,
            "1" | "true" | "on" | "yes" => config.local_scan = true,
            _ => errors.env(var, format!("`{value}` is not a switch; use 0 or 1")),
        }
    }
    let env_peers = ["LLMUX_DISCOVERY_PEERS", "LLM_PROXY_DISCOVERY_PEERS"]
        .into_iter()
        .find_map(|v| env.get(v).map(|value| (v, value)));
    match env_peers {
        Some((var, list)) => {
            for item in list.split(',').filter(|p| !p.trim().is_empty()) {
                match parse_peer(item) {
                    Ok(p) => config.peers.push(p),
                    Err(e) => errors.env(var, e),
                }
            }
        }
        None => {
            for (i, item) in raw.peers.unwrap_or_default().iter().enumerate() {
                match parse_peer(item) {
                    Ok(p) => config.peers.push(p),
                    Err(e) => errors.at(&format!("discovery.peers[{i}]"), e),
                }
            }
        }
    }
    let mut duration = |v: Option<Human>, name: &str, dflt: Duration| match v {
        None => dflt,
        Some(h) => parse_duration(&h.as_text()).unwrap_or_else(|e| {
            errors.at(&format!("discovery.{name}"), e);
            dflt
        }),
    };
    config.timeout = duration(raw.timeout, "timeout", DEFAULT_DISCOVERY_TIMEOUT);
    config.refresh = duration(raw.refresh, "refresh", DEFAULT_DISCOVERY_REFRESH);
    if config.timeout.is_zero() {
        errors.at(
            "discovery.timeout",
            "a probe needs some time; give e.g. `500ms`",
        );
        config.timeout = DEFAULT_DISCOVERY_TIMEOUT;
    }
    if let Some(ports) = raw.ports {
        let given = [
            (Flavor::Ollama, ports.ollama),
            (Flavor::LmStudio, ports.lmstudio),
            (Flavor::Vllm, ports.vllm),
            (Flavor::LiteLlm, ports.litellm),
        ];
        for (flavor, port) in given {
            match port {
                Some(0) => errors.at(
                    &format!("discovery.ports.{}", flavor.name()),
                    "the port must be from 1 to 65535",
                ),
                Some(p) => {
                    for entry in config.ports.iter_mut().filter(|(f, _)| *f == flavor) {
                        entry.1 = p;
                    }
                }
                None => {}
            }
        }
    }
    config
}
