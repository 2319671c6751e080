//! Client access on the data plane: the llmux keys the gateway accepts and what each request
//! made with one may do (models, requests and tokens per minute, dollar budget).
//!
//! The binary loads the keys from its key store into a [`KeyRing`] at start-up and refreshes
//! them every few seconds, so `llmux keys create/revoke` on the same data dir takes effect on
//! a running gateway; the ring keeps each key's live state (budget, window) across refreshes.
//! A request is admitted twice: by key alone when it arrives ([`KeyRing::find`] +
//! [`KeyEntry::check_standing`]: known, not revoked, not expired), then for its model once
//! the body is read ([`KeyEntry::admit`]: allowed model, window, budget). The [`Admission`]
//! travels with the request's record and is settled with the real cost and tokens when the
//! record is emitted; a request that ends without a record is charged nothing.

mod request;
#[cfg(test)]
mod tests;

pub use request::{admit, admit_request, refused, tag_request, tags_of, TAG_HEADER};

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant, SystemTime};

use crate::budget::{self, Budget};
use crate::caller::KeyIdentity;
use crate::keys::{authorize, hash_key, KeyDenied, KeyRecord};
use crate::routing::ratelimit::{self, WindowLimiter};

/// Why a request with a key is refused.
#[derive(Debug, Clone, PartialEq)]
pub enum Refusal {
    /// The key itself, or its model or budget (see [`KeyDenied::status`]).
    Denied(KeyDenied),
    /// Over the key's requests or tokens per minute; try again after this long.
    RateLimited(Duration),
}

/// The state of a key that outlives a refresh from the store: its budget and its window.
#[derive(Debug)]
struct Live {
    budget: Budget,
    window: Option<Arc<WindowLimiter>>,
    /// Spend settled since the last [`KeyRing::take_unsaved`], in nano-dollars.
    unsaved_nanos: AtomicU64,
}

/// One key the gateway accepts, with its live state.
#[derive(Debug)]
pub struct KeyEntry {
    /// The key as stored (limits, models, tags, expiry).
    pub record: KeyRecord,
    /// Its id and name, as records carry them.
    pub identity: Arc<KeyIdentity>,
    live: Arc<Live>,
}

/// What one admitted request holds against its key, settled once when the request ends.
#[derive(Debug)]
pub struct Admission {
    live: Arc<Live>,
    pending: Mutex<Option<(Option<budget::Reservation>, Option<ratelimit::Reservation>)>>,
}

impl Admission {
    /// Settles the request: its real cost into the budget (the estimate when `cost_usd` is
    /// unknown) and its real tokens into the window. Only the first call counts.
    pub fn settle(&self, cost_usd: Option<f64>, tokens: u64, now: Instant) {
        self.finish(cost_usd, Some((tokens, now)));
    }

    fn finish(&self, cost_usd: Option<f64>, tokens: Option<(u64, Instant)>) {
        let taken = self
            .pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        let Some((budget, window)) = taken else {
            return;
        };
        if let Some(reservation) = budget {
            let counted = cost_usd.unwrap_or_else(|| reservation.estimate_usd());
            self.live.budget.settle(reservation, cost_usd);
            self.live
                .unsaved_nanos
                .fetch_add(nanos(counted), Ordering::Relaxed);
        }
        // Without the real tokens the window keeps the estimate.
        if let (Some(w), Some(r), Some((tokens, now))) = (&self.live.window, window, tokens) {
            w.settle(r, u32::try_from(tokens).unwrap_or(u32::MAX), now);
        }
    }
}

impl Drop for Admission {
    /// A request that ended without a record failed before any upstream answered (no route,
    /// every member refused or unreachable): nothing was billed, so nothing is charged.
    fn drop(&mut self) {
        self.finish(Some(0.0), None);
    }
}

impl KeyEntry {
    fn new(record: KeyRecord, live: Arc<Live>) -> Self {
        let identity = Arc::new(KeyIdentity {
            id: record.id.clone(),
            name: record.name.clone(),
        });
        KeyEntry {
            record,
            identity,
            live,
        }
    }

    /// Whether the key may be used at all at `now`: not revoked, not expired.
    pub fn check_standing(&self, now: SystemTime) -> Result<(), KeyDenied> {
        if self.record.revoked {
            return Err(KeyDenied::Revoked);
        }
        if self.record.expires_at.is_some_and(|at| now >= at) {
            return Err(KeyDenied::Expired);
        }
        Ok(())
    }

