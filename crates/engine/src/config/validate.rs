//! Raw file + environment → validated [`Config`], collecting every error with its path.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::env::{substitute, Env};
use super::errors::{did_you_mean, ConfigError, ConfigErrors};
use super::raw::{
    kind_of, Human, RawConfig, RawGroup, RawModel, RawProfile, RawProvider, RawServer, RawTimeouts,
};
use super::units::{parse_duration, parse_size};
use super::yaml::{self, YamlDoc};
use super::{sources, Config, ModelConfig, ModelTarget, ServerConfig, Timeouts};
use super::{DEFAULT_ADMIN_LISTEN, DEFAULT_BODY_LIMIT, DEFAULT_LISTEN};

const TOP_KEYS: [&str; 12] = [
    "admin",
    "server",
    "data_dir",
    "default_model",
    "providers",
    "models",
    "groups",
    "usage",
    "auth",
    "journal",
    "pricing",
    "discovery",
];

/// Collects errors, attaching file lines to paths.
pub(super) struct Errors<'a> {
    doc: Option<&'a YamlDoc>,
    /// Paths of the admin API's objects: errors inside them carry no file line.
    api: Option<&'a super::Composition>,
    pub(super) list: Vec<ConfigError>,
}

impl Errors<'_> {
    /// Records a problem at `path` (a file path, or an environment variable name).
    pub(super) fn at(&mut self, path: &str, message: impl Into<String>) {
        let renamed = self.api.and_then(|c| c.api_path(path));
        let path = renamed.as_deref().unwrap_or(path);
        let from_api = self
            .api
            .is_some_and(|c| c.api.iter().any(|o| super::compose::within(path, o)));
        let line = self.doc.filter(|_| !from_api).and_then(|d| d.line_of(path));
        self.list.push(ConfigError {
            path: path.to_owned(),
            line,
            message: message.into(),
        });
    }

    /// Records a problem that is not in the file (environment).
    pub(super) fn env(&mut self, path: &str, message: impl Into<String>) {
        self.list.push(ConfigError {
            path: path.to_owned(),
            line: None,
            message: message.into(),
        });
    }
}

pub(super) fn load(
    file: Option<(&str, &str)>,
    env: &Env,
    api: &super::ApiObjects,
) -> Result<Config, ConfigErrors> {
    let file_name = file.map(|(name, _)| name.to_owned());
    let fail = |errors: Vec<ConfigError>| ConfigErrors {
        file: file_name.clone(),
        errors,
    };
    let doc = match file {
        Some((_, text)) => yaml::parse(text).map_err(|e| {
            fail(vec![ConfigError {
                path: String::new(),
                line: Some(e.line),
                message: format!("YAML syntax error: {} (column {})", e.message, e.column),
            }])
        })?,
        None => YamlDoc::default(),
    };
    let mut value = doc.value.clone();
    let mut list = Vec::new();
    {
        let mut errors = Errors {
            doc: Some(&doc),
            api: None,
            list: Vec::new(),
        };
        substitute_all(&mut value, "", env, &mut errors);
        list.append(&mut errors.list);
    }
    let composition = super::compose::insert(&mut value, api, env);
    let mut errors = Errors {
        doc: Some(&doc),
        api: Some(&composition),
        list,
    };
    let raw = read_raw(&value, &mut errors);
    let mut composition = composition.clone();
    composition.allow_file_overrides = raw.admin.allow_file_overrides.unwrap_or(false);
    let api_ids = super::compose::api_provider_ids(&composition);
    let mut config = build(raw, env, &api_ids, &mut errors);
    config.composition = composition;
    super::compose::mark_sources(&mut config);
    if errors.list.is_empty() {
        Ok(config)
    } else {
        errors.list.sort_by_key(|e| e.line.unwrap_or(usize::MAX));
        Err(fail(errors.list))
    }
}

