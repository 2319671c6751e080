//! Dependency protection: who still uses a provider, group or model, by config path.

use llmux_engine::config::{Config, ModelTarget};
use llmux_store::RegistryKind;

/// The objects that use `name` (`groups.pool`, `models.fast`, `default_model`,
/// `forwards.<name>`), in a stable order. Nothing refers to a forward.
pub(super) fn users(config: &Config, kind: RegistryKind, name: &str) -> Vec<String> {
    let mut out = Vec::new();
    match kind {
        RegistryKind::Provider => {
            let of_provider = |target: &str| uses_provider(config, target, name);
            for g in &config.groups {
                if g.members.iter().any(|m| of_provider(&m.target)) {
                    out.push(format!("groups.{}", g.name));
                }
            }
            for m in &config.models {
                let direct = matches!(&m.target, ModelTarget::Model(t) if of_provider(t));
                if direct || m.fallbacks.iter().any(|f| of_provider(f)) {
                    out.push(format!("models.{}", m.name));
                }
            }
            if config.default_model.as_deref().is_some_and(of_provider) {
                out.push("default_model".to_owned());
            }
        }
        RegistryKind::Group | RegistryKind::Model => {
            for m in &config.models {
                let direct = matches!(&m.target, ModelTarget::Group(g) if g == name);
                if m.name != name && (direct || m.fallbacks.iter().any(|f| f == name)) {
                    out.push(format!("models.{}", m.name));
                }
            }
            if kind == RegistryKind::Group {
                for fw in &config.server.forwards {
                    let routed = fw.routing.iter().any(|(_, g)| g == name);
                    if fw.default_group.as_deref() == Some(name) || routed {
                        out.push(format!("forwards.{}", fw.name));
                    }
                }
            }
            if config.default_model.as_deref() == Some(name) {
                out.push("default_model".to_owned());
            }
        }
        RegistryKind::Setting | RegistryKind::Forward => {}
    }
    out
}

/// Whether `target` (`provider/model`, or a bare model) is served by `provider`: by its
/// prefix, or as a bare model only that provider lists.
fn uses_provider(config: &Config, target: &str, provider: &str) -> bool {
    if let Some((prefix, _)) = target.split_once('/') {
        if config.provider(prefix).is_some() {
            return prefix == provider;
        }
    }
    let listing: Vec<&str> = config
        .providers
        .iter()
        .filter(|p| p.models.iter().any(|m| m == target))
        .map(|p| p.id.as_str())
        .collect();
    listing == [provider]
}
