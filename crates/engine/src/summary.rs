//! The start-up summary: where llmux listens, which providers it configured and from which
//! source, and what is missing. Never prints a secret.

use std::fmt::Write;

use crate::config::Config;

/// Renders the summary printed once at start-up.
pub fn render(config: &Config) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "llmux {}", env!("CARGO_PKG_VERSION"));
    let _ = writeln!(
        s,
        "  data plane  http://{}  (OpenAI API under /v1 and /openai/v1)",
        config.server.listen
    );
    let _ = writeln!(
        s,
        "  admin       http://{}  (/health, /ready, /metrics)",
        config.server.admin_listen
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
            let key = match (&p.api_key, &p.key_origin) {
                (Some(k), Some(origin)) => format!("key {} from {origin}", k.masked()),
                (Some(k), None) => format!("key {}", k.masked()),
                _ => "no key".to_owned(),
            };
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
                "    - {:<12} {:<18} {}  [{}]  {key}, {models}",
                p.id,
                p.kind.as_str(),
                p.base_url,
                p.source
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Env;

    #[test]
    fn names_sources_and_masks_keys() {
        let env = Env::from_pairs([
            ("OPENAI_API_KEY", "sk-proj-0123456789abcdef"),
            ("LLMUX_ENDPOINT_LOCAL_URL", "http://127.0.0.1:8000/v1"),
        ]);
        let config = Config::load(None, &env).unwrap();
        let text = render(&config);
        assert!(text.contains("http://127.0.0.1:8080"), "{text}");
        assert!(
            text.contains("openai") && text.contains("preset, key from OPENAI_API_KEY"),
            "{text}"
        );
        assert!(text.contains("sk-...cdef"), "{text}");
        assert!(!text.contains("0123456789"), "secret leaked: {text}");
        assert!(
            text.contains("local") && text.contains("env LLMUX_ENDPOINT_*"),
            "{text}"
        );
        assert!(
            text.contains("not set") && text.contains("ANTHROPIC_API_KEY"),
            "{text}"
        );
    }

    #[test]
    fn empty_config_says_what_is_missing() {
        let text = render(&Config::load(None, &Env::default()).unwrap());
        assert!(text.contains("providers   none"), "{text}");
    }
}