/// Applies `${VAR}` substitution to every string in the document.
fn substitute_all(v: &mut Value, path: &str, env: &Env, errors: &mut Errors<'_>) {
    match v {
        Value::String(s) => match substitute(s, env) {
            Ok(new) => *s = new,
            Err(e) => errors.at(path, e),
        },
        Value::Array(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                substitute_all(item, &format!("{path}[{i}]"), env, errors);
            }
        }
        Value::Object(map) => {
            for (k, item) in map.iter_mut() {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                substitute_all(item, &p, env, errors);
            }
        }
        _ => {}
    }
}

/// Reads each section on its own, so one bad entry does not hide problems in the others.
fn read_raw(value: &Value, errors: &mut Errors<'_>) -> RawConfig {
    let mut raw = RawConfig::default();
    let map = match value {
        Value::Null => return raw,
        Value::Object(map) => map,
        other => {
            errors.at(
                "",
                format!(
                    "the configuration must be a mapping, found {}",
                    kind_of(other)
                ),
            );
            return raw;
        }
    };
    for key in map.keys() {
        if !TOP_KEYS.contains(&key.as_str()) {
            errors.at(key, unknown_key_message(key, &TOP_KEYS));
        }
    }
    if let Some(v) = map.get("server") {
        raw.server = typed::<RawServer>(v, "server", errors).unwrap_or_default();
    }
    raw.data_dir = map
        .get("data_dir")
        .and_then(|v| typed(v, "data_dir", errors));
    raw.default_model = map
        .get("default_model")
        .and_then(|v| typed(v, "default_model", errors));
    if let Some(v) = map.get("usage") {
        raw.usage = typed(v, "usage", errors).unwrap_or_default();
    }
    if let Some(v) = map.get("auth") {
        raw.auth = typed(v, "auth", errors).unwrap_or_default();
    }
    if let Some(v) = map.get("admin") {
        raw.admin = typed(v, "admin", errors).unwrap_or_default();
    }
    if let Some(v) = map.get("journal") {
        raw.journal = typed(v, "journal", errors).unwrap_or_default();
    }
    if let Some(v) = map.get("discovery") {
        raw.discovery = typed(v, "discovery", errors).unwrap_or_default();
    }
    for (key, v) in entries(map.get("pricing"), "pricing", errors) {
        if let Some(p) = typed(v, &format!("pricing.{key}"), errors) {
            raw.pricing.insert(key.clone(), p);
        }
    }
    for (id, v) in entries(map.get("providers"), "providers", errors) {
        if let Some(p) = typed::<RawProvider>(v, &format!("providers.{id}"), errors) {
            raw.providers.insert(id.clone(), p);
        }
    }
    for (name, v) in entries(map.get("models"), "models", errors) {
        let path = format!("models.{name}");
        let model = match v {
            Value::String(s) => Some(RawModel::Alias(s.clone())),
            Value::Object(_) => typed::<RawProfile>(v, &path, errors).map(RawModel::Profile),
            other => {
                errors.at(
                    &path,
                    format!(
                        "expected `provider/model` or a mapping with `target:`, found {}",
                        kind_of(other)
                    ),
                );
                None
            }
        };
        if let Some(m) = model {
            raw.models.insert(name.clone(), m);
        }
    }
    for (name, v) in entries(map.get("groups"), "groups", errors) {
        if let Some(g) = typed::<RawGroup>(v, &format!("groups.{name}"), errors) {
            raw.groups.insert(name.clone(), g);
        }
    }
    raw
}

/// The members of a mapping section (an absent or null section is empty).
fn entries<'v>(
    v: Option<&'v Value>,
    path: &str,
    errors: &mut Errors<'_>,
) -> Vec<(&'v String, &'v Value)> {
    match v {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Object(map)) => map.iter().collect(),
        Some(other) => {
            errors.at(
                path,
                format!("expected a mapping, found {}", kind_of(other)),
            );
            Vec::new()
        }
    }
}

