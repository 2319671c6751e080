//! The IO of discovery: resolves the targets' hosts, probes every target and reads the model
//! lists of configured providers, all in parallel and all within one deadline.

use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;

use futures_util::future::join_all;
use llmux_providers::{AuthScheme, ProviderKind};
use tokio::time::{timeout_at, Instant};

use super::naming::{has_dynamic_models, is_own, plan};
use super::probe::{classify_models, classify_tags};
use super::{Flavor, Hit, Scan, Skipped, Target};
use crate::config::{Config, ProviderConfig};

/// The local hosts probed when `discovery.local_scan` is on.
pub const LOCAL_HOSTS: [&str; 2] = ["127.0.0.1", "host.docker.internal"];

/// Largest probe answer read; a model list is far smaller.
const MAX_BODY: usize = 8 << 20;

/// Runs scans. Shared by the start-up scan, the refresh timer and the admin API.
pub struct Scanner {
    /// Probes go straight to the host, never through an environment proxy.
    probe: reqwest::Client,
    /// Model lists of configured providers honour the environment's proxy settings.
    list: reqwest::Client,
    own: Vec<SocketAddr>,
    local_hosts: Vec<String>,
    /// Hosts already warned about as unresolvable (one warning per host per process).
    warned: Mutex<BTreeSet<String>>,
}

impl std::fmt::Debug for Scanner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scanner")
            .field("own", &self.own)
            .field("local_hosts", &self.local_hosts)
            .finish_non_exhaustive()
    }
}

impl Scanner {
    /// A scanner that never probes `own` (llmux's listeners, as bound) nor the forwards of
    /// the configuration it scans for.
    pub fn new(own: Vec<SocketAddr>) -> Result<Scanner, String> {
        let probe = reqwest::Client::builder()
            .no_proxy()
            .build()
            .map_err(|e| format!("cannot build the discovery HTTP client: {e}"))?;
        let list = reqwest::Client::builder()
            .build()
            .map_err(|e| format!("cannot build the discovery HTTP client: {e}"))?;
        Ok(Scanner {
            probe,
            list,
            own,
            local_hosts: LOCAL_HOSTS.iter().map(|h| (*h).to_owned()).collect(),
            warned: Mutex::new(BTreeSet::new()),
        })
    }

    /// Replaces the local hosts (tests point them at loopback only).
    pub fn with_local_hosts(mut self, hosts: Vec<String>) -> Scanner {
        self.local_hosts = hosts;
        self
    }

    /// Probes the targets of `config.discovery` and lists the models of `config`'s dynamic
    /// providers. Returns within `config.discovery.timeout` (plus scheduling).
    pub async fn scan(&self, config: &Config) -> Scan {
        let started = Instant::now();
        let deadline = started + config.discovery.timeout;
        let hosts: Vec<&str> = self.local_hosts.iter().map(String::as_str).collect();
        let targets = if config.discovery.scans() {
            plan(&config.discovery, &hosts)
        } else {
            Vec::new()
        };
        let dynamic: Vec<&ProviderConfig> = config
            .providers
            .iter()
            .filter(|p| has_dynamic_models(p))
            .collect();
        // Forwards can be made while llmux runs: their addresses (as bound) join the
        // listeners known at start-up.
        let mut own = self.own.clone();
        own.extend(config.server.forwards.iter().map(|f| f.listen));
        let probes = self.probe_all(&targets, &own, deadline);
        let lists = join_all(dynamic.iter().map(|p| async move {
            let models = timeout_at(deadline, self.list_models(p)).await;
            (p.id.clone(), models.ok().flatten())
        }));
        let ((hits, skipped), lists) = tokio::join!(probes, lists);
        let listed: BTreeMap<String, Vec<String>> = lists
            .into_iter()
            .filter_map(|(id, models)| Some((id, models?)))
            .collect();
        Scan {
            hits,
            listed,
            skipped,
            took: started.elapsed(),
        }
    }

    async fn probe_all(
        &self,
        targets: &[Target],
        own: &[SocketAddr],
        deadline: Instant,
    ) -> (Vec<Hit>, Vec<Skipped>) {
        let mut hosts: Vec<&str> = Vec::new();
        for t in targets {
            if !hosts.contains(&t.host.as_str()) {
                hosts.push(&t.host);
            }
        }
        let resolved = join_all(hosts.iter().map(|h| self.resolve(h, deadline))).await;
        let ip_of: BTreeMap<&str, Option<IpAddr>> = hosts.iter().copied().zip(resolved).collect();
        let mut skipped = Vec::new();
        let mut seen: BTreeSet<SocketAddr> = BTreeSet::new();
        let mut jobs = Vec::new();
        for host in &hosts {
            if ip_of.get(host).copied().flatten().is_none() {
                skipped.push(Skipped {
                    target: (*host).to_owned(),
                    reason: "unresolvable".to_owned(),
                });
            }
        }
        for t in targets {
            let Some(ip) = ip_of.get(t.host.as_str()).copied().flatten() else {
                continue;
            };
            let addr = SocketAddr::new(ip, t.port);
            if is_own(addr, own) {
                skipped.push(Skipped {
                    target: target_name(t),
                    reason: "llmux itself".to_owned(),
                });
            } else if seen.insert(addr) {
                // The same address under two names (e.g. a peer that is 127.0.0.1) is probed once.
                jobs.push((t, addr));
            }
        }
        let results = join_all(jobs.iter().map(|(t, addr)| async move {
            timeout_at(deadline, self.probe_one(t, *addr))
                .await
                .unwrap_or_else(|_| Err("no answer within the timeout".to_owned()))
        }))
        .await;
        let mut hits = Vec::new();
        for ((t, _), result) in jobs.iter().zip(results) {
            match result {
                Ok(hit) => hits.push(hit),
                Err(reason) => skipped.push(Skipped {
                    target: target_name(t),
                    reason,
                }),
            }
        }
        (hits, skipped)
    }

