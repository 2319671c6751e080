//! Merges providers from the file, env-declared endpoints and key-enabled presets.

use std::collections::BTreeMap;

use llmux_providers::{presets, AuthScheme, Preset, ProviderKind, Quirks, PRESETS};

use super::env::{self, Env, EnvEndpoint};
use super::outbound;
use super::raw::RawProvider;
use super::validate::{timeouts, Errors};
use super::{BreakerSettings, HttpSettings, MemberLimit, ProviderConfig, Secret, Source, Timeouts};

/// Builds every provider, in order: file entries, env endpoints, presets enabled by keys.
/// Also returns the presets whose key variables were not set.
pub(super) fn providers(
    file: &BTreeMap<String, RawProvider>,
    env: &Env,
    default_timeouts: Timeouts,
    api_ids: &std::collections::BTreeSet<String>,
    errors: &mut Errors<'_>,
) -> (Vec<ProviderConfig>, Vec<&'static Preset>) {
    let mut out: Vec<ProviderConfig> = Vec::new();
    for (id, raw) in file {
        if let Some(p) = from_file(id, raw, env, default_timeouts, errors) {
            out.push(p);
        }
    }
    match env::endpoints(env) {
        Ok(eps) => {
            // An admin API provider wins over an env endpoint of the same id.
            for ep in eps.into_iter().filter(|ep| !api_ids.contains(&ep.id)) {
                if let Some(p) = from_env_endpoint(&ep, default_timeouts, errors) {
                    // An env endpoint replaces a file entry of the same id.
                    out.retain(|existing| existing.id != p.id);
                    out.push(p);
                }
            }
        }
        Err(list) => {
            for e in list {
                let (var, msg) = e.split_once(": ").unwrap_or(("environment", e.as_str()));
                errors.env(var, msg);
            }
        }
    }
    let mut unset = Vec::new();
    for preset in PRESETS {
        let key = preset.key_env.iter().find_map(|var| match env.secret(var) {
            Ok(found) => found,
            Err(e) => {
                errors.env(var, e);
                None
            }
        });
        let Some((key, origin)) = key else {
            if !out.iter().any(|p| p.id == preset.id) {
                unset.push(preset);
            }
            continue;
        };
        if let Some(existing) = out.iter_mut().find(|p| p.id == preset.id) {
            // Declared elsewhere: the variable only supplies a key that is missing.
            if existing.api_key.is_none() && existing.preset.is_some_and(|p| p.id == preset.id) {
                existing.api_key = Some(Secret::new(key));
                existing.key_origin = Some(origin);
            }
            continue;
        }
        let base_url = if preset.kind == ProviderKind::Azure {
            match env.get("AZURE_OPENAI_ENDPOINT") {
                Some(url) => url.trim_end_matches('/').to_owned(),
                None => {
                    errors.env(
                        "AZURE_OPENAI_ENDPOINT",
                        "AZURE_OPENAI_API_KEY is set but AZURE_OPENAI_ENDPOINT is not; set it to your resource URL, e.g. https://my-resource.openai.azure.com",
                    );
                    continue;
                }
            }
        } else {
            preset.base_url.to_owned()
        };
        out.push(ProviderConfig {
            id: preset.id.to_owned(),
            kind: preset.kind,
            preset: Some(preset),
            base_url,
            api_key: Some(Secret::new(key)),
            key_origin: Some(origin.clone()),
            auth: preset.kind.default_auth(),
            models: preset.models.iter().map(|m| (*m).to_owned()).collect(),
            headers: Vec::new(),
            header_ops: Vec::new(),
            http: HttpSettings::default(),
            timeouts: default_timeouts,
            quirks: preset.quirks,
            source: Source::Preset(origin.trim_start_matches("env ").to_owned()),
            api_version: (preset.kind == ProviderKind::Azure).then(|| {
                env.get("AZURE_OPENAI_API_VERSION")
                    .unwrap_or(llmux_providers::azure::DEFAULT_API_VERSION)
                    .to_owned()
            }),
            deployments: BTreeMap::new(),
            breaker: Some(BreakerSettings::default()),
            rate_limit: MemberLimit::default(),
        });
    }
    (out, unset)
}