/// Deserialises `v` as `T`, turning a failure into an error at the exact nested path.
fn typed<T: DeserializeOwned>(v: &Value, base: &str, errors: &mut Errors<'_>) -> Option<T> {
    match serde_path_to_error::deserialize::<_, T>(v) {
        Ok(t) => Some(t),
        Err(e) => {
            let inner = e.path().to_string();
            let mut path = if inner == "." || inner.is_empty() {
                base.to_owned()
            } else {
                format!("{base}.{inner}")
            };
            let message = e.inner().to_string();
            let message = match parse_unknown_field(&message) {
                Some((field, expected)) => {
                    if !path.ends_with(&format!(".{field}")) {
                        path = format!("{path}.{field}");
                    }
                    unknown_key_message(
                        &field,
                        &expected.iter().map(String::as_str).collect::<Vec<_>>(),
                    )
                }
                None => message,
            };
            errors.at(&path, message);
            None
        }
    }
}

/// Picks apart serde's "unknown field `x`, expected one of `a`, `b`" message.
fn parse_unknown_field(msg: &str) -> Option<(String, Vec<String>)> {
    let rest = msg.strip_prefix("unknown field `")?;
    let (field, rest) = rest.split_once('`')?;
    let expected = rest
        .split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect();
    Some((field.to_owned(), expected))
}

fn unknown_key_message(key: &str, known: &[&str]) -> String {
    match did_you_mean(key, known.iter().copied()) {
        Some(s) => format!("unknown key `{key}` (did you mean `{s}`?)"),
        None => format!("unknown key `{key}`; known keys: {}", known.join(", ")),
    }
}

/// Raw → typed, with the environment merged in.
fn build(
    mut raw: RawConfig,
    env: &Env,
    api_ids: &std::collections::BTreeSet<String>,
    errors: &mut Errors<'_>,
) -> Config {
    let timeouts = timeouts(
        raw.server.timeouts.as_ref(),
        Timeouts::default(),
        "server.timeouts",
        errors,
    );
    let mut server = ServerConfig {
        listen: addr(
            raw.server.listen.as_deref(),
            DEFAULT_LISTEN,
            "server.listen",
            errors,
        ),
        admin_listen: addr(
            raw.server.admin_listen.as_deref(),
            DEFAULT_ADMIN_LISTEN,
            "server.admin_listen",
            errors,
        ),
        body_limit: match &raw.server.body_limit {
            None => DEFAULT_BODY_LIMIT,
            Some(h) => parse_size(&h.as_text()).unwrap_or_else(|e| {
                errors.at("server.body_limit", e);
                DEFAULT_BODY_LIMIT
            }),
        },
        timeouts,
        rate_limit: super::forwards::bucket(
            raw.server.rate_limit.as_ref(),
            "server.rate_limit",
            errors,
        ),
        total_rate_limit: super::forwards::bucket(
            raw.server.total_rate_limit.as_ref(),
            "server.total_rate_limit",
            errors,
        ),
        forwards: Vec::new(),
    };
    server.forwards = super::forwards::forwards(
        std::mem::take(&mut raw.server.forwards),
        &[
            (server.listen, "server.listen"),
            (server.admin_listen, "server.admin_listen"),
        ],
        errors,
    );
    let (providers, unset_presets) =
        sources::providers(&raw.providers, env, timeouts, api_ids, errors);
    // Providers declared in the file but rejected above: their own errors are reported, so a
    // model pointing at one must not add a confusing second error.
    let rejected: Vec<String> = raw
        .providers
        .keys()
        .filter(|id| !providers.iter().any(|p| &p.id == *id))
        .cloned()
        .collect();
    let groups = super::groups::groups(raw.groups, timeouts, errors);
    let models =
        raw.models
            .into_iter()
            .map(|(name, m)| match m {
                RawModel::Alias(target) => ModelConfig {
                    name,
                    target: ModelTarget::Model(target),
                    defaults: None,
                    clamp: None,
                    description: None,
                    fallbacks: Vec::new(),
                    fallback_on_context_length: false,
                    price: None,
                    context_length: None,
                    capabilities: Vec::new(),
                    source: super::Source::File,
                },
                RawModel::Profile(p) => {
                    let path = format!("models.{name}");
                    let target = match (p.target, p.group) {
                        (Some(t), None) => ModelTarget::Model(t),
                        (None, Some(g)) => ModelTarget::Group(g),
                        (Some(t), Some(_)) => {
                            errors.at(&path, "give either `target` or `group`, not both");
                            ModelTarget::Model(t)
                        }
                        (None, None) => {
                            errors.at(
                                &path,
                                "a model needs `target: provider/model` or `group: <group name>`",
                            );
                            ModelTarget::Group(String::new())
                        }
                    };
                    let price = p.price.as_ref().map(|price| {
                        super::pricing::price(price, &format!("{path}.price"), errors)
                    });
                    ModelConfig {
                        name,
                        target,
                        defaults: p.defaults,
                        clamp: p.clamp,
                        description: p.description,
                        fallbacks: p.fallbacks.unwrap_or_default(),
                        fallback_on_context_length: p.fallback_on_context_length.unwrap_or(false),
                        price,
                        context_length: p.context_length,
                        capabilities: p.capabilities.unwrap_or_default(),
                        source: super::Source::File,
                    }
                }
            })
            .collect::<Vec<_>>();
    let config = Config {
        server,
        data_dir: PathBuf::from(raw.data_dir.unwrap_or_else(|| "./data".to_owned())),
        default_model: raw.default_model,
        usage: raw.usage.into(),
        auth: raw.auth.into(),
        journal: super::journal::journal(raw.journal, errors),
        discovery: super::discovery::discovery(raw.discovery, env, errors),
        pricing: super::pricing::overrides(raw.pricing, errors),
        admin: super::admin::admin(raw.admin, env, errors),
        providers,
        models,
        groups,
        file: None,
        unset_presets,
        composition: super::Composition::default(),
    };
    check_models(&config, &rejected, errors);
    super::forwards::check(&config, errors);
    let tags = crate::tags::TagInput {
        auth: crate::tags::AuthMode::None,
        bearer: None,
        header: None,
        model: "",
        key_tags: &[],
        default_tag: &config.usage.default_tag,
    };
    if let Err(e) = crate::tags::request_tags(tags) {
        errors.at("usage.default_tag", e.to_string());
    }
    config
}

