//! JSON views of the effective configuration: each object with its source, version (ETag)
//! and, for API objects, the stored body. Secrets appear only masked (`sk-...abcd`).

use llmux_engine::config::{
    BucketSettings, Config, ForwardConfig, GroupConfig, ModelConfig, ModelTarget, ProviderConfig,
    Secret, Source,
};
use llmux_store::RegistryKind;
use serde_json::{json, Map, Value};

use super::prepare::section;
use super::StateView;

/// `body` with every credential masked (`api_key`, `auth.password`, and `headers` whose
/// name speaks of a key, token, secret or authorization).
pub fn mask_body(body: &Value) -> Value {
    let mut out = body.clone();
    if let Value::Object(map) = &mut out {
        mask_field(map, "api_key");
        if let Some(Value::Object(auth)) = map.get_mut("auth") {
            mask_field(auth, "password");
        }
        if let Some(Value::Object(headers)) = map.get_mut("headers") {
            let secret: Vec<String> = headers
                .keys()
                .filter(|k| {
                    let k = k.to_ascii_lowercase();
                    ["key", "token", "secret", "auth"]
                        .iter()
                        .any(|w| k.contains(w))
                })
                .cloned()
                .collect();
            for k in secret {
                mask_field(headers, &k);
            }
        }
    }
    out
}

fn mask_field(map: &mut Map<String, Value>, key: &str) {
    if let Some(Value::String(s)) = map.get(key) {
        let masked = Secret::new(s.clone()).masked();
        map.insert(key.to_owned(), Value::String(masked));
    }
}

/// Version (ETag) and stored body of an object: 0 and `null` for file and env objects.
fn stored(view: &StateView, kind: RegistryKind, name: &str, source: &Source) -> (i64, Value) {
    match view.row(kind, name).filter(|_| *source == Source::Api) {
        Some(r) => (
            r.version,
            serde_json::from_str(&r.body).map_or(Value::Null, |b| mask_body(&b)),
        ),
        None => (0, Value::Null),
    }
}

fn common(view: &StateView, kind: RegistryKind, name: &str, source: &Source) -> Map<String, Value> {
    let (version, body) = stored(view, kind, name, source);
    let path = format!("{}.{name}", section(kind));
    let c = &view.snapshot.config.composition;
    let mut m = Map::new();
    m.insert("source".into(), json!(source.tag()));
    m.insert("origin".into(), json!(source.to_string()));
    m.insert("version".into(), json!(version));
    m.insert("overrides_file".into(), json!(c.overrides.contains(&path)));
    m.insert("config".into(), body);
    m
}

fn provider(view: &StateView, p: &ProviderConfig) -> Value {
    let mut m = common(view, RegistryKind::Provider, &p.id, &p.source);
    m.insert("id".into(), json!(p.id));
    m.insert("type".into(), json!(p.kind.as_str()));
    m.insert("base_url".into(), json!(p.base_url));
    m.insert("models".into(), json!(p.models));
    m.insert(
        "api_key".into(),
        json!(p.api_key.as_ref().map(Secret::masked)),
    );
    m.insert("key_origin".into(), json!(p.key_origin));
    Value::Object(m)
}

fn model(view: &StateView, mc: &ModelConfig) -> Value {
    let mut m = common(view, RegistryKind::Model, &mc.name, &mc.source);
    let (target, group) = match &mc.target {
        ModelTarget::Model(t) => (Some(t), None),
        ModelTarget::Group(g) => (None, Some(g)),
    };
    m.insert("name".into(), json!(mc.name));
    m.insert("target".into(), json!(target));
    m.insert("group".into(), json!(group));
    m.insert("description".into(), json!(mc.description));
    m.insert("context_length".into(), json!(mc.context_length));
    m.insert("capabilities".into(), json!(mc.capabilities));
    m.insert("fallbacks".into(), json!(mc.fallbacks));
    let price = mc.price.map(|p| {
        json!({"input": p.input, "output": p.output, "cache_read": p.cache_read,
               "cache_write": p.cache_write, "reasoning": p.reasoning})
    });
    m.insert("price".into(), json!(price));
    Value::Object(m)
}