    /// Admits one request for `model`: standing, allowed model, then the key's window (with
    /// `estimated_tokens`) and budget (with `estimate_usd`, 0 for a free model). Nothing is
    /// reserved when the request is refused.
    pub fn admit(
        &self,
        model: &str,
        estimated_tokens: u64,
        estimate_usd: Option<f64>,
        now: SystemTime,
        mono: Instant,
    ) -> Result<Admission, Refusal> {
        // The stored spend is only what was saved; the live budget knows every settled request.
        let mut view = self.record.clone();
        view.spent_usd = self.live.budget.state().spent_usd;
        authorize(&view, model, now).map_err(Refusal::Denied)?;
        let window = match &self.live.window {
            Some(w) => Some(
                w.try_admit(u32::try_from(estimated_tokens).unwrap_or(u32::MAX), mono)
                    .map_err(Refusal::RateLimited)?,
            ),
            None => None,
        };
        // Every key's spend is kept (a key without a budget has an unlimited one). An unknown
        // price reserves nothing: such a request is admitted while the budget is not spent
        // (checked above) and charged whatever its record says.
        let budget = match self.live.budget.reserve(estimate_usd.unwrap_or(0.0)) {
            Ok(b) => b,
            Err(_) => {
                // The refused request still counts as a request in the window, with no tokens.
                if let (Some(w), Some(r)) = (&self.live.window, window) {
                    w.settle(r, 0, mono);
                }
                return Err(Refusal::Denied(KeyDenied::BudgetSpent));
            }
        };
        Ok(Admission {
            live: Arc::clone(&self.live),
            pending: Mutex::new(Some((Some(budget), window))),
        })
    }

    /// Dollars this key has spent, settled requests included.
    pub fn spent_usd(&self) -> f64 {
        self.live.budget.state().spent_usd
    }
}

/// The keys the gateway accepts, by hash.
#[derive(Debug, Default)]
pub struct KeyRing {
    by_hash: RwLock<HashMap<String, Arc<KeyEntry>>>,
}

impl KeyRing {
    /// An empty ring (every key refused).
    pub fn new() -> Self {
        Self::default()
    }

    /// The entry of the key a client presented, if the gateway knows it. The key is hashed
    /// and the stored digest compared in constant time.
    pub fn find(&self, presented: &str) -> Option<Arc<KeyEntry>> {
        let hash = hash_key(presented);
        let map = self.by_hash.read().unwrap_or_else(|e| e.into_inner());
        map.get(&hash)
            .filter(|entry| entry.record.matches(presented))
            .cloned()
    }

    /// Replaces the keys with `records` (a refresh from the store). A key already known keeps
    /// its budget (with the new limit) and, when its per-minute limits did not change, its
    /// window; a new key starts from the spend the store has.
    pub fn load(&self, records: Vec<KeyRecord>) {
        let mut map = self.by_hash.write().unwrap_or_else(|e| e.into_inner());
        let old: HashMap<String, Arc<KeyEntry>> = map
            .drain()
            .map(|(_, entry)| (entry.record.id.clone(), entry))
            .collect();
        for record in records {
            let live = match old.get(&record.id) {
                Some(prev) => {
                    prev.live.budget.set_limit(limit(record.budget_usd));
                    let same_window =
                        prev.record.rpm == record.rpm && prev.record.tpm == record.tpm;
                    if same_window {
                        Arc::clone(&prev.live)
                    } else {
                        Arc::new(Live {
                            budget: prev.live.budget.clone(),
                            window: window(&record),
                            unsaved_nanos: AtomicU64::new(
                                prev.live.unsaved_nanos.swap(0, Ordering::Relaxed),
                            ),
                        })
                    }
                }
                None => Arc::new(Live {
                    budget: Budget::with_spent(limit(record.budget_usd), record.spent_usd),
                    window: window(&record),
                    unsaved_nanos: AtomicU64::new(0),
                }),
            };
            map.insert(record.hash.clone(), Arc::new(KeyEntry::new(record, live)));
        }
    }

    /// Spend settled since the last call, per key id (in dollars), for the store to add.
    /// Keys with nothing new are left out.
    pub fn take_unsaved(&self) -> Vec<(String, f64)> {
        let map = self.by_hash.read().unwrap_or_else(|e| e.into_inner());
        map.values()
            .filter_map(|e| {
                let n = e.live.unsaved_nanos.swap(0, Ordering::Relaxed);
                (n > 0).then(|| (e.record.id.clone(), n as f64 / 1e9))
            })
            .collect()
    }

    /// The live spend of the key with this id, if the ring holds it.
    pub fn spent_of(&self, id: &str) -> Option<f64> {
        let map = self.by_hash.read().unwrap_or_else(|e| e.into_inner());
        map.values()
            .find(|e| e.record.id == id)
            .map(|e| e.spent_usd())
    }

    /// Gives back spend that could not be saved, so the next call retries it.
    pub fn return_unsaved(&self, id: &str, usd: f64) {
        let map = self.by_hash.read().unwrap_or_else(|e| e.into_inner());
        if let Some(e) = map.values().find(|e| e.record.id == id) {
            e.live
                .unsaved_nanos
                .fetch_add(nanos(usd), Ordering::Relaxed);
        }
    }

    /// How many keys the ring holds.
    pub fn len(&self) -> usize {
        self.by_hash.read().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// Whether the ring holds no key.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A budget's limit; no budget is an unlimited one.
fn limit(budget_usd: Option<f64>) -> f64 {
    budget_usd.unwrap_or(f64::INFINITY)
}

fn window(record: &KeyRecord) -> Option<Arc<WindowLimiter>> {
    if record.rpm.is_none() && record.tpm.is_none() {
        return None;
    }
    let tpm = record.tpm.map(|t| u32::try_from(t).unwrap_or(u32::MAX));
    Some(Arc::new(WindowLimiter::new(record.rpm, tpm)))
}

fn nanos(usd: f64) -> u64 {
    if usd.is_finite() && usd > 0.0 {
        (usd * 1e9).round() as u64
    } else {
        0
    }
}