fn addr(v: Option<&str>, default: &str, path: &str, errors: &mut Errors<'_>) -> SocketAddr {
    let fallback = default
        .parse()
        .unwrap_or(SocketAddr::from(([127, 0, 0, 1], 0)));
    match v {
        None => fallback,
        Some(s) => s.parse().unwrap_or_else(|_| {
            errors.at(path, format!("`{s}` is not an address; write host:port, e.g. `127.0.0.1:8080` or `0.0.0.0:8080`"));
            fallback
        }),
    }
}

/// Applies the set fields of `raw` over `base`.
pub(super) fn timeouts(
    raw: Option<&RawTimeouts>,
    base: Timeouts,
    path: &str,
    errors: &mut Errors<'_>,
) -> Timeouts {
    let Some(raw) = raw else { return base };
    let mut one = |v: &Option<Human>, name: &str, dflt| match v {
        None => dflt,
        Some(h) => parse_duration(&h.as_text()).unwrap_or_else(|e| {
            errors.at(&format!("{path}.{name}"), e);
            dflt
        }),
    };
    Timeouts {
        connect: one(&raw.connect, "connect", base.connect),
        first_byte: one(&raw.first_byte, "first_byte", base.first_byte),
        idle: one(&raw.idle, "idle", base.idle),
        total: one(&raw.total, "total", base.total),
    }
}

