//! Who may call the admin listener: a Bearer token, the admin password (HTTP Basic or a
//! session from `POST /api/v1/login`), or anyone on a loopback listener with no credentials
//! configured. Secrets are compared as SHA-256 digests in constant time; failed attempts are
//! rate limited per client IP. The decisions are pure (`now` injected); [`guard`] is the axum
//! layer that applies them and hands mutating calls to the audit log.

mod layer;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::header::AUTHORIZATION;
use axum::http::HeaderMap;
use base64::Engine as _;
use llmux_engine::config::AdminConfig;
use llmux_engine::keys::{digests_equal, hash_key};
use llmux_engine::routing::ratelimit::TokenBucket;
use llmux_store::{AdminStore, PasswordRow, StoreError};

pub use layer::{client_ip, denial, guard, AdminPlane};

/// The one admin user name (HTTP Basic `admin:<password>`).
pub const ADMIN_USER: &str = "admin";
/// How long a login session lasts.
pub const SESSION_TTL: Duration = Duration::from_secs(12 * 3600);
/// Failed attempts a client IP may make in a burst...
pub const FAILURE_BURST: u32 = 5;
/// ...and how many more it earns per second afterwards (one every six seconds).
pub const FAILURE_REFILL_PER_SEC: f64 = 1.0 / 6.0;
/// Client IPs whose failures are remembered; beyond it, forgiven IPs are forgotten first.
const MAX_TRACKED_IPS: usize = 10_000;
/// Live sessions kept; beyond it, expired ones are dropped, then the oldest.
const MAX_SESSIONS: usize = 10_000;

/// Who made an admin call, as the audit log names them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Who {
    /// The admin Bearer token.
    Token,
    /// The admin password, over HTTP Basic.
    Password(String),
    /// A session opened by `POST /api/v1/login`.
    Session(String),
    /// Nobody in particular: a loopback listener without credentials, or a login attempt.
    Anonymous,
}

impl Who {
    /// The audit log's form: `token`, `password:admin`, `session:admin`, `anonymous`.
    pub fn label(&self) -> String {
        match self {
            Who::Token => "token".to_owned(),
            Who::Password(u) => format!("password:{u}"),
            Who::Session(u) => format!("session:{u}"),
            Who::Anonymous => "anonymous".to_owned(),
        }
    }
}

/// The decision on one request's credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Let it through.
    Allow(Who),
    /// No credentials: 401.
    Missing,
    /// Wrong credentials: 403.
    Wrong,
    /// Too many failures from this IP: 429, retry after this long.
    Limited(Duration),
}

/// A password as kept in memory and in the store: salt and SHA-256 of salt + password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPassword {
    /// Random salt.
    pub salt: String,
    /// `hash_password(salt, password)`.
    pub hash: String,
}

/// Salted SHA-256 of a password, lowercase hex.
pub fn hash_password(salt: &str, password: &str) -> String {
    hash_key(&format!("{salt}\u{0}{password}"))
}

/// 192 bits from the OS CSPRNG, URL-safe: for passwords, salts and session tokens.
pub fn random_secret() -> Result<String, getrandom::Error> {
    let key = llmux_engine::keys::generate()?;
    Ok(key
        .secret
        .strip_prefix("llmux-")
        .unwrap_or(&key.secret)
        .to_owned())
}

impl StoredPassword {
    /// Hashes `password` with a fresh salt.
    pub fn new(password: &str) -> Result<Self, getrandom::Error> {
        let salt = random_secret()?;
        let hash = hash_password(&salt, password);
        Ok(StoredPassword { salt, hash })
    }

    /// Whether `password` is this one (digests compared in constant time).
    pub fn matches(&self, password: &str) -> bool {
        digests_equal(&hash_password(&self.salt, password), &self.hash)
    }
}

/// The admin listener's credentials and the state of its sessions and failure buckets.
#[derive(Debug)]
pub struct AdminAuth {
    token_hash: Option<String>,
    password: Option<StoredPassword>,
    open: bool,
    protect_metrics: bool,
    sessions: Mutex<HashMap<String, Instant>>,
    failures: Mutex<HashMap<IpAddr, TokenBucket>>,
}