fn group(view: &StateView, g: &GroupConfig) -> Value {
    let mut m = common(view, RegistryKind::Group, &g.name, &g.source);
    let members: Vec<Value> = g
        .members
        .iter()
        .map(|x| json!({"target": x.target, "weight": x.weight, "priority": x.priority}))
        .collect();
    m.insert("name".into(), json!(g.name));
    m.insert("strategy".into(), json!(g.strategy.as_str()));
    m.insert("members".into(), json!(members));
    m.insert("description".into(), json!(g.description));
    Value::Object(m)
}

fn bucket(b: Option<BucketSettings>) -> Value {
    json!(b.map(|b| json!({"per_second": b.per_second, "burst": b.burst})))
}

fn forward(view: &StateView, f: &ForwardConfig) -> Value {
    let mut m = common(view, RegistryKind::Forward, &f.name, &f.source);
    let routing: Vec<Value> = f
        .routing
        .iter()
        .map(|(path, group)| json!({"path": path, "target_group": group}))
        .collect();
    m.insert("name".into(), json!(f.name));
    m.insert("listen".into(), json!(f.listen.to_string()));
    m.insert("default_group".into(), json!(f.default_group));
    m.insert("routing".into(), json!(routing));
    m.insert("rate_limit".into(), bucket(f.rate_limit));
    m.insert("total_rate_limit".into(), bucket(f.total_rate_limit));
    Value::Object(m)
}

/// The settings, each with its source (`api` or `config`), and their ETag.
pub(super) fn settings(view: &StateView) -> (Value, i64) {
    let c: &Config = &view.snapshot.config;
    let version = view
        .rows
        .iter()
        .filter(|r| r.kind == RegistryKind::Setting)
        .map(|r| r.version)
        .max()
        .unwrap_or(0);
    let sources: Map<String, Value> = llmux_engine::config::SETTINGS
        .iter()
        .map(|s| {
            let tag = if c.composition.is_api(s) {
                "api"
            } else {
                "config"
            };
            ((*s).to_owned(), json!(tag))
        })
        .collect();
    let body = json!({
        "default_model": c.default_model,
        "server": {
            "rate_limit": bucket(c.server.rate_limit),
            "total_rate_limit": bucket(c.server.total_rate_limit),
        },
        "usage": {
            "default_tag": c.usage.default_tag,
            "enabled": c.usage.enabled,
            "retention_days": c.usage.retention_days,
            "reverse_dns": c.usage.reverse_dns,
        },
        "sources": sources,
        "version": version,
    });
    (body, version)
}

/// One object's view and ETag, when the effective configuration has it.
pub fn object_view(view: &StateView, kind: RegistryKind, name: &str) -> Option<(Value, i64)> {
    let c = &view.snapshot.config;
    let v = match kind {
        RegistryKind::Provider => provider(view, c.provider(name)?),
        RegistryKind::Model => model(view, c.models.iter().find(|m| m.name == name)?),
        RegistryKind::Group => group(view, c.group(name)?),
        RegistryKind::Forward => forward(view, c.server.forwards.iter().find(|f| f.name == name)?),
        RegistryKind::Setting => return Some(settings(view)),
    };
    let version = v.get("version").and_then(Value::as_i64).unwrap_or(0);
    Some((v, version))
}

/// Every object of a kind.
pub(super) fn list(view: &StateView, kind: RegistryKind) -> Vec<Value> {
    let c = &view.snapshot.config;
    match kind {
        RegistryKind::Provider => c.providers.iter().map(|p| provider(view, p)).collect(),
        RegistryKind::Model => c.models.iter().map(|m| model(view, m)).collect(),
        RegistryKind::Group => c.groups.iter().map(|g| group(view, g)).collect(),
        RegistryKind::Forward => c.server.forwards.iter().map(|f| forward(view, f)).collect(),
        RegistryKind::Setting => vec![settings(view).0],
    }
}

/// `GET /api/v1/state`: the effective configuration with sources and the version.
pub fn state_json(view: &StateView) -> Value {
    let c = &view.snapshot.config;
    json!({
        "version": view.version,
        "allow_file_overrides": c.composition.allow_file_overrides,
        "providers": list(view, RegistryKind::Provider),
        "models": list(view, RegistryKind::Model),
        "groups": list(view, RegistryKind::Group),
        "forwards": list(view, RegistryKind::Forward),
        "settings": settings(view).0,
        "shadowed": c.composition.shadowed,
        "skipped": c.composition.skipped.iter().map(|(path, errors)| {
            json!({"path": path, "errors": errors})
        }).collect::<Vec<_>>(),
    })
}
