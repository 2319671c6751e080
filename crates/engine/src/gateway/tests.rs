//! Gateway tests: request-body capture follows the journal settings of the snapshot in use.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use crate::config::{Config, Env};
use crate::record::LogSink;
use crate::{Gateway, Snapshot};

fn snapshot(yaml: &str) -> Snapshot {
    let config = Config::load(
        Some(("t.yaml", yaml)),
        &Env::from_pairs(Vec::<(&str, &str)>::new()),
    )
    .unwrap();
    Snapshot::build(config).unwrap()
}

#[test]
fn capture_follows_the_journal_settings_across_swaps() {
    // (journal settings, whether records carry bodies)
    let cases = [
        ("", false),
        ("journal: { enabled: true }", false),
        ("journal: { capture_bodies: true }", false),
        ("journal: { enabled: true, capture_bodies: true }", true),
    ];
    for (yaml, want) in cases {
        let gateway = Gateway::new(snapshot(yaml), Arc::new(LogSink));
        assert_eq!(gateway.captures_bodies(), want, "{yaml}");
        gateway.swap(snapshot("journal: { enabled: true, capture_bodies: true }"));
        assert!(gateway.captures_bodies(), "{yaml}, swapped on");
        gateway.swap(snapshot(""));
        assert!(!gateway.captures_bodies(), "{yaml}, swapped off");
    }
}
