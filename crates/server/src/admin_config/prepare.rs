//! A change → the registry writes it makes, after the checks that need no validation:
//! existence (404 / 409), `If-Match` (412), read-only file objects (409), dependencies
//! (409), write-only secrets kept across a replace.

use axum::http::StatusCode;
use llmux_engine::config::{did_you_mean, ApiObjects, Config, Secret, Source, SETTINGS};
use llmux_store::{RegistryKind, RegistryRow, RegistryWrite};
use serde_json::Value;

use super::{deps, ApiError, Change, Op};

/// The config section of a kind.
pub(super) fn section(kind: RegistryKind) -> &'static str {
    match kind {
        RegistryKind::Provider => "providers",
        RegistryKind::Model => "models",
        RegistryKind::Group => "groups",
        RegistryKind::Setting => "settings",
        RegistryKind::Forward => "forwards",
    }
}

/// An object's path in the composition: `providers.x`, `forwards.f`, or a setting's own
/// path (`usage.enabled`).
pub fn object_path(kind: RegistryKind, name: &str) -> String {
    match kind {
        RegistryKind::Setting => name.to_owned(),
        _ => format!("{}.{name}", section(kind)),
    }
}

/// The paths `writes` touch.
pub fn written_paths(writes: &[RegistryWrite]) -> Vec<String> {
    writes
        .iter()
        .map(|w| match w {
            RegistryWrite::Put { kind, name, .. } | RegistryWrite::Delete { kind, name } => {
                object_path(*kind, name)
            }
        })
        .collect()
}

/// The effective object's source, when the running configuration has it.
pub(super) fn source_of(config: &Config, kind: RegistryKind, name: &str) -> Option<Source> {
    match kind {
        RegistryKind::Provider => config.provider(name).map(|p| p.source.clone()),
        RegistryKind::Model => config
            .models
            .iter()
            .find(|m| m.name == name)
            .map(|m| m.source.clone()),
        RegistryKind::Group => config.group(name).map(|g| g.source.clone()),
        RegistryKind::Forward => config
            .server
            .forwards
            .iter()
            .find(|f| f.name == name)
            .map(|f| f.source.clone()),
        RegistryKind::Setting => None,
    }
}

/// The registry's objects in the composition's shape.
pub fn api_objects(rows: &[RegistryRow]) -> Result<ApiObjects, ApiError> {
    let mut out = ApiObjects::default();
    for r in rows {
        let body: Value = serde_json::from_str(&r.body).map_err(|e| {
            ApiError::internal(format!(
                "stored {} `{}` is not JSON: {e}",
                r.kind.as_str(),
                r.name
            ))
        })?;
        let map = match r.kind {
            RegistryKind::Provider => &mut out.providers,
            RegistryKind::Model => &mut out.models,
            RegistryKind::Group => &mut out.groups,
            RegistryKind::Setting => &mut out.settings,
            RegistryKind::Forward => &mut out.forwards,
        };
        map.insert(r.name.clone(), body);
    }
    Ok(out)
}

/// The rows as they will be once `writes` are committed (versions not yet known: 0).
pub fn simulate(rows: &[RegistryRow], writes: &[RegistryWrite]) -> Vec<RegistryRow> {
    let mut out = rows.to_vec();
    for w in writes {
        match w {
            RegistryWrite::Put { kind, name, body } => {
                out.retain(|r| !(r.kind == *kind && &r.name == name));
                out.push(RegistryRow {
                    kind: *kind,
                    name: name.clone(),
                    body: body.clone(),
                    version: 0,
                    updated_ms: 0,
                });
            }
            RegistryWrite::Delete { kind, name } => {
                out.retain(|r| !(r.kind == *kind && &r.name == name));
            }
        }
    }
    out
}

/// Checks `change` against the registry `rows` and the running `config`, and returns the
/// writes it makes.
pub fn prepare(
    change: &Change,
    rows: &[RegistryRow],
    config: &Config,
) -> Result<Vec<RegistryWrite>, ApiError> {
    match &change.op {
        Op::Reload => Ok(Vec::new()),
        Op::Settings(values) => settings(change, values, rows),
        _ => object(change, rows, config),
    }
}

fn settings(
    change: &Change,
    values: &serde_json::Map<String, Value>,
    rows: &[RegistryRow],
) -> Result<Vec<RegistryWrite>, ApiError> {
    let current = rows
        .iter()
        .filter(|r| r.kind == RegistryKind::Setting)
        .map(|r| r.version)
        .max()
        .unwrap_or(0);
    check_if_match(change.if_match.as_deref(), Some(current), "settings")?;
    let mut writes = Vec::new();
    for (path, value) in values {
        if !SETTINGS.contains(&path.as_str()) {
            let hint = did_you_mean(path, SETTINGS.iter().copied())
                .map(|s| format!(" (did you mean `{s}`?)"))
                .unwrap_or_default();
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                path.clone(),
                format!(
                    "unknown setting `{path}`{hint}; settings: {}",
                    SETTINGS.join(", ")
                ),
            ));
        }
        let (kind, name) = (RegistryKind::Setting, path.clone());
        writes.push(match value {
            Value::Null => RegistryWrite::Delete { kind, name },
            v => RegistryWrite::Put {
                kind,
                name,
                body: v.to_string(),
            },
        });
    }
    Ok(writes)
}

