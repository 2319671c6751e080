//! Key tests: format and entropy of generated keys, hashing, constant-time comparison,
//! the authorize decision table, wildcard matching, credential extraction.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::*;

mod extract;

/// One authorize case: name, key, model, now, expected decision.
type AuthCase = (
    &'static str,
    KeyRecord,
    &'static str,
    SystemTime,
    Result<(), KeyDenied>,
);

#[test]
fn generated_keys_have_the_format_and_are_distinct() {
    let mut seen = HashSet::new();
    let mut ids = HashSet::new();
    let mut counts: HashMap<char, usize> = HashMap::new();
    for _ in 0..1000 {
        let k = generate().unwrap();
        assert!(is_well_formed(&k.secret), "{}", k.secret);
        assert_eq!(k.secret.len(), KEY_PREFIX.len() + KEY_RANDOM_CHARS);
        assert_eq!(k.hash, hash_key(&k.secret));
        assert_eq!(k.prefix, format!("{}…", &k.secret[..KEY_PREFIX.len() + 4]));
        assert!(k.id.starts_with("key_") && k.id.len() == 16, "{}", k.id);
        for c in k.secret[KEY_PREFIX.len()..].chars() {
            *counts.entry(c).or_default() += 1;
        }
        assert!(seen.insert(k.secret));
        assert!(ids.insert(k.id));
    }
    // 32,000 characters over 64 symbols: 500 expected each, standard deviation about 22.
    // A bound of ±150 (~7σ) never fails by chance but catches a biased or stuck source.
    assert_eq!(counts.len(), 64, "every alphabet symbol appears");
    for (c, n) in counts {
        assert!((350..=650).contains(&n), "symbol {c:?} seen {n} times");
    }
}

#[test]
fn key_from_bytes_encodes_url_safe_base64() {
    let k = key_from_bytes(&[0u8; KEY_RANDOM_BYTES], &[0xff; ID_RANDOM_BYTES]);
    assert_eq!(k.secret, format!("llmux-{}", "A".repeat(32)));
    assert_eq!(k.id, format!("key_{}", "_".repeat(12)));
    // 0xfb 0xef 0xbe -> 111110 111110 111110 111110: the two URL-safe symbols `-`/`_`.
    let mut bytes = [0u8; KEY_RANDOM_BYTES];
    bytes[..3].copy_from_slice(&[0xfb, 0xef, 0xbe]);
    bytes[3..6].copy_from_slice(b"Man");
    let k = key_from_bytes(&bytes, &[0; ID_RANDOM_BYTES]);
    assert!(k.secret.starts_with("llmux-----TWFu"), "{}", k.secret);
    assert_eq!(k.prefix, "llmux-----…", "prefix plus four `-` symbols");
    let debug = format!("{k:?}");
    assert!(
        !debug.contains(&k.secret),
        "Debug hides the secret: {debug}"
    );
}

#[test]
fn well_formed_table() {
    let good = format!("llmux-{}", "aZ09-_".repeat(6).get(..32).unwrap_or_default());
    let cases = [
        (good.as_str(), true),
        ("llmux-short", false),
        ("sk-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", false),
        ("llmux-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA+", false),
        ("llmux-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", false),
        ("", false),
    ];
    for (s, want) in cases {
        assert_eq!(is_well_formed(s), want, "{s:?}");
    }
}