/// "unknown <what> `x` (did you mean `y`?); <what>s: a, b, c".
fn unknown_name(what: &str, name: &str, known: &[&str]) -> String {
    let hint = super::did_you_mean(name, known.iter().copied())
        .map(|s| format!(" (did you mean `{s}`?)"))
        .unwrap_or_default();
    format!(
        "unknown {what} `{name}`{hint}; {what}s: {}",
        known.join(", ")
    )
}

fn check_id(id: &str, path: &str, errors: &mut Errors<'_>) -> bool {
    let ok = !id.is_empty()
        && id.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'_' | b'.')
        });
    if !ok {
        errors.at(
            path,
            format!("provider id `{id}` must be lowercase letters, digits, `-`, `_` or `.` (it is used in `id/model` names)"),
        );
    }
    ok
}

fn check_url(url: &str, path: &str, errors: &mut Errors<'_>) -> Option<String> {
    let url = url.trim().trim_end_matches('/');
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"));
    match rest {
        Some(host) if !host.is_empty() && url.parse::<http::Uri>().is_ok() => Some(url.to_owned()),
        _ => {
            errors.at(
                path,
                format!("`{url}` is not an http(s) URL; write e.g. `http://127.0.0.1:8000/v1`"),
            );
            None
        }
    }
}

fn from_file(
    id: &str,
    raw: &RawProvider,
    env: &Env,
    default_timeouts: Timeouts,
    errors: &mut Errors<'_>,
) -> Option<ProviderConfig> {
    let path = format!("providers.{id}");
    let id_ok = check_id(id, &path, errors);
    let preset = match raw.preset.as_deref() {
        Some(name) => match presets::find(name) {
            Some(p) => Some(p),
            None => {
                let known: Vec<&str> = PRESETS.iter().map(|p| p.id).collect();
                errors.at(
                    &format!("{path}.preset"),
                    unknown_name("preset", name, &known),
                );
                return None;
            }
        },
        None if raw.kind.is_none() => presets::find(id),
        None => None,
    };
    let kind = match raw.kind.as_deref() {
        Some(t) => match ProviderKind::parse(t) {
            Some(k) => k,
            None => {
                let names: Vec<&str> = ProviderKind::ALL.iter().map(|k| k.as_str()).collect();
                errors.at(
                    &format!("{path}.type"),
                    unknown_name("provider type", t, &names),
                );
                return None;
            }
        },
        None => match preset {
            Some(p) => p.kind,
            None => {
                errors.at(&path, format!("set `type:` (e.g. `openai-compatible`) or `preset:`; `{id}` is not a preset name"));
                return None;
            }
        },
    };
    let base_url = match (&raw.base_url, preset) {
        (Some(u), _) => check_url(u, &format!("{path}.base_url"), errors)?,
        (None, Some(p)) if !p.base_url.is_empty() => p.base_url.to_owned(),
        (None, _) => {
            errors.at(&path, "`base_url` is required for this provider");
            return None;
        }
    };
    let auth = outbound::auth(raw.auth.as_ref(), kind, env, &path, errors);
    let (api_key, key_origin) = match auth.password {
        Some((password, origin)) => (Some(password), Some(origin)),
        None => key_from_file(raw, env, &path, errors),
    };
    if matches!(auth.scheme, AuthScheme::Basic(_)) {
        let keys = [&raw.api_key, &raw.api_key_env, &raw.api_key_file];
        for (name, _) in ["api_key", "api_key_env", "api_key_file"]
            .iter()
            .zip(keys)
            .filter(|(_, v)| v.is_some())
        {
            errors.at(
                &format!("{path}.{name}"),
                "`basic` auth sends `username` and `password`, not an API key; remove this, or send the key with `header_ops`",
            );
        }
    }
    let auth = auth.scheme;
    let mut headers = Vec::new();
    for (name, value) in &raw.headers {
        let hp = format!("{path}.headers.{name}");
        if http::HeaderName::from_bytes(name.as_bytes()).is_err() {
            errors.at(&hp, format!("`{name}` is not a valid header name"));
        } else if http::HeaderValue::from_str(value).is_err() {
            errors.at(
                &hp,
                "the header value contains characters not allowed in a header",
            );
        } else {
            headers.push((name.clone(), value.clone()));
        }
    }
    let quirks = preset.map(|p| p.quirks).unwrap_or(match kind {
        ProviderKind::OpenAi | ProviderKind::Azure => Quirks {
            stream_usage: true,
            reasoning_params: true,
        },
        _ => Quirks::COMPATIBLE,
    });
    let quirks = Quirks {
        stream_usage: raw.stream_usage.unwrap_or(quirks.stream_usage),
        ..quirks
    };
    let models = match &raw.models {
        Some(list) => list.clone(),
        None => preset
            .map(|p| p.models.iter().map(|m| (*m).to_owned()).collect())
            .unwrap_or_default(),
    };
    for (i, m) in models.iter().enumerate() {
        if m.trim().is_empty() {
            errors.at(
                &format!("{path}.models[{i}]"),
                "model names must not be empty",
            );
        }
    }
    if !id_ok {
        return None;
    }
    Some(ProviderConfig {
        id: id.to_owned(),
        kind,
        preset,
        base_url,
        api_key,
        key_origin,
        auth,
        models,
        headers,
        header_ops: outbound::header_ops(&raw.header_ops, &path, errors),
        http: outbound::http(raw.http.as_ref(), &path, errors),
        timeouts: timeouts(
            raw.timeouts.as_ref(),
            default_timeouts,
            &format!("{path}.timeouts"),
            errors,
        ),
        quirks,
        source: Source::File,
        api_version: (kind == ProviderKind::Azure).then(|| {
            raw.api_version
                .clone()
                .unwrap_or_else(|| llmux_providers::azure::DEFAULT_API_VERSION.to_owned())
        }),
        deployments: raw.deployments.clone(),
        breaker: super::groups::breaker(raw.breaker.as_ref(), &format!("{path}.breaker"), errors),
        rate_limit: super::groups::member_limit(raw.rate_limit.as_ref()),
    })
}