    /// The host's address (IPv4 first), or `None` with one warning per peer host.
    async fn resolve(&self, host: &str, deadline: Instant) -> Option<IpAddr> {
        if let Ok(ip) = host.parse::<IpAddr>() {
            return Some(ip);
        }
        let found = timeout_at(deadline, tokio::net::lookup_host((host, 0))).await;
        let addrs: Vec<SocketAddr> = match found {
            Ok(Ok(addrs)) => addrs.collect(),
            _ => Vec::new(),
        };
        let ip = addrs
            .iter()
            .find(|a| a.is_ipv4())
            .or(addrs.first())
            .map(SocketAddr::ip);
        if ip.is_none() {
            let first = self
                .warned
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(host.to_owned());
            if first && !self.local_hosts.iter().any(|h| h == host) {
                tracing::warn!(target: "llmux", host, "discovery: cannot resolve the peer; skipping it");
            } else if first {
                tracing::debug!(target: "llmux", host, "discovery: local host not resolvable; skipping it");
            }
        }
        ip
    }

    /// Ollama's signature first (`/api/tags`), then the OpenAI one (`/v1/models`).
    async fn probe_one(&self, t: &Target, addr: SocketAddr) -> Result<Hit, String> {
        let base = format!("http://{addr}");
        let hit = |flavor, models| Hit {
            flavor,
            host: t.host.clone(),
            port: t.port,
            local: t.local,
            models,
        };
        let tags = get(self.probe.get(format!("{base}/api/tags"))).await?;
        if let (200, Some(models)) = (tags.0, classify_tags(&tags.1)) {
            return Ok(hit(Flavor::Ollama, models));
        }
        let (status, body) = get(self.probe.get(format!("{base}/v1/models"))).await?;
        match (status, classify_models(&body, t.expect)) {
            (200, Some((flavor, models))) => Ok(hit(flavor, models)),
            (200, None) => Err("answers, but not as Ollama or an OpenAI model list".to_owned()),
            (s, _) => Err(format!("no known signature (HTTP {s})")),
        }
    }

    /// A configured provider's models as its server lists them now; `None` when it cannot say.
    async fn list_models(&self, p: &ProviderConfig) -> Option<Vec<String>> {
        let ollama = p.kind == ProviderKind::Ollama;
        let url = if ollama {
            format!("{}/api/tags", p.base_url)
        } else {
            format!("{}/models", p.base_url)
        };
        let mut req = self.list.get(url);
        for (name, value) in &p.headers {
            req = req.header(name.as_str(), value.as_str());
        }
        if let Some(key) = &p.api_key {
            req = match &p.auth {
                AuthScheme::Bearer => req.bearer_auth(key.expose()),
                AuthScheme::Header(name) => req.header(name.as_str(), key.expose()),
                AuthScheme::Basic(user) => req.basic_auth(user, Some(key.expose())),
                AuthScheme::None => req,
            };
        }
        let (status, body) = get(req).await.ok()?;
        if status != 200 {
            return None;
        }
        if ollama {
            classify_tags(&body)
        } else {
            classify_models(&body, None).map(|(_, models)| models)
        }
    }
}

fn target_name(t: &Target) -> String {
    if t.host.contains(':') {
        format!("[{}]:{}", t.host, t.port)
    } else {
        format!("{}:{}", t.host, t.port)
    }
}

/// Sends the request and reads at most [`MAX_BODY`] bytes of the answer.
async fn get(req: reqwest::RequestBuilder) -> Result<(u16, Vec<u8>), String> {
    let mut resp = req.send().await.map_err(|e| {
        if e.is_connect() {
            "connection refused".to_owned()
        } else {
            format!("request failed: {e}")
        }
    })?;
    let status = resp.status().as_u16();
    let mut body = Vec::new();
    while let Some(chunk) = resp
        .chunk()
        .await
        .map_err(|e| format!("answer cut short: {e}"))?
    {
        if body.len() + chunk.len() > MAX_BODY {
            return Err("answer too large for a model list".to_owned());
        }
        body.extend_from_slice(&chunk);
    }
    Ok((status, body))
}
