//! What a provider (or a group) puts on its outbound requests: the auth scheme and its secret,
//! header operations, and the HTTP client settings (User-Agent, TCP keepalive, proxy). Typed
//! forms, and their validation with every error at its path. Secrets never appear in messages.

use std::fmt;
use std::time::Duration;

use llmux_providers::{AuthScheme, ProviderKind};

use super::env::{read_secret_file, Env};
use super::raw::{RawAuth, RawHeaderOp, RawHttp, RawKeepalive};
use super::units::parse_duration;
use super::validate::Errors;
use super::Secret;

/// What a header operation does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderOpKind {
    /// Add the header only when the request does not carry it yet.
    Insert,
    /// Set the header, replacing any value it had.
    Replace,
    /// Delete the header.
    Remove,
}

/// One header operation, applied to every upstream request after everything else.
#[derive(Clone, PartialEq, Eq)]
pub struct HeaderOp {
    /// What to do.
    pub kind: HeaderOpKind,
    /// Lowercase header name (validated).
    pub name: String,
    /// The value for `insert` and `replace` (validated); `None` for `remove`.
    pub value: Option<String>,
}

impl fmt::Debug for HeaderOp {
    /// Values may hold credentials (`${VAR}`), so they never print.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HeaderOp")
            .field("kind", &self.kind)
            .field("name", &self.name)
            .field("value", &self.value.as_ref().map(|_| "****"))
            .finish()
    }
}

/// An outbound proxy URL, which may hold credentials: it prints with the password masked.
#[derive(Clone, PartialEq, Eq)]
pub struct ProxyUrl(String);

impl ProxyUrl {
    /// The URL itself, for building the HTTP client only.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// A form safe to show: `http://user:****@host:3128` (or `http://****@host` for a token).
    pub fn masked(&self) -> String {
        let (scheme, rest) = match self.0.split_once("://") {
            Some((scheme, rest)) => (format!("{scheme}://"), rest),
            None => (String::new(), self.0.as_str()),
        };
        match rest.rsplit_once('@') {
            None => self.0.clone(),
            Some((userinfo, host)) => {
                let user = match userinfo.split_once(':') {
                    Some((user, _)) if !user.contains(['/', '?', '#']) => format!("{user}:"),
                    _ => String::new(),
                };
                format!("{scheme}{user}****@{host}")
            }
        }
    }
}

impl fmt::Debug for ProxyUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ProxyUrl({})", self.masked())
    }
}

/// HTTP client settings of a provider, or a group's overrides of them; `None` means not set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HttpSettings {
    /// `User-Agent` sent upstream instead of the client's.
    pub user_agent: Option<String>,
    /// Idle time before TCP keepalive probes; zero switches them off; `None`: the default.
    pub keepalive: Option<Duration>,
    /// Outbound proxy (the environment's `HTTP(S)_PROXY` applies when unset).
    pub proxy: Option<ProxyUrl>,
}

impl HttpSettings {
    /// Keepalive idle time when none is configured.
    pub const DEFAULT_KEEPALIVE: Duration = Duration::from_secs(60);

    /// The keepalive idle time in force; `None` when switched off.
    pub fn keepalive(&self) -> Option<Duration> {
        let d = self.keepalive.unwrap_or(Self::DEFAULT_KEEPALIVE);
        (!d.is_zero()).then_some(d)
    }

    /// These settings with every field `over` sets taken from it (a group's over a provider's).
    pub fn overridden_by(&self, over: &HttpSettings) -> HttpSettings {
        HttpSettings {
            user_agent: over.user_agent.clone().or_else(|| self.user_agent.clone()),
            keepalive: over.keepalive.or(self.keepalive),
            proxy: over.proxy.clone().or_else(|| self.proxy.clone()),
        }
    }
}

/// A provider's auth scheme, and the password when it is `basic`.
pub(super) struct Auth {
    pub(super) scheme: AuthScheme,
    /// The password and where it came from (`basic` only).
    pub(super) password: Option<(Secret, String)>,
}

