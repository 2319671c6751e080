//! The pure parts of discovery: which targets a configuration probes, which of them are llmux
//! itself, what each hit is called, and how a scan merges into a configuration.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;

use llmux_providers::{AuthScheme, ProviderKind, Quirks};

use super::{FoundProvider, Hit, Refreshed, Scan, ScanReport, Target};
use crate::config::{
    BreakerSettings, Config, DiscoveryConfig, HttpSettings, MemberLimit, ProviderConfig, Source,
};

/// The targets of a scan: every well-known port of each local host (when `local_scan`) and of
/// each bare peer, and the one port of each `host:port` peer. Duplicates are dropped.
pub fn plan(config: &DiscoveryConfig, local_hosts: &[&str]) -> Vec<Target> {
    let mut out: Vec<Target> = Vec::new();
    let flavor_of = |port: u16| {
        config
            .ports
            .iter()
            .find(|(_, p)| *p == port)
            .map(|(f, _)| *f)
    };
    let mut push = |host: &str, port: Option<u16>, local: bool| {
        let ports: Vec<u16> = match port {
            Some(p) => vec![p],
            None => config.ports.iter().map(|(_, p)| *p).collect(),
        };
        for port in ports {
            if !out.iter().any(|t| t.host == host && t.port == port) {
                out.push(Target {
                    host: host.to_owned(),
                    port,
                    local,
                    expect: flavor_of(port),
                });
            }
        }
    };
    if config.local_scan {
        for host in local_hosts {
            push(host, None, true);
        }
    }
    for peer in &config.peers {
        push(&peer.host, peer.port, false);
    }
    out
}

/// `100.98.112.23` → `100-98-112-23`, `nas.lan` → `nas-lan`: every character that is not a
/// lowercase letter or digit becomes `-`, runs collapse, ends are trimmed.
pub fn host_dashes(host: &str) -> String {
    let mut out = String::with_capacity(host.len());
    for c in host.chars().map(|c| c.to_ascii_lowercase()) {
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_owned()
}

/// Whether `addr` is one of llmux's own listeners: the same address, or the same port of a
/// loopback address when a listener is bound to every interface.
pub fn is_own(addr: SocketAddr, own: &[SocketAddr]) -> bool {
    own.iter().any(|o| {
        o.port() == addr.port()
            && (o.ip() == addr.ip() || (o.ip().is_unspecified() && addr.ip().is_loopback()))
    })
}

/// The provider id of each hit, in order. A local hit prefers its bare flavor name (`ollama`),
/// a remote one `<flavor>-<host-with-dashes>`; a name already taken (by `taken` or an earlier
/// hit) gets `-auto`, then `-<port>`, then a number.
pub fn name_hits<'a>(hits: &[Hit], taken: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut used: BTreeSet<String> = taken.into_iter().map(str::to_owned).collect();
    let mut out = Vec::with_capacity(hits.len());
    for hit in hits {
        let preferred = if hit.local {
            hit.flavor.name().to_owned()
        } else {
            format!("{}-{}", hit.flavor.name(), host_dashes(&hit.host))
        };
        let candidates = [
            preferred.clone(),
            format!("{preferred}-auto"),
            format!("{preferred}-{}", hit.port),
        ];
        let name = candidates
            .into_iter()
            .find(|c| !used.contains(c))
            .unwrap_or_else(|| {
                (2u32..)
                    .map(|n| format!("{preferred}-{}-{n}", hit.port))
                    .find(|c| !used.contains(c))
                    .unwrap_or(preferred)
            });
        used.insert(name.clone());
        out.push(name);
    }
    out
}

/// Whether a configured provider's model list is read from the server: an Ollama or plain
/// OpenAI-compatible provider (no preset) declared without models.
pub fn has_dynamic_models(p: &ProviderConfig) -> bool {
    matches!(
        p.kind,
        ProviderKind::Ollama | ProviderKind::OpenAiCompatible
    ) && p.preset.is_none()
        && p.models.is_empty()
        && p.source != Source::Discovered
}

/// Merges a scan into a configuration built from the file and the environment: configured
/// providers with dynamic models get the listed models, and every hit becomes a provider with
/// source `discovered`, named so it never replaces a configured one.
pub fn apply(config: &mut Config, scan: &Scan) {
    for p in config
        .providers
        .iter_mut()
        .filter(|p| has_dynamic_models(p))
    {
        if let Some(models) = scan.listed.get(&p.id) {
            p.models = models.clone();
        }
    }
    let names = name_hits(&scan.hits, config.providers.iter().map(|p| p.id.as_str()));
    let timeouts = config.server.timeouts;
    for (hit, id) in scan.hits.iter().zip(names) {
        config.providers.push(ProviderConfig {
            id,
            kind: hit.flavor.kind(),
            preset: None,
            base_url: hit.flavor.base_url(&hit.host, hit.port),
            api_key: None,
            key_origin: None,
            auth: AuthScheme::None,
            models: hit.models.clone(),
            headers: Vec::new(),
            header_ops: Vec::new(),
            http: HttpSettings::default(),
            timeouts,
            quirks: Quirks::COMPATIBLE,
            source: Source::Discovered,
            api_version: None,
            deployments: BTreeMap::new(),
            breaker: Some(BreakerSettings::default()),
            rate_limit: MemberLimit::default(),
        });
    }
}

/// The admin API's view of a scan, with the names the hits get next to `config`'s providers.
pub fn report(config: &Config, scan: &Scan) -> ScanReport {
    let names = name_hits(&scan.hits, config.providers.iter().map(|p| p.id.as_str()));
    ScanReport {
        found: scan
            .hits
            .iter()
            .zip(names)
            .map(|(hit, name)| FoundProvider {
                name,
                kind: hit.flavor,
                base_url: hit.flavor.base_url(&hit.host, hit.port),
                models: hit.models.clone(),
            })
            .collect(),
        refreshed: scan
            .listed
            .iter()
            .map(|(name, models)| Refreshed {
                name: name.clone(),
                models: models.clone(),
            })
            .collect(),
        skipped: scan.skipped.clone(),
        took_ms: u64::try_from(scan.took.as_millis()).unwrap_or(u64::MAX),
    }
}

/// The ids, kinds, URLs and models of the discovered and dynamic providers: two merged
/// configurations with the same key serve the same models from the same places.
pub fn merged_key(config: &Config) -> Vec<(String, String, Vec<String>)> {
    config
        .providers
        .iter()
        .map(|p| (p.id.clone(), p.base_url.clone(), p.models.clone()))
        .collect()
}
