//! `admin:` section: how the admin listener authenticates its callers (a Bearer token, a
//! password for the web UI) and whether `/metrics` needs them too. The environment
//! (`LLMUX_ADMIN_TOKEN`, `LLMUX_ADMIN_PASSWORD`, each also as `<VAR>_FILE`) wins over the file.

#[cfg(test)]
mod tests;

use schemars::JsonSchema;
use serde::Deserialize;

use super::env::{read_secret_file, Env};
use super::validate::Errors;
use super::Secret;

/// Environment variable holding the admin Bearer token.
pub const ADMIN_TOKEN_ENV: &str = "LLMUX_ADMIN_TOKEN";
/// Environment variable holding the admin password.
pub const ADMIN_PASSWORD_ENV: &str = "LLMUX_ADMIN_PASSWORD";

/// `admin:` as written.
#[derive(Debug, Default, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawAdmin {
    /// Bearer token for `/api/v1/...` (prefer `${VAR}` or `token_file` to a literal).
    pub token: Option<String>,
    /// File holding the Bearer token (trailing newline trimmed).
    pub token_file: Option<String>,
    /// Admin password, accepted as HTTP Basic `admin:<password>` and by `POST /api/v1/login`.
    pub password: Option<String>,
    /// File holding the admin password.
    pub password_file: Option<String>,
    /// Require admin credentials for `/metrics` too (default `false`).
    pub protect_metrics: Option<bool>,
    /// Let objects made through the admin API replace the file's and the environment's
    /// providers, models and groups of the same name (default `false`: those are read-only
    /// through the API).
    pub allow_file_overrides: Option<bool>,
}

/// The validated `admin:` settings.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AdminConfig {
    /// The Bearer token, if any.
    pub token: Option<Secret>,
    /// The configured password, if any (a generated one is never here).
    pub password: Option<Secret>,
    /// Whether `/metrics` needs credentials.
    pub protect_metrics: bool,
}

impl AdminConfig {
    /// Whether an operator configured any credential.
    pub fn has_credentials(&self) -> bool {
        self.token.is_some() || self.password.is_some()
    }
}

/// Raw + environment → typed. The environment wins; a literal and a file for the same secret
/// is an error, as is an empty value.
pub(super) fn admin(raw: RawAdmin, env: &Env, errors: &mut Errors<'_>) -> AdminConfig {
    let token = secret(
        env,
        ADMIN_TOKEN_ENV,
        ("admin.token", raw.token),
        ("admin.token_file", raw.token_file),
        errors,
    );
    let password = secret(
        env,
        ADMIN_PASSWORD_ENV,
        ("admin.password", raw.password),
        ("admin.password_file", raw.password_file),
        errors,
    );
    AdminConfig {
        token,
        password,
        protect_metrics: raw.protect_metrics.unwrap_or(false),
    }
}

fn secret(
    env: &Env,
    var: &str,
    (literal_path, literal): (&str, Option<String>),
    (file_path, file): (&str, Option<String>),
    errors: &mut Errors<'_>,
) -> Option<Secret> {
    match env.secret(var) {
        Ok(Some((value, _))) => return Some(Secret::new(value)),
        Ok(None) => {}
        Err(e) => {
            errors.env(var, e);
            return None;
        }
    }
    match (literal, file) {
        (Some(_), Some(_)) => {
            errors.at(
                file_path,
                format!("give either `{literal_path}` or `{file_path}`, not both"),
            );
            None
        }
        (Some(v), None) if v.is_empty() => {
            errors.at(literal_path, "must not be empty");
            None
        }
        (Some(v), None) => Some(Secret::new(v)),
        (None, Some(path)) => match read_secret_file(&path) {
            Ok(v) => Some(Secret::new(v)),
            Err(e) => {
                errors.at(file_path, e);
                None
            }
        },
        (None, None) => None,
    }
}
