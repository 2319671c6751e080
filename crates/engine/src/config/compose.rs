//! Composition of the runtime configuration from its sources: file < env < admin API
//! registry. API objects are written into the raw document under `providers` / `models` /
//! `groups`, API forwards into the `server.forwards` list (by name), and the settings at
//! their paths, before validation, so an API object gets exactly the file's checks and
//! messages (`providers.x.base_url`; an API forward's errors read `forwards.<name>...`).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use super::env::{self, Env};
use super::{Config, Source};

/// The settings the admin API may set, by their path in the config file.
pub const SETTINGS: [&str; 7] = [
    "default_model",
    "server.rate_limit",
    "server.total_rate_limit",
    "usage.default_tag",
    "usage.enabled",
    "usage.retention_days",
    "usage.reverse_dns",
];

/// Objects made through the admin API, each body in the config file's shape.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ApiObjects {
    /// `providers.<id>` entries.
    pub providers: BTreeMap<String, Value>,
    /// `models.<name>` entries (an alias string or a profile mapping).
    pub models: BTreeMap<String, Value>,
    /// `groups.<name>` entries.
    pub groups: BTreeMap<String, Value>,
    /// `server.forwards[]` entries by name (the body without its `name`).
    pub forwards: BTreeMap<String, Value>,
    /// Settings by path (one of [`SETTINGS`]).
    pub settings: BTreeMap<String, Value>,
}

impl ApiObjects {
    /// The objects of one section (`providers`, `models`, `groups` or `forwards`).
    pub fn section(&self, section: &str) -> Option<&BTreeMap<String, Value>> {
        match section {
            "providers" => Some(&self.providers),
            "models" => Some(&self.models),
            "groups" => Some(&self.groups),
            "forwards" => Some(&self.forwards),
            _ => None,
        }
    }

    fn section_mut(&mut self, section: &str) -> Option<&mut BTreeMap<String, Value>> {
        match section {
            "providers" => Some(&mut self.providers),
            "models" => Some(&mut self.models),
            "groups" => Some(&mut self.groups),
            "forwards" => Some(&mut self.forwards),
            _ => None,
        }
    }

    /// Every object's and setting's path (`providers.x`, `forwards.f`, `usage.enabled`),
    /// in dependency order: providers, groups, models, forwards, settings.
    pub fn paths(&self) -> Vec<String> {
        let mut out = Vec::new();
        for section in SECTIONS {
            if let Some(objects) = self.section(section) {
                out.extend(objects.keys().map(|name| format!("{section}.{name}")));
            }
        }
        out.extend(self.settings.keys().cloned());
        out
    }

    /// Only the objects and settings whose path is in `paths`.
    pub fn only(&self, paths: &BTreeSet<String>) -> ApiObjects {
        let mut out = ApiObjects::default();
        for section in SECTIONS {
            let (Some(from), Some(to)) = (self.section(section), out.section_mut(section)) else {
                continue;
            };
            for (name, body) in from {
                if paths.contains(&format!("{section}.{name}")) {
                    to.insert(name.clone(), body.clone());
                }
            }
        }
        for (path, value) in &self.settings {
            if paths.contains(path) {
                out.settings.insert(path.clone(), value.clone());
            }
        }
        out
    }
}

/// The object sections, in dependency order.
const SECTIONS: [&str; 4] = ["providers", "groups", "models", "forwards"];

/// What the composition did with the API objects, by path (`providers.x`, `usage.enabled`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Composition {
    /// Whether API objects may replace the file's and the environment's
    /// (`admin.allow_file_overrides`).
    pub allow_file_overrides: bool,
    /// Every API object and setting in effect.
    pub api: BTreeSet<String>,
    /// API objects in effect that replaced a file or environment object of the same name.
    pub overrides: BTreeSet<String>,
    /// API objects left out because the file or environment now declares the same name and
    /// overrides are off (the file wins; the API object stays stored).
    pub shadowed: BTreeSet<String>,
    /// API objects left out because they no longer validate with the file as it is now
    /// (see [`super::compose_skipping`]), each with the errors it had; they stay stored
    /// until fixed or deleted through the API.
    pub skipped: BTreeMap<String, Vec<String>>,
    /// API forwards by their index in `server.forwards`, so that an error there reads
    /// `forwards.<name>...` rather than an index the API user never saw.
    pub forward_slots: BTreeMap<usize, String>,
}

impl Composition {
    /// Whether the object at `path` (`models.fast`) came from the API.
    pub fn is_api(&self, path: &str) -> bool {
        self.api.contains(path)
    }

    /// An error path as the API user knows it: `server.forwards[3].routing` becomes
    /// `forwards.edge.routing` when the fourth forward came from the API.
    pub(super) fn api_path(&self, path: &str) -> Option<String> {
        let rest = path.strip_prefix("server.forwards[")?;
        let (index, rest) = rest.split_once(']')?;
        let name = self.forward_slots.get(&index.parse::<usize>().ok()?)?;
        Some(format!("forwards.{name}{rest}"))
    }
}