#[test]
fn hash_is_sha256_hex_and_round_trips() {
    // FIPS 180-2 test vectors.
    assert_eq!(
        hash_key("abc"),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    assert_eq!(
        hash_key(""),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    let k = generate().unwrap();
    let rec = record(&k);
    assert!(rec.matches(&k.secret));
    let mut other = k.secret.clone();
    other.pop();
    other.push(if k.secret.ends_with('A') { 'B' } else { 'A' });
    assert!(!rec.matches(&other), "one character off is refused");
    assert!(!rec.matches(""));
}

#[test]
fn constant_time_equality_table() {
    let h = hash_key("x");
    let mut last_differs = h.clone();
    last_differs.replace_range(63.., if h.ends_with('0') { "1" } else { "0" });
    let cases = [
        (h.as_str(), h.as_str(), true),
        (h.as_str(), last_differs.as_str(), false),
        (h.as_str(), &h[..63], false),
        (h.as_str(), "", false),
        ("", "", true),
        ("abc", "abd", false),
        ("abc", "ABC", false),
    ];
    for (a, b, want) in cases {
        assert_eq!(digests_equal(a, b), want, "{a:?} vs {b:?}");
        assert_eq!(digests_equal(b, a), want, "symmetric: {b:?} vs {a:?}");
    }
}

fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

fn record(k: &NewKey) -> KeyRecord {
    KeyRecord {
        id: k.id.clone(),
        name: "alice".into(),
        hash: k.hash.clone(),
        prefix: k.prefix.clone(),
        models: vec![],
        rpm: None,
        tpm: None,
        budget_usd: None,
        spent_usd: 0.0,
        expires_at: None,
        revoked: false,
        tags: vec![],
        created_at: at(0),
    }
}

#[test]
fn authorize_decision_table() {
    let base = record(&key_from_bytes(
        &[7; KEY_RANDOM_BYTES],
        &[1; ID_RANDOM_BYTES],
    ));
    let with = |f: &dyn Fn(&mut KeyRecord)| {
        let mut r = base.clone();
        f(&mut r);
        r
    };
    let not_allowed = |m: &str| {
        Err(KeyDenied::ModelNotAllowed {
            model: m.to_owned(),
        })
    };
    let cases: Vec<AuthCase> = vec![
        (
            "plain key, any model",
            base.clone(),
            "gpt-4o",
            at(100),
            Ok(()),
        ),
        (
            "revoked",
            with(&|r| r.revoked = true),
            "gpt-4o",
            at(100),
            Err(KeyDenied::Revoked),
        ),
        (
            "before expiry",
            with(&|r| r.expires_at = Some(at(200))),
            "m",
            at(199),
            Ok(()),
        ),
        (
            "at expiry",
            with(&|r| r.expires_at = Some(at(200))),
            "m",
            at(200),
            Err(KeyDenied::Expired),
        ),
        (
            "after expiry",
            with(&|r| r.expires_at = Some(at(200))),
            "m",
            at(500),
            Err(KeyDenied::Expired),
        ),
        (
            "revoked wins over expired",
            with(&|r| {
                r.revoked = true;
                r.expires_at = Some(at(1));
            }),
            "m",
            at(500),
            Err(KeyDenied::Revoked),
        ),
        (
            "model listed",
            with(&|r| r.models = vec!["gpt-4o".into()]),
            "gpt-4o",
            at(1),
            Ok(()),
        ),
        (
            "model by wildcard",
            with(&|r| r.models = vec!["claude-*".into(), "gpt-*".into()]),
            "gpt-4o-mini",
            at(1),
            Ok(()),
        ),
        (
            "model not listed",
            with(&|r| r.models = vec!["gpt-*".into()]),
            "claude-3",
            at(1),
            not_allowed("claude-3"),
        ),
        (
            "expired wins over model",
            with(&|r| {
                r.models = vec!["a".into()];
                r.expires_at = Some(at(1));
            }),
            "b",
            at(2),
            Err(KeyDenied::Expired),
        ),
        (
            "budget left",
            with(&|r| {
                r.budget_usd = Some(1.0);
                r.spent_usd = 0.99
            }),
            "m",
            at(1),
            Ok(()),
        ),
        (
            "budget exactly spent",
            with(&|r| {
                r.budget_usd = Some(1.0);
                r.spent_usd = 1.0
            }),
            "m",
            at(1),
            Err(KeyDenied::BudgetSpent),
        ),
        (
            "budget overspent",
            with(&|r| {
                r.budget_usd = Some(1.0);
                r.spent_usd = 1.5
            }),
            "m",
            at(1),
            Err(KeyDenied::BudgetSpent),
        ),
        (
            "zero budget",
            with(&|r| r.budget_usd = Some(0.0)),
            "m",
            at(1),
            Err(KeyDenied::BudgetSpent),
        ),
        (
            "model checked before budget",
            with(&|r| {
                r.budget_usd = Some(0.0);
                r.models = vec!["a".into()];
            }),
            "b",
            at(1),
            not_allowed("b"),
        ),
    ];
    for (name, key, model, now, want) in cases {
        assert_eq!(authorize(&key, model, now), want, "{name}");
    }
}

#[test]
fn denials_map_to_provider_statuses_and_say_what_to_fix() {
    let cases = [
        (KeyDenied::Missing, 401, "Authorization: Bearer"),
        (KeyDenied::Invalid, 401, "not a provider key"),
        (KeyDenied::Revoked, 401, "new key"),
        (KeyDenied::Expired, 401, "extend"),
        (
            KeyDenied::ModelNotAllowed {
                model: "gpt-5".into(),
            },
            403,
            "`gpt-5`",
        ),
        (KeyDenied::BudgetSpent, 429, "raise the budget"),
    ];
    for (denied, status, hint) in cases {
        assert_eq!(denied.status(), status, "{denied:?}");
        assert!(denied.to_string().contains(hint), "{denied}");
    }
    assert_eq!(KeyDenied::BudgetSpent.code(), "insufficient_quota");
    assert_eq!(KeyDenied::Invalid.code(), "invalid_api_key");
}

#[test]
fn wildcard_matching_table() {
    let cases = [
        ("gpt-*", "gpt-4o", true),
        ("gpt-*", "gpt-", true),
        ("gpt-*", "gpt", false),
        ("gpt-*", "chatgpt-4o", false),
        ("*-mini", "gpt-4o-mini", true),
        ("*-mini", "gpt-4o-mini-2024", false),
        ("claude-*-sonnet*", "claude-3-5-sonnet-latest", true),
        ("claude-*-sonnet*", "claude-sonnet-4", false),
        ("*", "", true),
        ("*", "anything/at:all", true),
        ("**", "x", true),
        ("a*b*c", "aXbYbZc", true),
        ("a*b*c", "aXbYcZ", false),
        ("gpt-4o", "gpt-4o", true),
        ("gpt-4o", "gpt-4o-mini", false),
        ("gpt-4o", "GPT-4o", false),
        ("", "", true),
        ("", "x", false),
        ("*ü*", "müller", true),
        // A pattern that makes naive backtracking exponential stays quick and correct.
        (
            "*a*a*a*a*a*a*a*a*b",
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            false,
        ),
    ];
    for (p, t, want) in cases {
        assert_eq!(wildcard_match(p, t), want, "{p:?} ~ {t:?}");
    }
}