/// `auth:` of a file-declared provider; `kind` gives the default.
pub(super) fn auth(
    raw: Option<&RawAuth>,
    kind: ProviderKind,
    env: &Env,
    path: &str,
    errors: &mut Errors<'_>,
) -> Auth {
    let path = format!("{path}.auth");
    let plain = |scheme| Auth {
        scheme,
        password: None,
    };
    let bad_scheme = |s: &str, errors: &mut Errors<'_>, at: &str| {
        errors.at(
            at,
            format!(
                "`{s}` is not an auth scheme; use `bearer`, `header:<name>`, `basic` or `none`"
            ),
        );
        plain(kind.default_auth())
    };
    let full = match raw {
        None => return plain(kind.default_auth()),
        Some(RawAuth::Scheme(s)) if s == "basic" => {
            errors.at(
                &path,
                "`basic` needs a username and a password: write `auth: { type: basic, username: ..., password_env: ... }`",
            );
            return plain(kind.default_auth());
        }
        Some(RawAuth::Scheme(s)) => {
            return AuthScheme::parse(s)
                .map(plain)
                .unwrap_or_else(|| bad_scheme(s, errors, &path))
        }
        Some(RawAuth::Full(full)) => full,
    };
    let type_path = format!("{path}.type");
    if full.kind != "basic" {
        let given = [
            ("username", full.username.is_some()),
            ("password", full.password.is_some()),
            ("password_env", full.password_env.is_some()),
            ("password_file", full.password_file.is_some()),
        ];
        for (name, _) in given.iter().filter(|(_, set)| *set) {
            errors.at(
                &format!("{path}.{name}"),
                format!("`{name}` belongs to `type: basic`"),
            );
        }
        return AuthScheme::parse(&full.kind)
            .map(plain)
            .unwrap_or_else(|| bad_scheme(&full.kind, errors, &type_path));
    }
    let username = full.username.clone().unwrap_or_default();
    if username.is_empty() {
        errors.at(&path, "`basic` auth needs a `username`");
    } else if username.contains(':') {
        errors.at(
            &format!("{path}.username"),
            "a Basic auth username cannot contain `:`",
        );
    }
    let reported = errors.list.len();
    let password = secret(
        [
            ("password", full.password.as_deref()),
            ("password_env", full.password_env.as_deref()),
            ("password_file", full.password_file.as_deref()),
        ],
        env,
        &path,
        errors,
    );
    if password.is_none() && errors.list.len() == reported {
        errors.at(
            &path,
            "`basic` auth needs a password: set `password`, `password_env` or `password_file`",
        );
    }
    Auth {
        scheme: AuthScheme::Basic(username),
        password,
    }
}

/// A secret given by at most one of three fields: the value itself, the name of an
/// environment variable, or a file. Returns it with where it came from (never the value).
pub(super) fn secret(
    [(value_key, value), (env_key, var), (file_key, file)]: [(&str, Option<&str>); 3],
    env: &Env,
    path: &str,
    errors: &mut Errors<'_>,
) -> Option<(Secret, String)> {
    if [value, var, file].iter().filter(|v| v.is_some()).count() > 1 {
        errors.at(
            path,
            format!("set only one of `{value_key}`, `{env_key}` and `{file_key}`"),
        );
        return None;
    }
    if let Some(v) = value.filter(|v| !v.is_empty()) {
        return Some((Secret::new(v), "config file".to_owned()));
    }
    if let Some(var) = var {
        return match env.secret(var) {
            Ok(Some((v, origin))) => Some((Secret::new(v), origin)),
            Ok(None) => {
                errors.at(
                    &format!("{path}.{env_key}"),
                    format!("environment variable `{var}` is not set"),
                );
                None
            }
            Err(e) => {
                errors.at(&format!("{path}.{env_key}"), e);
                None
            }
        };
    }
    let file = file?;
    match read_secret_file(file) {
        Ok(v) => Some((Secret::new(v), format!("file {file}"))),
        Err(e) => {
            errors.at(&format!("{path}.{file_key}"), e);
            None
        }
    }
}

/// Headers llmux frames or routes by itself: an operation on them would break the request.
const RESERVED: [&str; 8] = [
    "host",
    "content-length",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "upgrade",
];

