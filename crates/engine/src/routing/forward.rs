//! A data-plane listener's own policy (seed 002's "forward"): its path rules onto groups, its
//! default group, and its rate limits per client IP and for the whole listener. The main
//! listener has one too, with limits only.

use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::path::PathRouter;
use super::ratelimit::{KeyedLimiter, TokenBucket};
use crate::config::{BucketSettings, ForwardConfig};

/// Client IPs tracked per listener before idle ones are evicted.
const MAX_CLIENTS: usize = 100_000;

/// The name under which the main listener's policy is kept.
pub const MAIN: &str = "main";

/// Which limit refused a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limited {
    /// The client IP's bucket.
    ClientIp,
    /// The listener's own bucket.
    Forward,
}

impl Limited {
    /// Metric label.
    pub fn as_str(self) -> &'static str {
        match self {
            Limited::ClientIp => "client_ip",
            Limited::Forward => "forward",
        }
    }
}

/// A listener's token buckets; kept across reloads while their settings do not change.
pub struct ForwardLimits {
    per_ip: Option<KeyedLimiter<IpAddr>>,
    total: Option<Mutex<TokenBucket>>,
    settings: (Option<BucketSettings>, Option<BucketSettings>),
}

impl ForwardLimits {
    /// Buckets for these settings (`None`: unlimited).
    pub fn new(per_ip: Option<BucketSettings>, total: Option<BucketSettings>) -> Self {
        ForwardLimits {
            per_ip: per_ip.map(|b| KeyedLimiter::new(b.per_second, b.burst, MAX_CLIENTS)),
            total: total.map(|b| Mutex::new(TokenBucket::new(b.per_second, b.burst))),
            settings: (per_ip, total),
        }
    }

    /// Whether these buckets implement `settings`.
    pub fn same_settings(
        &self,
        per_ip: Option<BucketSettings>,
        total: Option<BucketSettings>,
    ) -> bool {
        self.settings == (per_ip, total)
    }

    /// Takes one request from the client's bucket, then the listener's; on refusal, which
    /// limit and how long until a request would pass.
    pub fn check(&self, client: IpAddr, now: Instant) -> Result<(), (Limited, Duration)> {
        if let Some(per_ip) = &self.per_ip {
            per_ip
                .check(&client, now)
                .map_err(|wait| (Limited::ClientIp, wait))?;
        }
        if let Some(total) = &self.total {
            let mut bucket = total.lock().unwrap_or_else(|e| e.into_inner());
            bucket
                .try_take(1.0, now)
                .map_err(|wait| (Limited::Forward, wait))?;
        }
        Ok(())
    }
}

/// A listener's compiled policy.
pub struct Forward {
    /// Name (`main` for the main listener).
    pub name: String,
    router: Option<PathRouter<String>>,
    default_group: Option<String>,
    /// Its rate limits.
    pub limits: Arc<ForwardLimits>,
}

impl std::fmt::Debug for Forward {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Forward").field("name", &self.name).finish()
    }
}

impl Forward {
    /// Compiles a forward (path rules were validated with the configuration).
    pub fn build(config: &ForwardConfig, limits: Arc<ForwardLimits>) -> Forward {
        let router = (!config.routing.is_empty())
            .then(|| PathRouter::new(config.routing.clone()).ok())
            .flatten();
        Forward {
            name: config.name.clone(),
            router,
            default_group: config.default_group.clone(),
            limits,
        }
    }

    /// The main listener's policy: limits only, the model name always decides.
    pub fn main(limits: Arc<ForwardLimits>) -> Forward {
        Forward {
            name: MAIN.to_owned(),
            router: None,
            default_group: None,
            limits,
        }
    }

    /// The group that must serve a request on `path`, if the listener decides rather than
    /// the model name: the first rule matching the path, else the default group.
    pub fn group_for(&self, path: &str) -> Option<&str> {
        self.router
            .as_ref()
            .and_then(|r| r.route(path))
            .or(self.default_group.as_ref())
            .map(String::as_str)
    }
}