impl AdminAuth {
    /// Credentials as given. With neither a token nor a password, `open` decides whether
    /// everyone is let in (a loopback listener) or no one.
    pub fn new(
        token: Option<&str>,
        password: Option<StoredPassword>,
        open: bool,
        protect_metrics: bool,
    ) -> Self {
        let token_hash = token.map(hash_key);
        let open = open && token_hash.is_none() && password.is_none();
        AdminAuth {
            token_hash,
            password,
            open,
            protect_metrics,
            sessions: Mutex::default(),
            failures: Mutex::default(),
        }
    }

    /// No credentials, everyone let in (tests, loopback).
    pub fn open() -> Self {
        Self::new(None, None, true, false)
    }

    /// Whether calls are let in without credentials.
    pub fn is_open(&self) -> bool {
        self.open
    }

    /// Whether a password (configured or generated) is accepted.
    pub fn has_password(&self) -> bool {
        self.password.is_some()
    }

    /// Whether `path` needs credentials: everything under `/api/v1/` but the login itself
    /// and the docs page (static HTML holding no data, so a browser can open it and type a
    /// token in), and `/metrics` when protected; `/health` and `/ready` never.
    pub fn protects(&self, path: &str) -> bool {
        (path.starts_with("/api/v1/") && path != LOGIN_PATH && path != DOCS_PATH)
            || (path == "/metrics" && self.protect_metrics)
    }

    /// Decides on a request's `Authorization` header from client `ip` at `now`.
    pub fn check(&self, headers: &HeaderMap, ip: IpAddr, now: Instant) -> Verdict {
        if self.open {
            return Verdict::Allow(Who::Anonymous);
        }
        if let Some(wait) = self.blocked(ip, now) {
            return Verdict::Limited(wait);
        }
        let Some(value) = headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok()) else {
            return Verdict::Missing;
        };
        let who = match value.split_once(' ') {
            Some((scheme, rest)) if scheme.eq_ignore_ascii_case("bearer") => {
                self.bearer(rest.trim(), now)
            }
            Some((scheme, rest)) if scheme.eq_ignore_ascii_case("basic") => self.basic(rest.trim()),
            _ => None,
        };
        match who {
            Some(who) => Verdict::Allow(who),
            None => self.failed(ip, now),
        }
    }

    /// `POST /api/v1/login`: a new session token for the right password.
    pub fn login(&self, password: &str, ip: IpAddr, now: Instant) -> Result<String, Verdict> {
        if let Some(wait) = self.blocked(ip, now) {
            return Err(Verdict::Limited(wait));
        }
        match &self.password {
            Some(p) if p.matches(password) => {
                let token = random_secret().map_err(|_| Verdict::Wrong)?;
                self.add_session(hash_key(&token), now + SESSION_TTL, now);
                Ok(token)
            }
            _ => Err(self.failed(ip, now)),
        }
    }

    fn bearer(&self, presented: &str, now: Instant) -> Option<Who> {
        let digest = hash_key(presented);
        if let Some(t) = &self.token_hash {
            if digests_equal(&digest, t) {
                return Some(Who::Token);
            }
        }
        // A map lookup by digest: the digest of a guess says nothing about a real token.
        let sessions = self.sessions.lock().unwrap_or_else(|e| e.into_inner());
        match sessions.get(&digest) {
            Some(&expiry) if expiry > now => Some(Who::Session(ADMIN_USER.to_owned())),
            _ => None,
        }
    }

    fn basic(&self, encoded: &str) -> Option<Who> {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .ok()?;
        let text = String::from_utf8(decoded).ok()?;
        let (user, password) = text.split_once(':')?;
        let stored = self.password.as_ref()?;
        // Both checks always run, so the user name's correctness does not show in the time.
        let user_ok = digests_equal(&hash_key(user), &hash_key(ADMIN_USER));
        (stored.matches(password) && user_ok).then(|| Who::Password(ADMIN_USER.to_owned()))
    }

    fn add_session(&self, digest: String, expiry: Instant, now: Instant) {
        let mut sessions = self.sessions.lock().unwrap_or_else(|e| e.into_inner());
        if sessions.len() >= MAX_SESSIONS {
            sessions.retain(|_, e| *e > now);
        }
        if sessions.len() >= MAX_SESSIONS {
            if let Some(oldest) = sessions
                .iter()
                .min_by_key(|(_, e)| **e)
                .map(|(k, _)| k.clone())
            {
                sessions.remove(&oldest);
            }
        }
        sessions.insert(digest, expiry);
    }

    /// `Some(wait)` when `ip` has no failure left to spend.
    fn blocked(&self, ip: IpAddr, now: Instant) -> Option<Duration> {
        let failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let bucket = failures.get(&ip)?;
        if bucket.available(now) >= 1.0 {
            return None;
        }
        let missing = 1.0 - bucket.available(now);
        Some(Duration::from_secs_f64(missing / FAILURE_REFILL_PER_SEC).max(Duration::from_secs(1)))
    }

    /// Spends one failure of `ip`: 403, or 429 when that was its last.
    fn failed(&self, ip: IpAddr, now: Instant) -> Verdict {
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if failures.len() >= MAX_TRACKED_IPS && !failures.contains_key(&ip) {
            failures.retain(|_, b| !b.is_full(now));
        }
        let bucket = failures
            .entry(ip)
            .or_insert_with(|| TokenBucket::new(FAILURE_REFILL_PER_SEC, FAILURE_BURST));
        match bucket.try_take(1.0, now) {
            Ok(()) => Verdict::Wrong,
            Err(wait) => Verdict::Limited(wait.max(Duration::from_secs(1))),
        }
    }
}

