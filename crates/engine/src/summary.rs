//! The start-up summary: where llmux listens (with each listener's rate limits and routing),
//! which providers it configured and from which source, its groups, and what is missing.
//! Never prints a secret: keys and Basic-auth passwords appear masked.

use std::fmt::Write;

use llmux_providers::AuthScheme;

use crate::config::{BucketSettings, Config, ForwardConfig, ProviderConfig};

/// Renders the summary printed once at start-up.
pub fn render(config: &Config) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "llmux {}", env!("CARGO_PKG_VERSION"));
    let server = &config.server;
    let _ = writeln!(
        s,
        "  data plane  http://{}  (OpenAI API under /v1 and /openai/v1)",
        server.listen
    );
    if let Some(limits) = listener_limits(server.rate_limit, server.total_rate_limit) {
        let _ = writeln!(s, "              limits: {limits}");
    }
    for f in &server.forwards {
        forward(&mut s, f);
    }
    let _ = writeln!(
        s,
        "  admin       http://{}  (/health, /ready, /metrics)",
        server.admin_listen
    );
    let _ = writeln!(s, "  data dir    {}", config.data_dir.display());
    match &config.file {
        Some(f) => {
            let _ = writeln!(s, "  config      {}", f.display());
        }
        None => {
            let _ = writeln!(
                s,
                "  config      none (embedded defaults; pass --config FILE or set LLMUX_CONFIG)"
            );
        }
    }
    if config.providers.is_empty() {
        let _ = writeln!(
            s,
            "  providers   none. Set a key such as OPENAI_API_KEY, declare LLMUX_ENDPOINT_<NAME>_URL, or add `providers:` to a config file."
        );
    } else {
        let _ = writeln!(s, "  providers   {}", config.providers.len());
        for p in &config.providers {
            let models = if p.models.is_empty() {
                "any model as id/<model>".to_owned()
            } else {
                format!(
                    "{} model{}",
                    p.models.len(),
                    if p.models.len() == 1 { "" } else { "s" }
                )
            };
            let _ = writeln!(
                s,
                "    - {:<12} {:<18} {}  [{}]  {}, {models}{}",
                p.id,
                p.kind.as_str(),
                p.base_url,
                p.source,
                credential(p),
                member_protection(p),
            );
        }
    }
    if !config.models.is_empty() {
        let names: Vec<&str> = config.models.iter().map(|m| m.name.as_str()).collect();
        let _ = writeln!(s, "  models      {}", names.join(", "));
    }
    for g in &config.groups {
        let members: Vec<&str> = g.members.iter().map(|m| m.target.as_str()).collect();
        let _ = writeln!(
            s,
            "  group       {} ({}): {}",
            g.name,
            g.strategy.as_str(),
            members.join(", ")
        );
    }
    if let Some(dm) = &config.default_model {
        let _ = writeln!(s, "  default     {dm}");
    }
    let unset: Vec<&str> = config
        .unset_presets
        .iter()
        .filter(|p| p.id != "azure")
        .map(|p| p.key_env[0])
        .collect();
    if !unset.is_empty() {
        let _ = writeln!(
            s,
            "  not set     {} (each enables its provider)",
            unset.join(", ")
        );
    }
    s
}

/// One forward: its address and what serves its requests, then its path rules and limits.
fn forward(s: &mut String, f: &ForwardConfig) {
    let serves = match &f.default_group {
        Some(g) => format!("default group {g}"),
        None => "the model name picks".to_owned(),
    };
    let _ = writeln!(s, "  forward     {}  http://{}  {serves}", f.name, f.listen);
    if !f.routing.is_empty() {
        let rules: Vec<String> = f
            .routing
            .iter()
            .map(|(path, group)| format!("{path} -> {group}"))
            .collect();
        let _ = writeln!(s, "              paths: {}", rules.join(", "));
    }
    if let Some(limits) = listener_limits(f.rate_limit, f.total_rate_limit) {
        let _ = writeln!(s, "              limits: {limits}");
    }
}

/// `10/s per client IP (burst 40), 500/s in total (burst 1000)`; `None` without limits.
fn listener_limits(
    per_ip: Option<BucketSettings>,
    total: Option<BucketSettings>,
) -> Option<String> {
    let parts: Vec<String> = [(per_ip, "per client IP"), (total, "in total")]
        .into_iter()
        .filter_map(|(bucket, scope)| {
            bucket.map(|b| format!("{}/s {scope} (burst {})", b.per_second, b.burst))
        })
        .collect();
    (!parts.is_empty()).then(|| parts.join(", "))
}

/// The credential, masked, with where it came from: `key sk-...abcd from env OPENAI_API_KEY`,
/// or for Basic auth the username and the masked password.
fn credential(p: &ProviderConfig) -> String {
    let origin = p
        .key_origin
        .as_deref()
        .map(|o| format!(" from {o}"))
        .unwrap_or_default();
    match (&p.auth, &p.api_key) {
        (AuthScheme::Basic(user), Some(password)) => {
            format!(
                "basic auth as {user}, password {}{origin}",
                password.masked()
            )
        }
        (_, Some(key)) => format!("key {}{origin}", key.masked()),
        (_, None) => "no key".to_owned(),
    }
}

/// What guards the provider's models as group members, when it differs from the default:
/// `, 500 rpm, 200000 tpm, breaker off`.
fn member_protection(p: &ProviderConfig) -> String {
    let mut out = String::new();
    if let Some(rpm) = p.rate_limit.rpm {
        let _ = write!(out, ", {rpm} rpm");
    }
    if let Some(tpm) = p.rate_limit.tpm {
        let _ = write!(out, ", {tpm} tpm");
    }
    if p.breaker.is_none() {
        out.push_str(", breaker off");
    }
    out
}

#[cfg(test)]
mod tests;
