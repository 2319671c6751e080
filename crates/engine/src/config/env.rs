//! The process environment as a configuration source: `${VAR}` substitution, `<VAR>_FILE`
//! secrets, env-declared endpoints and the provider presets switched on by API keys.

use std::collections::BTreeMap;

/// A snapshot of environment variables (the real ones, or a test's).
#[derive(Debug, Clone, Default)]
pub struct Env {
    vars: BTreeMap<String, String>,
}

impl Env {
    /// The current process environment.
    pub fn from_process() -> Self {
        Env {
            vars: std::env::vars().collect(),
        }
    }

    /// An environment made of the given pairs (tests).
    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        Env {
            vars: pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        }
    }

    /// The value of `name`, if set and not empty.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// Every variable whose name starts with `prefix`.
    pub fn with_prefix<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = (&'a str, &'a str)> {
        self.vars
            .range(prefix.to_owned()..)
            .take_while(move |(k, _)| k.starts_with(prefix))
            .map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// A secret from `name`, or from the file named by `<name>_FILE`. Returns the value and a
    /// description of where it came from (never the value itself).
    pub fn secret(&self, name: &str) -> Result<Option<(String, String)>, String> {
        if let Some(v) = self.get(name) {
            return Ok(Some((v.to_owned(), format!("env {name}"))));
        }
        let file_var = format!("{name}_FILE");
        match self.get(&file_var) {
            Some(path) => read_secret_file(path)
                .map(|v| Some((v, format!("file from {file_var}"))))
                .map_err(|e| format!("{file_var}: {e}")),
            None => Ok(None),
        }
    }
}

/// Reads a secret file, trimming the trailing newline editors add.
pub fn read_secret_file(path: &str) -> Result<String, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read secret file `{path}`: {e}"))?;
    let value = text.trim_end_matches(['\n', '\r']).to_owned();
    if value.is_empty() {
        return Err(format!("secret file `{path}` is empty"));
    }
    Ok(value)
}

