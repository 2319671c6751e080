#!/usr/bin/env bash
# End-to-end tests of llmux driven by official client SDKs (Python, then Node).
# Needs target/debug/llmux and target/debug/llmux-mock (`cargo build --workspace`), or
# LLMUX_BIN / LLMUX_MOCK_BIN pointing at them. Works from any directory. Exits non-zero if
# any suite fails; both suites run even if the first one fails.
set -uo pipefail

CALLER_PWD="$PWD"
SDK_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SDK_DIR/../.." && pwd)"
cd "$REPO_ROOT" || exit 1

# Relative LLMUX_BIN / LLMUX_MOCK_BIN are meant from the caller's directory: make them absolute.
for var in LLMUX_BIN LLMUX_MOCK_BIN; do
  val="${!var:-}"
  if [ -n "$val" ] && [ "${val#/}" = "$val" ]; then
    export "$var=$CALLER_PWD/$val"
  fi
done

export LLMUX_BIN="${LLMUX_BIN:-$REPO_ROOT/target/debug/llmux}"
export LLMUX_MOCK_BIN="${LLMUX_MOCK_BIN:-$REPO_ROOT/target/debug/llmux-mock}"
missing=0
for bin in "$LLMUX_BIN" "$LLMUX_MOCK_BIN"; do
  if [ ! -x "$bin" ]; then
    echo "run.sh: $bin is missing: run \`cargo build --workspace\` first (or set LLMUX_BIN / LLMUX_MOCK_BIN)" >&2
    missing=1
  fi
done
[ "$missing" = 0 ] || exit 1

status=0

echo "== Python SDK (tests/sdk/python)"
PY_DIR="$SDK_DIR/python"
VENV="$PY_DIR/.venv"
PYTHON="${PYTHON:-python3}"
if [ ! -x "$VENV/bin/python" ]; then
  "$PYTHON" -m venv "$VENV" || { echo "run.sh: cannot create $VENV" >&2; exit 1; }
fi
if "$VENV/bin/python" -m pip install -q --disable-pip-version-check -r "$PY_DIR/requirements.txt"; then
  "$VENV/bin/python" -m pytest -q tests/sdk/python || status=1
else
  echo "run.sh: pip install failed" >&2
  status=1
fi

echo "== Node SDK (tests/sdk/node)"
if (cd "$SDK_DIR/node" && npm ci --no-audit --no-fund --loglevel=error); then
  (cd "$SDK_DIR/node" && npm test) || status=1
else
  echo "run.sh: npm ci failed" >&2
  status=1
fi

if [ "$status" = 0 ]; then
  echo "== SDK tests: all passed"
else
  echo "== SDK tests: FAILED" >&2
fi
exit "$status"
