#!/usr/bin/env bash
# Runs every test of llmux: formatting, lints, the Rust unit and integration tests (real
# sockets, the in-repo mock upstream), then the official OpenAI SDKs (Python and Node)
# against the built binaries. Exits non-zero on the first failing stage.
# Needs: Rust (cargo), Python 3 with venv, Node + npm. Installs Python/npm packages locally
# (tests/sdk/python/.venv, tests/sdk/node/node_modules); nothing system-wide.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

stage() { printf '\n== %s\n' "$*"; }

stage "cargo fmt --check"
cargo fmt --all -- --check

stage "cargo clippy (warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings

stage "Rust tests"
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --locked --no-fail-fast
  cargo test --workspace --doc --locked
else
  cargo test --workspace --locked --no-fail-fast
fi

stage "build the binaries for the SDK tests"
cargo build --workspace --locked --bins

stage "official SDKs against llmux"
bash tests/sdk/run.sh
