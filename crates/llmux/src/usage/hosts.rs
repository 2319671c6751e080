//! Client host names for usage rows (`usage.reverse_dns`, seed 004): the client address's
//! reverse-DNS name, looked up on the usage writer thread (never on the request path) and
//! kept for an hour, misses included, so each address costs one lookup an hour at most.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use llmux_store::UsageRow;

/// How long a name (or the lack of one) is kept.
const KEEP: Duration = Duration::from_secs(3600);

/// Most addresses remembered; past it the cache starts over.
const MAX_ENTRIES: usize = 10_000;

/// A reverse lookup: the address's name, `None` when it has none.
pub type Lookup = fn(&IpAddr) -> Option<String>;

/// Remembered reverse-DNS names by client address.
pub struct HostNames {
    lookup: Lookup,
    cache: HashMap<IpAddr, (Instant, Option<String>)>,
}

impl HostNames {
    /// A cache over the system resolver.
    pub fn system() -> Self {
        Self::with_lookup(system_lookup)
    }

    /// A cache over `lookup` (tests pass their own).
    pub fn with_lookup(lookup: Lookup) -> Self {
        HostNames {
            lookup,
            cache: HashMap::new(),
        }
    }

    /// The name of `ip` at `now`, from the cache or a fresh lookup.
    pub fn name(&mut self, ip: IpAddr, now: Instant) -> Option<String> {
        if let Some((at, name)) = self.cache.get(&ip) {
            if now.saturating_duration_since(*at) < KEEP {
                return name.clone();
            }
        }
        if self.cache.len() >= MAX_ENTRIES {
            self.cache.clear();
        }
        let name = (self.lookup)(&ip);
        self.cache.insert(ip, (now, name.clone()));
        name
    }

    /// Fills the row's `client_host` from its `client_ip`, when it has one and no host yet.
    pub fn fill(&mut self, row: &mut UsageRow) {
        if row.client_host.is_some() {
            return;
        }
        if let Some(ip) = row.client_ip.as_deref().and_then(|s| s.parse().ok()) {
            row.client_host = self.name(ip, Instant::now());
        }
    }
}

/// The system resolver's name for `ip`; an answer that is just the address is no name.
fn system_lookup(ip: &IpAddr) -> Option<String> {
    let name = dns_lookup::lookup_addr(ip).ok()?;
    (name != ip.to_string() && !name.is_empty()).then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    static CALLS: AtomicUsize = AtomicUsize::new(0);

    fn fake(ip: &IpAddr) -> Option<String> {
        CALLS.fetch_add(1, Ordering::SeqCst);
        match ip.to_string().as_str() {
            "10.0.0.1" => Some("build-box.lan".into()),
            _ => None,
        }
    }

    #[test]
    fn names_hits_and_misses_are_cached_for_an_hour() {
        let mut hosts = HostNames::with_lookup(fake);
        let t0 = Instant::now();
        let known: IpAddr = "10.0.0.1".parse().unwrap();
        let unknown: IpAddr = "10.0.0.2".parse().unwrap();
        let before = CALLS.load(Ordering::SeqCst);
        assert_eq!(hosts.name(known, t0).as_deref(), Some("build-box.lan"));
        assert_eq!(hosts.name(unknown, t0), None);
        assert_eq!(
            hosts.name(known, t0 + Duration::from_secs(60)).as_deref(),
            Some("build-box.lan")
        );
        assert_eq!(hosts.name(unknown, t0 + Duration::from_secs(60)), None);
        assert_eq!(
            CALLS.load(Ordering::SeqCst) - before,
            2,
            "one lookup per address"
        );
        hosts.name(known, t0 + KEEP);
        assert_eq!(
            CALLS.load(Ordering::SeqCst) - before,
            3,
            "looked up again after an hour"
        );
    }

    #[test]
    fn fill_sets_the_host_of_rows_with_an_address_only() {
        let mut hosts = HostNames::with_lookup(fake);
        let mut row = UsageRow {
            client_ip: Some("10.0.0.1".into()),
            ..UsageRow::default()
        };
        hosts.fill(&mut row);
        assert_eq!(row.client_host.as_deref(), Some("build-box.lan"));
        let mut none = UsageRow::default();
        hosts.fill(&mut none);
        assert_eq!(none.client_host, None);
        let mut bad = UsageRow {
            client_ip: Some("not an address".into()),
            ..UsageRow::default()
        };
        hosts.fill(&mut bad);
        assert_eq!(bad.client_host, None);
    }
}