/// Virtual models must point at something that exists, and profiles must not touch `model`.
fn check_models(config: &Config, rejected: &[String], errors: &mut Errors<'_>) {
    let mut listed: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for p in &config.providers {
        for m in &p.models {
            listed.entry(m.as_str()).or_default().push(p.id.as_str());
        }
    }
    let ids: Vec<&str> = config.providers.iter().map(|p| p.id.as_str()).collect();
    // Names for messages: the rejected ones are still what the user declared.
    let mut declared = ids.clone();
    declared.extend(rejected.iter().map(String::as_str));
    for m in &config.models {
        let path = format!("models.{}", m.name);
        if m.name.is_empty() {
            errors.at(&path, "a model name must not be empty");
        }
        match &m.target {
            ModelTarget::Model(target) => {
                let prefix = target.split('/').next().unwrap_or_default();
                if !rejected.iter().any(|r| r == prefix) {
                    check_target(
                        target,
                        &format!("{path}.target"),
                        &ids,
                        &declared,
                        &listed,
                        errors,
                    );
                }
            }
            ModelTarget::Group(g) if g.is_empty() => {}
            ModelTarget::Group(g) => {
                if config.group(g).is_none() {
                    let names = config.groups.iter().map(|g| g.name.as_str());
                    let hint = match did_you_mean(g, names.clone()) {
                        Some(s) => format!(" (did you mean `{s}`?)"),
                        None => String::new(),
                    };
                    errors.at(
                        &format!("{path}.group"),
                        format!(
                            "no group is named `{g}`{hint}; groups are declared under `groups:`"
                        ),
                    );
                }
            }
        }
        if config.group(&m.name).is_some() {
            errors.at(
                &path,
                format!("`{}` is both a model and a group; rename one", m.name),
            );
        }
        for (i, fb) in m.fallbacks.iter().enumerate() {
            let fb_path = format!("{path}.fallbacks[{i}]");
            if fb == &m.name {
                errors.at(&fb_path, "a model cannot fall back to itself");
            } else if !config.models.iter().any(|o| &o.name == fb) && config.group(fb).is_none() {
                check_target(fb, &fb_path, &ids, &declared, &listed, errors);
            }
        }
        for (section, map) in [("defaults", &m.defaults), ("clamp", &m.clamp)] {
            if map.as_ref().is_some_and(|m| m.contains_key("model")) {
                errors.at(
                    &format!("{path}.{section}.model"),
                    "a profile cannot set `model`; use `target` to choose the upstream model",
                );
            }
        }
    }
    for g in &config.groups {
        for (i, member) in g.members.iter().enumerate() {
            let prefix = member.target.split('/').next().unwrap_or_default();
            if !rejected.iter().any(|r| r == prefix) {
                check_target(
                    &member.target,
                    &format!("groups.{}.members[{i}]", g.name),
                    &ids,
                    &declared,
                    &listed,
                    errors,
                );
            }
        }
    }
    if let Some(dm) = &config.default_model {
        let is_virtual = config.models.iter().any(|m| &m.name == dm) || config.group(dm).is_some();
        if !is_virtual {
            check_target(dm, "default_model", &ids, &declared, &listed, errors);
        }
    }
}

fn check_target(
    target: &str,
    path: &str,
    ids: &[&str],
    declared: &[&str],
    listed: &BTreeMap<&str, Vec<&str>>,
    errors: &mut Errors<'_>,
) {
    if let Some((prefix, model)) = target.split_once('/') {
        if ids.contains(&prefix) {
            if model.is_empty() {
                errors.at(path, format!("`{target}` names no model after `{prefix}/`"));
            }
            return;
        }
    }
    match listed.get(target).map(Vec::len) {
        Some(1) => {}
        Some(_) => errors.at(
            path,
            format!(
                "`{target}` is listed by several providers ({}); write `provider/{target}`",
                listed[target].join(", ")
            ),
        ),
        None => {
            let hint = match did_you_mean(
                target.split('/').next().unwrap_or(target),
                declared.iter().copied(),
            ) {
                Some(id) if target.contains('/') => format!(" (did you mean provider `{id}`?)"),
                _ => String::new(),
            };
            errors.at(
                path,
                format!(
                    "`{target}` does not name a configured provider's model; write `provider/model` with one of: {}{hint}",
                    if declared.is_empty() { "(no providers configured)".to_owned() } else { declared.join(", ") }
                ),
            )
        }
    }
}
