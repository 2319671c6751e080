//! `auth:` section: how the data plane authenticates its clients (`none`, `proxy_key`,
//! `passthrough`).

use schemars::JsonSchema;
use serde::Deserialize;

use crate::tags::AuthMode;

/// `auth.mode` as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RawAuthMode {
    /// No client credentials; a bearer token may name the request's tags.
    None,
    /// Clients present an llmux key (`llmux keys create`).
    ProxyKey,
    /// Clients present their own provider key, forwarded upstream.
    Passthrough,
}

/// `auth:` as written.
#[derive(Debug, Default, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawClientAuth {
    /// `none` (default), `proxy_key` or `passthrough`.
    pub mode: Option<RawAuthMode>,
}

/// The validated `auth:` settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAuth {
    /// How clients authenticate.
    pub mode: AuthMode,
}

impl Default for ClientAuth {
    fn default() -> Self {
        ClientAuth {
            mode: AuthMode::None,
        }
    }
}

impl From<RawAuthMode> for AuthMode {
    fn from(raw: RawAuthMode) -> Self {
        match raw {
            RawAuthMode::None => AuthMode::None,
            RawAuthMode::ProxyKey => AuthMode::ProxyKey,
            RawAuthMode::Passthrough => AuthMode::Passthrough,
        }
    }
}

impl From<RawClientAuth> for ClientAuth {
    fn from(raw: RawClientAuth) -> Self {
        ClientAuth {
            mode: raw.mode.map_or(AuthMode::None, AuthMode::from),
        }
    }
}

/// The mode named `s` (`none`, `proxy_key` or `passthrough`, `-` accepted for `_`), for the
/// command line and `LLMUX_AUTH_MODE`.
pub fn parse_auth_mode(s: &str) -> Result<AuthMode, String> {
    match s.trim().to_ascii_lowercase().replace('-', "_").as_str() {
        "none" => Ok(AuthMode::None),
        "proxy_key" => Ok(AuthMode::ProxyKey),
        "passthrough" => Ok(AuthMode::Passthrough),
        other => Err(format!(
            "unknown auth mode `{other}`: use none, proxy_key or passthrough"
        )),
    }
}

impl AuthMode {
    /// The mode as configuration spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            AuthMode::None => "none",
            AuthMode::ProxyKey => "proxy_key",
            AuthMode::Passthrough => "passthrough",
        }
    }
}