/// The login route's path (open: it is how credentials are obtained).
pub const LOGIN_PATH: &str = "/api/v1/login";
/// The docs page's path (open: static HTML).
pub const DOCS_PATH: &str = "/api/v1/docs";

/// Builds the admin listener's auth at start-up. With no token and no password on a
/// non-loopback listener, a password is generated: its salted hash goes to `store` (when
/// there is one) and the password is returned once, for the caller to print; a hash already
/// stored by an earlier start is used instead (and nothing is returned).
pub fn setup(
    config: &AdminConfig,
    loopback: bool,
    store: Option<&dyn AdminStore>,
    now_ms: i64,
) -> Result<(AdminAuth, Option<String>), SetupError> {
    let token = config.token.as_ref().map(|t| t.expose());
    let configured = match &config.password {
        Some(p) => Some(StoredPassword::new(p.expose())?),
        None => None,
    };
    if config.has_credentials() || loopback {
        let auth = AdminAuth::new(token, configured, loopback, config.protect_metrics);
        return Ok((auth, None));
    }
    if let Some(row) = store.map(|s| s.password(ADMIN_USER)).transpose()?.flatten() {
        let stored = StoredPassword {
            salt: row.salt,
            hash: row.hash,
        };
        return Ok((
            AdminAuth::new(None, Some(stored), false, config.protect_metrics),
            None,
        ));
    }
    let password = random_secret()?;
    let stored = StoredPassword::new(&password)?;
    if let Some(s) = store {
        s.set_password(&PasswordRow {
            user: ADMIN_USER.to_owned(),
            salt: stored.salt.clone(),
            hash: stored.hash.clone(),
            created_at_ms: now_ms,
        })?;
    }
    let auth = AdminAuth::new(None, Some(stored), false, config.protect_metrics);
    Ok((auth, Some(password)))
}

/// Why [`setup`] failed.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// The OS random source failed.
    #[error("cannot draw random bytes: {0}")]
    Random(#[from] getrandom::Error),
    /// The admin tables could not be read or written.
    #[error("admin store: {0}")]
    Store(#[from] StoreError),
}