/// `header_ops:` of a provider.
pub(super) fn header_ops(
    raw: &[RawHeaderOp],
    path: &str,
    errors: &mut Errors<'_>,
) -> Vec<HeaderOp> {
    let mut out = Vec::with_capacity(raw.len());
    for (i, op) in raw.iter().enumerate() {
        let at = format!("{path}.header_ops[{i}]");
        let kind = match op.op.as_str() {
            "insert" => HeaderOpKind::Insert,
            "replace" => HeaderOpKind::Replace,
            "remove" => HeaderOpKind::Remove,
            other => {
                let hint = super::did_you_mean(other, ["insert", "replace", "remove"])
                    .map(|s| format!(" (did you mean `{s}`?)"))
                    .unwrap_or_default();
                errors.at(
                    &format!("{at}.op"),
                    format!(
                        "unknown header operation `{other}`{hint}; use insert, replace or remove"
                    ),
                );
                continue;
            }
        };
        let name = op.name.to_ascii_lowercase();
        if http::HeaderName::from_bytes(name.as_bytes()).is_err() {
            errors.at(
                &format!("{at}.name"),
                format!("`{}` is not a valid header name", op.name),
            );
            continue;
        }
        if RESERVED.contains(&name.as_str()) {
            errors.at(
                &format!("{at}.name"),
                format!("llmux sets `{name}` itself; a header operation cannot change it"),
            );
            continue;
        }
        match (kind, &op.value) {
            (HeaderOpKind::Remove, Some(_)) => {
                errors.at(&format!("{at}.value"), "`remove` takes no value");
                continue;
            }
            (HeaderOpKind::Insert | HeaderOpKind::Replace, None) => {
                errors.at(&at, format!("`{}` needs a `value`", op.op));
                continue;
            }
            (_, Some(v)) if http::HeaderValue::from_str(v).is_err() => {
                errors.at(
                    &format!("{at}.value"),
                    "the header value contains characters not allowed in a header",
                );
                continue;
            }
            _ => {}
        }
        out.push(HeaderOp {
            kind,
            name,
            value: op.value.clone(),
        });
    }
    out
}

/// Longest keepalive idle time Linux accepts (`TCP_KEEPIDLE` is at most 32767 seconds).
const MAX_KEEPALIVE: Duration = Duration::from_secs(32_767);

/// `http:` of a provider or a group.
pub(super) fn http(raw: Option<&RawHttp>, path: &str, errors: &mut Errors<'_>) -> HttpSettings {
    let Some(raw) = raw else {
        return HttpSettings::default();
    };
    let path = format!("{path}.http");
    let user_agent = raw.user_agent.as_ref().filter(|ua| {
        let ok = !ua.is_empty() && http::HeaderValue::from_str(ua).is_ok();
        if !ok {
            errors.at(
                &format!("{path}.user_agent"),
                "a User-Agent is a non-empty string of characters allowed in a header",
            );
        }
        ok
    });
    let keepalive = match &raw.keepalive {
        None | Some(RawKeepalive::Switch(true)) => None,
        Some(RawKeepalive::Switch(false)) => Some(Duration::ZERO),
        Some(RawKeepalive::Every(h)) => match parse_duration(&h.as_text()) {
            Ok(d) if d.is_zero() || (Duration::from_secs(1)..=MAX_KEEPALIVE).contains(&d) => {
                Some(d)
            }
            Ok(_) => {
                errors.at(
                    &format!("{path}.keepalive"),
                    "the keepalive idle time is between 1s and 32767s, or 0 (or `false`) to switch it off",
                );
                None
            }
            Err(e) => {
                errors.at(&format!("{path}.keepalive"), e);
                None
            }
        },
    };
    HttpSettings {
        user_agent: user_agent.cloned(),
        keepalive,
        proxy: raw
            .proxy
            .as_deref()
            .and_then(|p| proxy(p, &format!("{path}.proxy"), errors)),
    }
}

/// A proxy URL: `http://` or `https://`, a host, credentials allowed. Messages show it masked.
fn proxy(url: &str, path: &str, errors: &mut Errors<'_>) -> Option<ProxyUrl> {
    let url = url.trim();
    // One trailing `/` (an empty path) is fine; `http://` alone is not a URL.
    let url = ProxyUrl(
        url.strip_suffix('/')
            .filter(|u| !u.ends_with('/'))
            .unwrap_or(url)
            .to_owned(),
    );
    let rest = url
        .0
        .strip_prefix("http://")
        .or_else(|| url.0.strip_prefix("https://"));
    let host = rest.map(|r| r.rsplit_once('@').map_or(r, |(_, host)| host));
    let ok = host.is_some_and(|h| !h.is_empty() && !h.contains(['/', '?', '#']))
        && reqwest::Proxy::all(url.expose()).is_ok();
    if !ok {
        errors.at(
            path,
            format!(
                "`{}` is not a proxy URL; write `http://host:port` or `http://user:password@host:port` (percent-encode `/`, `@`, `?` or `#` in a password; SOCKS is not supported)",
                url.masked()
            ),
        );
        return None;
    }
    Some(url)
}