fn object(
    change: &Change,
    rows: &[RegistryRow],
    config: &Config,
) -> Result<Vec<RegistryWrite>, ApiError> {
    let (kind, name) = (change.kind, change.name.as_str());
    let path = format!("{}.{name}", section(kind));
    let c = &config.composition;
    let stored = rows.iter().find(|r| r.kind == kind && r.name == name);
    let effective = source_of(config, kind, name);
    // A file or env object: present and not in effect from the registry.
    let owned_by_file = effective.as_ref().is_some_and(|s| *s != Source::Api);
    let exists = stored.is_some() || effective.is_some();
    let etag = match (stored, owned_by_file) {
        (Some(r), false) => Some(r.version),
        _ if exists => Some(0),
        _ => None,
    };
    check_if_match(change.if_match.as_deref(), etag, &path)?;
    let read_only = |what: &str| {
        let from = effective
            .as_ref()
            .map_or("config".to_owned(), |s| s.to_string());
        ApiError::new(
            StatusCode::CONFLICT,
            path.clone(),
            format!("`{path}` comes from the {from} and is read-only through the API; {what}"),
        )
    };
    let put = |body: Value| RegistryWrite::Put {
        kind,
        name: name.to_owned(),
        body: body.to_string(),
    };
    match &change.op {
        Op::Create(body) => {
            if exists {
                let from = effective.map_or("api".to_owned(), |s| s.tag().to_owned());
                return Err(ApiError::new(
                    StatusCode::CONFLICT,
                    path.clone(),
                    format!("`{path}` already exists (source `{from}`); PUT /api/v1/{}/{name} replaces it", section(kind)),
                ));
            }
            Ok(vec![put(body.clone())])
        }
        Op::Replace(body) => {
            if owned_by_file && !c.allow_file_overrides {
                return Err(read_only(
                    "set `admin.allow_file_overrides: true` in the file to override it",
                ));
            }
            Ok(vec![put(keep_secret(kind, body.clone(), stored, true))])
        }
        Op::Patch(patch) => {
            if owned_by_file && !c.allow_file_overrides {
                return Err(read_only(
                    "set `admin.allow_file_overrides: true` in the file to override it",
                ));
            }
            let Some(row) = stored.filter(|_| !owned_by_file) else {
                return Err(if owned_by_file {
                    read_only("PUT a whole body to override it")
                } else {
                    not_found(&path)
                });
            };
            let mut body: Value = serde_json::from_str(&row.body)
                .map_err(|e| ApiError::internal(format!("stored `{path}` is not JSON: {e}")))?;
            merge_patch(&mut body, patch);
            // The patch already kept what it did not name (or removed it on purpose).
            Ok(vec![put(keep_secret(kind, body, stored, false))])
        }
        Op::Delete => {
            if owned_by_file || (stored.is_none() && effective.is_some()) {
                return Err(read_only("remove it from the file instead"));
            }
            if stored.is_none() {
                return Err(not_found(&path));
            }
            // Deleting an override only uncovers the file's object: nothing loses a target.
            if !c.overrides.contains(&path) {
                let users = deps::users(config, kind, name);
                if !users.is_empty() {
                    return Err(ApiError::new(
                        StatusCode::CONFLICT,
                        path.clone(),
                        format!(
                            "`{path}` is still used by {}; change or delete those first",
                            users.join(", ")
                        ),
                    ));
                }
            }
            Ok(vec![RegistryWrite::Delete {
                kind,
                name: name.to_owned(),
            }])
        }
        Op::Settings(_) | Op::Reload => Ok(Vec::new()),
    }
}

fn not_found(path: &str) -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, path, format!("no `{path}` exists"))
}

/// `If-Match` against the current version (`None`: no such object).
fn check_if_match(
    if_match: Option<&str>,
    current: Option<i64>,
    path: &str,
) -> Result<(), ApiError> {
    let Some(raw) = if_match else { return Ok(()) };
    let ok = raw.split(',').map(str::trim).any(|tag| {
        if tag == "*" {
            return current.is_some();
        }
        let tag = tag.trim_start_matches("W/").trim_matches('"');
        current.is_some_and(|v| tag.parse::<i64>().ok() == Some(v))
    });
    if ok {
        return Ok(());
    }
    let now = current.map_or("it does not exist".to_owned(), |v| {
        format!("its ETag is now \"{v}\"")
    });
    Err(ApiError::new(
        StatusCode::PRECONDITION_FAILED,
        path,
        format!(
            "`{path}` changed since you read it (If-Match {raw}; {now}); read it again and retry"
        ),
    ))
}

/// RFC 7396: objects merge member by member, `null` removes, anything else replaces.
fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(p) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(serde_json::Map::new());
    }
    if let Value::Object(t) = target {
        for (k, v) in p {
            if v.is_null() {
                t.remove(k);
            } else {
                merge_patch(t.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
    }
}

/// Secrets are write-only: a provider body that sends back the masked form it was shown,
/// or (`when_absent`, a replace) sends no credential at all, keeps the stored `api_key`.
fn keep_secret(
    kind: RegistryKind,
    mut body: Value,
    stored: Option<&RegistryRow>,
    when_absent: bool,
) -> Value {
    if kind != RegistryKind::Provider {
        return body;
    }
    let old_key = stored
        .and_then(|r| serde_json::from_str::<Value>(&r.body).ok())
        .and_then(|b| b.get("api_key").and_then(Value::as_str).map(str::to_owned));
    let (Some(old_key), Value::Object(map)) = (old_key, &mut body) else {
        return body;
    };
    let masked = Secret::new(old_key.clone()).masked();
    let sent = map.get("api_key").and_then(Value::as_str);
    let no_credential = ["api_key", "api_key_env", "api_key_file", "auth"]
        .iter()
        .all(|k| !map.contains_key(*k));
    if (when_absent && no_credential) || sent == Some(masked.as_str()) {
        map.insert("api_key".to_owned(), Value::String(old_key));
    }
    body
}