/// Replaces `${VAR}` and `${VAR:-default}` in `s`; `$$` stands for a literal `$`.
pub fn substitute(s: &str, env: &Env) -> Result<String, String> {
    if !s.contains('$') {
        return Ok(s.to_owned());
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(pos) = rest.find('$') {
        out.push_str(&rest[..pos]);
        let after = &rest[pos + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            rest = tail;
        } else if let Some(inner_start) = after.strip_prefix('{') {
            let end = inner_start
                .find('}')
                .ok_or_else(|| format!("unclosed `${{` in `{s}`"))?;
            let inner = &inner_start[..end];
            let (name, default) = match inner.split_once(":-") {
                Some((n, d)) => (n, Some(d)),
                None => (inner, None),
            };
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(format!("`${{{inner}}}` is not a valid variable reference"));
            }
            match (env.get(name), default) {
                (Some(v), _) => out.push_str(v),
                (None, Some(d)) => out.push_str(d),
                (None, None) => {
                    return Err(format!(
                        "environment variable `{name}` is not set (write `${{{name}:-default}}` to allow that)"
                    ))
                }
            }
            rest = &inner_start[end + 1..];
        } else {
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// One endpoint declared with `LLMUX_ENDPOINT_<NAME>_*` (or `LLM_PROXY_ENDPOINT_<NAME>_*`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EnvEndpoint {
    /// Provider id: `<NAME>` lowercased.
    pub id: String,
    /// `_URL` (required).
    pub url: Option<String>,
    /// `_KEY` (or `_KEY_FILE`).
    pub key: Option<String>,
    /// `_MODELS`, comma-separated.
    pub models: Vec<String>,
    /// `_PROVIDER` (default `openai-compatible`).
    pub provider: Option<String>,
    /// The prefix the variables were found under, for messages.
    pub prefix: &'static str,
}

/// The prefixes of env-declared endpoints; the first wins when both declare a name.
pub const ENDPOINT_PREFIXES: [&str; 2] = ["LLMUX_ENDPOINT_", "LLM_PROXY_ENDPOINT_"];

/// Collects env-declared endpoints, in name order.
pub fn endpoints(env: &Env) -> Result<Vec<EnvEndpoint>, Vec<String>> {
    let mut found: BTreeMap<String, EnvEndpoint> = BTreeMap::new();
    let mut errors = Vec::new();
    for prefix in ENDPOINT_PREFIXES {
        for (var, value) in env.with_prefix(prefix) {
            let rest = &var[prefix.len()..];
            let Some((name, field)) = ["_URL", "_KEY_FILE", "_KEY", "_MODELS", "_PROVIDER"]
                .iter()
                .find_map(|suffix| rest.strip_suffix(suffix).map(|n| (n, *suffix)))
            else {
                errors.push(format!(
                    "{var}: unknown endpoint variable; expected {prefix}<NAME>_URL, _KEY, _KEY_FILE, _MODELS or _PROVIDER"
                ));
                continue;
            };
            if name.is_empty() {
                errors.push(format!("{var}: the endpoint name is missing"));
                continue;
            }
            let id = name.to_ascii_lowercase();
            let ep = found.entry(id.clone()).or_insert_with(|| EnvEndpoint {
                id,
                prefix,
                ..EnvEndpoint::default()
            });
            if ep.prefix != prefix {
                continue; // LLMUX_ENDPOINT_ wins over the alias spelling
            }
            let value = value.trim();
            match field {
                "_URL" => ep.url = Some(value.to_owned()),
                "_KEY" => ep.key = Some(value.to_owned()),
                "_KEY_FILE" => match read_secret_file(value) {
                    Ok(k) => {
                        ep.key.get_or_insert(k);
                    }
                    Err(e) => errors.push(format!("{var}: {e}")),
                },
                "_MODELS" => {
                    ep.models = value
                        .split(',')
                        .map(str::trim)
                        .filter(|m| !m.is_empty())
                        .map(str::to_owned)
                        .collect()
                }
                _ => ep.provider = Some(value.to_owned()),
            }
        }
    }
    for ep in found.values() {
        if ep.url.is_none() {
            errors.push(format!(
                "{}{}_URL is required for the endpoint `{}`",
                ep.prefix,
                ep.id.to_ascii_uppercase(),
                ep.id
            ));
        }
    }
    if errors.is_empty() {
        Ok(found.into_values().collect())
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn substitution_table() {
        let env = Env::from_pairs([("A", "1"), ("EMPTY", "")]);
        let cases = [
            ("plain", Ok("plain")),
            ("${A}", Ok("1")),
            ("x-${A}-y", Ok("x-1-y")),
            ("${B:-dflt}", Ok("dflt")),
            ("${EMPTY:-dflt}", Ok("dflt")),
            ("${B:-}", Ok("")),
            ("$$A", Ok("$A")),
            ("cost $5", Ok("cost $5")),
        ];
        for (input, want) in cases {
            assert_eq!(
                substitute(input, &env).as_deref(),
                want.map(|s: &str| s),
                "{input}"
            );
        }
        assert!(substitute("${B}", &env)
            .unwrap_err()
            .contains("`B` is not set"));
        assert!(substitute("${A", &env).unwrap_err().contains("unclosed"));
        assert!(substitute("${A B}", &env).is_err());
    }

    #[test]
    fn env_endpoints_and_alias_prefix() {
        let env = Env::from_pairs([
            ("LLMUX_ENDPOINT_LOCAL_VLLM_URL", "http://h:8000/v1"),
            ("LLMUX_ENDPOINT_LOCAL_VLLM_MODELS", "a, b,"),
            ("LLM_PROXY_ENDPOINT_LMSTUDIO_URL", "http://h:1234/v1"),
            ("LLM_PROXY_ENDPOINT_LMSTUDIO_KEY", "k"),
            ("LLM_PROXY_ENDPOINT_LOCAL_VLLM_URL", "http://ignored"),
        ]);
        let eps = endpoints(&env).unwrap();
        assert_eq!(eps.len(), 2);
        let lm = eps.iter().find(|e| e.id == "lmstudio").unwrap();
        assert_eq!(lm.key.as_deref(), Some("k"));
        let vllm = eps.iter().find(|e| e.id == "local_vllm").unwrap();
        assert_eq!(vllm.url.as_deref(), Some("http://h:8000/v1"));
        assert_eq!(vllm.models, vec!["a", "b"]);
    }

    #[test]
    fn env_endpoint_errors() {
        let env = Env::from_pairs([
            ("LLMUX_ENDPOINT_X_MODELS", "a"),
            ("LLMUX_ENDPOINT_Y_COLOR", "red"),
        ]);
        let errs = endpoints(&env).unwrap_err();
        assert!(errs
            .iter()
            .any(|e| e.contains("LLMUX_ENDPOINT_X_URL is required")));
        assert!(errs
            .iter()
            .any(|e| e.contains("LLMUX_ENDPOINT_Y_COLOR: unknown endpoint variable")));
    }

    #[test]
    fn secrets_from_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key");
        std::fs::write(&path, "sk-file\n").unwrap();
        let env = Env::from_pairs([("OPENAI_API_KEY_FILE", path.to_str().unwrap())]);
        let (value, from) = env.secret("OPENAI_API_KEY").unwrap().unwrap();
        assert_eq!(value, "sk-file");
        assert_eq!(from, "file from OPENAI_API_KEY_FILE");
        let bad = Env::from_pairs([("K_FILE", "/nonexistent/k")]);
        assert!(bad
            .secret("K")
            .unwrap_err()
            .contains("cannot read secret file"));
    }
}
