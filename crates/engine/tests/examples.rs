//! Every configuration in `examples/` must stay valid.
#![allow(clippy::unwrap_used, clippy::panic, missing_docs)]

use llmux_engine::config::{Config, Env};
use llmux_engine::Snapshot;

#[test]
fn examples_load_and_compile() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples");
    let secret = std::env::temp_dir().join("llmux-example-secret");
    std::fs::write(&secret, "example-key-0000\n").unwrap();
    let mut seen = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "yaml") {
            continue;
        }
        // The keys the examples refer to, as a user would have them.
        let text = std::fs::read_to_string(&path)
            .unwrap()
            .replace("/run/secrets/gpu1_key", secret.to_str().unwrap());
        let env = Env::from_pairs([
            ("OPENAI_API_KEY", "sk-example-0000"),
            ("GROQ_API_KEY", "gsk-example-0000"),
        ]);
        let config = Config::load(Some((path.to_str().unwrap(), &text)), &env)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let snapshot = Snapshot::build(config).unwrap();
        assert!(!snapshot.providers.is_empty(), "{}", path.display());
        seen += 1;
    }
    assert!(seen >= 2, "examples found: {seen}");
}
