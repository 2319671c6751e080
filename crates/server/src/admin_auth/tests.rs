//! Admin auth decisions, table-driven with an injected clock: token, Basic password,
//! sessions and their expiry, 401 vs 403, failure rate limit per IP, and start-up setup.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, HeaderValue};
use base64::Engine as _;
use llmux_engine::config::{AdminConfig, Secret};
use llmux_store::{AdminStore, SqliteStore};

use super::*;

const TOKEN: &str = "admin-token-0123456789";
const PASSWORD: &str = "correct horse battery";

fn ip(last: u8) -> IpAddr {
    IpAddr::from([10, 0, 0, last])
}

fn bearer(v: &str) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert(
        AUTHORIZATION,
        HeaderValue::from_str(&format!("Bearer {v}")).unwrap(),
    );
    h
}

fn basic(user: &str, password: &str) -> HeaderMap {
    let enc = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    let mut h = HeaderMap::new();
    h.insert(
        AUTHORIZATION,
        HeaderValue::from_str(&format!("Basic {enc}")).unwrap(),
    );
    h
}

fn auth() -> AdminAuth {
    AdminAuth::new(
        Some(TOKEN),
        Some(StoredPassword::new(PASSWORD).unwrap()),
        false,
        false,
    )
}

#[test]
fn credentials_matrix() {
    let a = auth();
    let now = Instant::now();
    let cases: Vec<(&str, HeaderMap, Verdict)> = vec![
        ("no header", HeaderMap::new(), Verdict::Missing),
        ("right token", bearer(TOKEN), Verdict::Allow(Who::Token)),
        (
            "wrong token",
            bearer("admin-token-0123456788"),
            Verdict::Wrong,
        ),
        (
            "right basic",
            basic("admin", PASSWORD),
            Verdict::Allow(Who::Password("admin".into())),
        ),
        ("wrong password", basic("admin", "nope"), Verdict::Wrong),
        ("wrong user", basic("root", PASSWORD), Verdict::Wrong),
        ("password as bearer", bearer(PASSWORD), Verdict::Wrong),
        (
            "unknown scheme",
            {
                let mut h = HeaderMap::new();
                h.insert(AUTHORIZATION, HeaderValue::from_static("Digest x"));
                h
            },
            Verdict::Wrong,
        ),
    ];
    // A distinct IP per case, so failures do not add up across rows.
    for (i, (name, headers, want)) in cases.into_iter().enumerate() {
        let got = a.check(&headers, ip(u8::try_from(i).unwrap()), now);
        assert_eq!(got, want, "{name}");
    }
}

#[test]
fn sessions_work_until_they_expire() {
    let a = auth();
    let t0 = Instant::now();
    let token = a.login(PASSWORD, ip(1), t0).unwrap();
    assert_eq!(
        a.check(&bearer(&token), ip(1), t0),
        Verdict::Allow(Who::Session("admin".into()))
    );
    let late = t0 + SESSION_TTL + Duration::from_secs(1);
    assert_eq!(a.check(&bearer(&token), ip(2), late), Verdict::Wrong);
    assert_eq!(a.login("wrong", ip(3), t0), Err(Verdict::Wrong));
}

#[test]
fn failures_are_limited_per_ip_and_recover() {
    let a = auth();
    let t0 = Instant::now();
    for i in 0..FAILURE_BURST {
        assert_eq!(
            a.check(&bearer("bad"), ip(1), t0),
            Verdict::Wrong,
            "failure {i}"
        );
    }
    // Over: even the right token is refused (no guessing while blocked)...
    assert!(
        matches!(a.check(&bearer(TOKEN), ip(1), t0), Verdict::Limited(w) if w >= Duration::from_secs(1))
    );
    assert!(matches!(
        a.login(PASSWORD, ip(1), t0),
        Err(Verdict::Limited(_))
    ));
    // ...another IP is not affected...
    assert_eq!(
        a.check(&bearer(TOKEN), ip(2), t0),
        Verdict::Allow(Who::Token)
    );
    // ...and after one refill period the IP may try again.
    let later =
        t0 + Duration::from_secs_f64(1.0 / FAILURE_REFILL_PER_SEC) + Duration::from_millis(1);
    assert_eq!(
        a.check(&bearer(TOKEN), ip(1), later),
        Verdict::Allow(Who::Token)
    );
}

#[test]
fn successes_cost_nothing() {
    let a = auth();
    let t0 = Instant::now();
    for _ in 0..100 {
        assert_eq!(
            a.check(&bearer(TOKEN), ip(1), t0),
            Verdict::Allow(Who::Token)
        );
    }
}

#[test]
fn open_mode_and_protected_paths() {
    let open = AdminAuth::open();
    assert_eq!(
        open.check(&HeaderMap::new(), ip(1), Instant::now()),
        Verdict::Allow(Who::Anonymous)
    );
    let a = auth();
    assert!(a.protects("/api/v1/usage/summary"));
    assert!(a.protects("/api/v1/openapi.json"));
    assert!(!a.protects(LOGIN_PATH));
    assert!(!a.protects(DOCS_PATH));
    assert!(!a.protects("/health") && !a.protects("/ready") && !a.protects("/metrics"));
    let m = AdminAuth::new(Some(TOKEN), None, false, true);
    assert!(m.protects("/metrics"));
}

fn config(token: Option<&str>, password: Option<&str>) -> AdminConfig {
    AdminConfig {
        token: token.map(Secret::new),
        password: password.map(Secret::new),
        protect_metrics: false,
    }
}

#[test]
fn setup_generates_a_password_once_off_loopback_and_stores_only_its_hash() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("t.db")).unwrap();
    let (a, generated) = setup(&config(None, None), false, Some(&store), 7).unwrap();
    let password = generated.unwrap();
    assert!(password.len() >= 24);
    assert_eq!(
        a.check(&basic("admin", &password), ip(1), Instant::now()),
        Verdict::Allow(Who::Password("admin".into()))
    );
    let row = store.password("admin").unwrap().unwrap();
    assert_ne!(row.hash, password);
    assert!(!row.hash.contains(&password) && !row.salt.contains(&password));
    assert_eq!(row.hash, hash_password(&row.salt, &password));
    // A second start finds the hash: nothing new is generated or printed.
    let (again, none) = setup(&config(None, None), false, Some(&store), 8).unwrap();
    assert_eq!(none, None);
    assert_eq!(
        again.check(&basic("admin", &password), ip(1), Instant::now()),
        Verdict::Allow(Who::Password("admin".into()))
    );
}

#[test]
fn setup_on_loopback_or_with_credentials_generates_nothing() {
    let (a, g) = setup(&config(None, None), true, None, 0).unwrap();
    assert!(a.is_open() && g.is_none());
    let (a, g) = setup(&config(Some(TOKEN), None), false, None, 0).unwrap();
    assert!(!a.is_open() && g.is_none() && !a.has_password());
    let (a, g) = setup(&config(None, Some(PASSWORD)), true, None, 0).unwrap();
    assert!(!a.is_open() && g.is_none());
    assert_eq!(
        a.check(&basic("admin", PASSWORD), ip(1), Instant::now()),
        Verdict::Allow(Who::Password("admin".into()))
    );
}