/// Whether the file document allows API objects to replace its own.
fn allow_overrides(doc: &Value) -> bool {
    doc.pointer("/admin/allow_file_overrides")
        .and_then(Value::as_bool)
        .unwrap_or(false)
}

/// Writes the API objects into `doc` (the file after `${VAR}` substitution, so API values
/// are taken literally) and says where each went.
pub(super) fn insert(doc: &mut Value, api: &ApiObjects, env: &Env) -> Composition {
    let mut out = Composition {
        allow_file_overrides: allow_overrides(doc),
        ..Composition::default()
    };
    if doc.is_null() {
        *doc = Value::Object(Map::new());
    }
    let Value::Object(root) = doc else {
        return out; // The file's own error says the document is not a mapping.
    };
    let env_ids: BTreeSet<String> = env::endpoints(env)
        .map(|eps| eps.into_iter().map(|e| e.id).collect())
        .unwrap_or_default();
    insert_forwards(root, &api.forwards, &mut out);
    for section in ["providers", "models", "groups"] {
        let Some(objects) = api.section(section) else {
            continue;
        };
        if objects.is_empty() {
            continue;
        }
        let Value::Object(map) = child(root, section, new_map) else {
            continue; // Reported by validation as "expected a mapping".
        };
        for (name, body) in objects {
            let path = format!("{section}.{name}");
            let taken =
                map.contains_key(name) || (section == "providers" && env_ids.contains(name));
            if taken && !out.allow_file_overrides {
                out.shadowed.insert(path);
                continue;
            }
            if taken {
                out.overrides.insert(path.clone());
            }
            map.insert(name.clone(), body.clone());
            out.api.insert(path);
        }
    }
    for (path, value) in &api.settings {
        match path.split_once('.') {
            None => {
                root.insert(path.clone(), value.clone());
            }
            Some((section, key)) => {
                if let Value::Object(map) = child(root, section, new_map) {
                    map.insert(key.to_owned(), value.clone());
                }
            }
        }
        out.api.insert(path.clone());
    }
    out
}

fn new_map() -> Value {
    Value::Object(Map::new())
}

/// `parent[key]`, set to `empty()` when absent or `null` (a YAML key with nothing under it).
fn child<'a>(parent: &'a mut Map<String, Value>, key: &str, empty: fn() -> Value) -> &'a mut Value {
    let value = parent.entry(key).or_insert(Value::Null);
    if value.is_null() {
        *value = empty();
    }
    value
}

/// Writes the API forwards into `server.forwards`: replacing the file's entry of the same
/// name when overrides are on, appended otherwise.
fn insert_forwards(
    root: &mut Map<String, Value>,
    forwards: &BTreeMap<String, Value>,
    out: &mut Composition,
) {
    if forwards.is_empty() {
        return;
    }
    let Value::Object(server) = child(root, "server", new_map) else {
        return; // Reported by validation as "expected a mapping".
    };
    let Value::Array(list) = child(server, "forwards", || Value::Array(Vec::new())) else {
        return; // Reported by validation.
    };
    for (name, body) in forwards {
        let path = format!("forwards.{name}");
        let mut entry = body.clone();
        if let Value::Object(m) = &mut entry {
            m.insert("name".to_owned(), Value::String(name.clone()));
        }
        let taken = list
            .iter()
            .position(|f| f.get("name").and_then(Value::as_str) == Some(name.as_str()));
        let slot = match taken {
            Some(_) if !out.allow_file_overrides => {
                out.shadowed.insert(path);
                continue;
            }
            Some(i) => {
                out.overrides.insert(path.clone());
                list[i] = entry;
                i
            }
            None => {
                list.push(entry);
                list.len() - 1
            }
        };
        out.forward_slots.insert(slot, name.clone());
        out.api.insert(path);
    }
}

/// The provider ids the API supplies: an env endpoint of the same id gives way to them.
pub(super) fn api_provider_ids(c: &Composition) -> BTreeSet<String> {
    c.api
        .iter()
        .filter_map(|p| p.strip_prefix("providers."))
        .map(str::to_owned)
        .collect()
}

/// Marks each object's source once the configuration is built.
pub(super) fn mark_sources(config: &mut Config) {
    let c = &config.composition;
    for p in &mut config.providers {
        if c.is_api(&format!("providers.{}", p.id)) {
            p.source = Source::Api;
        }
    }
    for m in &mut config.models {
        if c.is_api(&format!("models.{}", m.name)) {
            m.source = Source::Api;
        }
    }
    for g in &mut config.groups {
        if c.is_api(&format!("groups.{}", g.name)) {
            g.source = Source::Api;
        }
    }
    for f in &mut config.server.forwards {
        if c.is_api(&format!("forwards.{}", f.name)) {
            f.source = Source::Api;
        }
    }
}

/// Whether `path` (an error's) lies in the API object or setting `object`.
pub(super) fn within(path: &str, object: &str) -> bool {
    path == object
        || path
            .strip_prefix(object)
            .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
}

#[cfg(test)]
mod tests;