/// The key of a file-declared provider: `api_key`, `api_key_env` or `api_key_file` (one).
fn key_from_file(
    raw: &RawProvider,
    env: &Env,
    path: &str,
    errors: &mut Errors<'_>,
) -> (Option<Secret>, Option<String>) {
    outbound::secret(
        [
            ("api_key", raw.api_key.as_deref()),
            ("api_key_env", raw.api_key_env.as_deref()),
            ("api_key_file", raw.api_key_file.as_deref()),
        ],
        env,
        path,
        errors,
    )
    .map_or((None, None), |(key, origin)| (Some(key), Some(origin)))
}

fn from_env_endpoint(
    ep: &EnvEndpoint,
    default_timeouts: Timeouts,
    errors: &mut Errors<'_>,
) -> Option<ProviderConfig> {
    let var = |field: &str| format!("{}{}_{field}", ep.prefix, ep.id.to_ascii_uppercase());
    if !check_id(&ep.id, &var("URL"), errors) {
        return None;
    }
    let url = ep.url.as_deref()?;
    let base_url = check_url(url, &var("URL"), errors)?;
    let (kind, preset) = match ep.provider.as_deref() {
        None => (ProviderKind::OpenAiCompatible, None),
        Some(p) => match (ProviderKind::parse(p), presets::find(p)) {
            (_, Some(preset)) => (preset.kind, Some(preset)),
            (Some(kind), None) => (kind, None),
            (None, None) => {
                errors.env(&var("PROVIDER"), format!("unknown provider type `{p}`; use openai-compatible, openai, openai-responses, azure, anthropic, gemini, ollama or a preset name"));
                return None;
            }
        },
    };
    Some(ProviderConfig {
        id: ep.id.clone(),
        kind,
        preset,
        base_url,
        api_key: ep.key.clone().map(Secret::new),
        key_origin: ep.key.as_ref().map(|_| format!("env {}", var("KEY"))),
        auth: kind.default_auth(),
        models: ep.models.clone(),
        headers: Vec::new(),
        header_ops: Vec::new(),
        http: HttpSettings::default(),
        timeouts: default_timeouts,
        quirks: preset.map(|p| p.quirks).unwrap_or(Quirks::COMPATIBLE),
        source: Source::EnvEndpoint(ep.prefix.to_owned()),
        api_version: (kind == ProviderKind::Azure)
            .then(|| llmux_providers::azure::DEFAULT_API_VERSION.to_owned()),
        deployments: BTreeMap::new(),
        breaker: Some(BreakerSettings::default()),
        rate_limit: MemberLimit::default(),
    })
}
