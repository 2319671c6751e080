//! Key ring and admission: lookup by presented key, standing, models, windows, budgets and
//! how live state survives a refresh.

use std::time::{Duration, Instant, SystemTime};

use super::*;
use crate::keys::key_from_bytes;

fn record(seed: u8, budget_usd: Option<f64>) -> (String, KeyRecord) {
    let made = key_from_bytes(&[seed; 24], &[seed; 9]);
    let record = KeyRecord {
        id: made.id.clone(),
        name: format!("key-{seed}"),
        hash: made.hash.clone(),
        prefix: made.prefix.clone(),
        models: Vec::new(),
        rpm: None,
        tpm: None,
        budget_usd,
        spent_usd: 0.0,
        expires_at: None,
        revoked: false,
        tags: Vec::new(),
        created_at: SystemTime::UNIX_EPOCH,
    };
    (made.secret, record)
}

fn ring_of(records: Vec<KeyRecord>) -> KeyRing {
    let ring = KeyRing::new();
    ring.load(records);
    ring
}

#[test]
fn finds_only_the_presented_key() {
    let (secret, r) = record(1, None);
    let (other, _) = record(2, None);
    let ring = ring_of(vec![r]);
    assert_eq!(ring.find(&secret).unwrap().identity.name, "key-1");
    assert!(ring.find(&other).is_none());
    assert!(ring.find("").is_none());
    assert!(ring.find(&secret[..secret.len() - 1]).is_none());
}

#[test]
fn standing_refuses_revoked_and_expired_keys() {
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1000);
    let cases = [
        (false, None, Ok(())),
        (true, None, Err(KeyDenied::Revoked)),
        (false, Some(999), Err(KeyDenied::Expired)),
        (false, Some(1000), Err(KeyDenied::Expired)),
        (false, Some(1001), Ok(())),
    ];
    for (revoked, expires, want) in cases {
        let (secret, mut r) = record(3, None);
        r.revoked = revoked;
        r.expires_at = expires.map(|s| SystemTime::UNIX_EPOCH + Duration::from_secs(s));
        let entry = ring_of(vec![r]).find(&secret).unwrap();
        assert_eq!(
            entry.check_standing(now),
            want,
            "revoked {revoked}, expires {expires:?}"
        );
    }
}

#[test]
fn admit_checks_models_then_window_then_budget() {
    let now = SystemTime::UNIX_EPOCH;
    let mono = Instant::now();
    let (secret, mut r) = record(4, Some(1.0));
    r.models = vec!["gpt-*".into()];
    r.rpm = Some(2);
    let entry = ring_of(vec![r]).find(&secret).unwrap();
    assert_eq!(
        entry
            .admit("claude-x", 10, Some(0.1), now, mono)
            .unwrap_err(),
        Refusal::Denied(KeyDenied::ModelNotAllowed {
            model: "claude-x".into()
        })
    );
    let a = entry.admit("gpt-4o", 10, Some(0.1), now, mono).unwrap();
    let b = entry.admit("gpt-4o", 10, Some(0.1), now, mono).unwrap();
    assert!(matches!(
        entry.admit("gpt-4o", 10, Some(0.1), now, mono),
        Err(Refusal::RateLimited(wait)) if wait > Duration::ZERO && wait <= Duration::from_secs(61)
    ));
    a.settle(Some(0.05), 12, mono);
    b.settle(None, 12, mono);
    // 0.05 real + 0.1 estimate (unknown cost) spent.
    assert!((entry.spent_usd() - 0.15).abs() < 1e-9);
}

#[test]
fn a_budget_for_ten_admits_ten_however_many_arrive() {
    let (secret, r) = record(5, Some(10.0));
    let entry = ring_of(vec![r]).find(&secret).unwrap();
    let mono = Instant::now();
    let admitted: Vec<Admission> = (0..200)
        .filter_map(|_| {
            entry
                .admit("m", 1, Some(1.0), SystemTime::UNIX_EPOCH, mono)
                .ok()
        })
        .collect();
    assert_eq!(admitted.len(), 10);
    for a in &admitted {
        a.settle(Some(1.0), 1, mono);
        a.settle(Some(1.0), 1, mono); // a second settle counts nothing
    }
    assert!((entry.spent_usd() - 10.0).abs() < 1e-9);
    assert_eq!(
        entry
            .admit("m", 1, Some(1.0), SystemTime::UNIX_EPOCH, mono)
            .unwrap_err(),
        Refusal::Denied(KeyDenied::BudgetSpent)
    );
    // A free (local) model never trips a spent budget... but a spent budget is refused by
    // `authorize` before any estimate is looked at.
    assert!(entry
        .admit("m", 1, Some(0.0), SystemTime::UNIX_EPOCH, mono)
        .is_err());
}

#[test]
fn refresh_keeps_live_spend_and_applies_new_limits_and_revocation() {
    let (secret, r) = record(6, Some(5.0));
    let ring = ring_of(vec![r.clone()]);
    let mono = Instant::now();
    let entry = ring.find(&secret).unwrap();
    entry
        .admit("m", 1, Some(2.0), SystemTime::UNIX_EPOCH, mono)
        .unwrap()
        .settle(Some(2.0), 1, mono);
    assert_eq!(ring.take_unsaved(), vec![(r.id.clone(), 2.0)]);
    assert!(ring.take_unsaved().is_empty(), "taken once");

    // The store now says spent 2.0 (saved) and the operator lowered the budget to 2.5.
    let mut changed = r.clone();
    changed.spent_usd = 2.0;
    changed.budget_usd = Some(2.5);
    ring.load(vec![changed.clone()]);
    let entry = ring.find(&secret).unwrap();
    assert!(
        (entry.spent_usd() - 2.0).abs() < 1e-9,
        "spend not counted twice"
    );
    assert!(entry
        .admit("m", 1, Some(1.0), SystemTime::UNIX_EPOCH, mono)
        .is_err());

    changed.revoked = true;
    ring.load(vec![changed]);
    assert_eq!(
        ring.find(&secret)
            .unwrap()
            .check_standing(SystemTime::UNIX_EPOCH),
        Err(KeyDenied::Revoked)
    );
    ring.load(Vec::new());
    assert!(ring.find(&secret).is_none(), "a deleted key is gone");
}

#[test]
fn unsaved_spend_can_be_given_back() {
    let (secret, r) = record(7, None);
    let ring = ring_of(vec![r.clone()]);
    let mono = Instant::now();
    ring.find(&secret)
        .unwrap()
        .admit("m", 1, Some(0.5), SystemTime::UNIX_EPOCH, mono)
        .unwrap()
        .settle(Some(0.25), 1, mono);
    let taken = ring.take_unsaved();
    assert_eq!(taken, vec![(r.id.clone(), 0.25)]);
    ring.return_unsaved(&r.id, 0.25);
    assert_eq!(ring.take_unsaved(), vec![(r.id, 0.25)]);
}

#[test]
fn a_dropped_admission_charges_nothing_and_frees_its_reservation() {
    let (secret, r) = record(8, Some(1.0));
    let entry = ring_of(vec![r]).find(&secret).unwrap();
    let mono = Instant::now();
    let a = entry
        .admit("m", 1, Some(0.6), SystemTime::UNIX_EPOCH, mono)
        .unwrap();
    assert!(entry
        .admit("m", 1, Some(0.6), SystemTime::UNIX_EPOCH, mono)
        .is_err());
    drop(a);
    assert_eq!(entry.spent_usd(), 0.0);
    assert!(entry
        .admit("m", 1, Some(0.6), SystemTime::UNIX_EPOCH, mono)
        .is_ok());
}
