#!/usr/bin/env bash
# Instructions per request of llmux, counted by callgrind (deterministic, unlike timings on a
# shared VM; needs valgrind: apt-get install valgrind). Starts the mock and llmux on loopback,
# sends N non-streamed chat requests (or 50-chunk streams with STREAM=1, through the
# Anthropic provider with MODEL=mock-claude), stops both, prints instructions per request and
# writes the profile for `callgrind_annotate`.
#
#   bench/callgrind.sh [N]        N requests (default 2000); profile in bench/results/callgrind.out
#
# By default only the connection tasks are counted, with the usage store off. ALL=1 counts the
# whole process with the default configuration (usage stored: the writer thread too, which
# shares llmux's core in the benchmark): it runs twice, with N/5 and N requests, and divides
# the difference, so start-up is left out.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"; root="$(dirname "$here")"
N="${1:-2000}"; MODEL="${MODEL:-mock-model}"; STREAM="${STREAM:-0}"; ALL="${ALL:-0}"
out="$root/bench/results/callgrind.out"; mkdir -p "$root/bench/results"
tmp="$(mktemp -d)"; pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT
command -v valgrind >/dev/null || { echo "needs valgrind (apt-get install valgrind)"; exit 1; }
cargo build --release -q -p llmux -p llmux-testkit
text="$(python3 -c "import sys; sys.path.insert(0, '$here'); import bench; print(bench.TEXT_50)")"
mock_args=(--listen 127.0.0.1:0 --port-file "$tmp/mock.port" --threads 1 --no-record)
[ "$STREAM" = 1 ] && mock_args+=(--chunks 50 --text "$text")
"$root/target/release/llmux-mock" "${mock_args[@]}" >"$tmp/mock.log" 2>&1 & pids+=($!)
for _ in $(seq 50); do [ -s "$tmp/mock.port" ] && break; sleep 0.1; done
mp="$(cat "$tmp/mock.port")"
if [ "$ALL" = 1 ]; then
  printf 'discovery:\n  local_scan: false\n' >"$tmp/llmux.yaml"
  collect=(--collect-atstart=yes)
else
  printf 'usage:\n  enabled: false\ndiscovery:\n  local_scan: false\n' >"$tmp/llmux.yaml"
  collect=(--collect-atstart=no --toggle-collect='*serve_connection*')
fi
port=18190; admin=18191

# One llmux under callgrind serving $1 requests; prints its instruction total.
run_once() {
  local n="$1" file="$2"
  rm -rf "$tmp/data"
  env LLMUX_ENDPOINT_MOCK_URL="http://127.0.0.1:$mp/v1" LLMUX_ENDPOINT_MOCK_MODELS=mock-model \
    LLMUX_ENDPOINT_ANTH_URL="http://127.0.0.1:$mp/v1" LLMUX_ENDPOINT_ANTH_PROVIDER=anthropic \
    LLMUX_ENDPOINT_ANTH_MODELS=mock-claude \
    valgrind --tool=callgrind --callgrind-out-file="$file" "${collect[@]}" \
    "$root/target/release/llmux" serve \
    --listen "127.0.0.1:$port" --admin-listen "127.0.0.1:$admin" --data-dir "$tmp/data" \
    --log warn --workers 1 --config "$tmp/llmux.yaml" >"$tmp/llmux.log" 2>&1 & local llmux=$!
  pids+=($llmux)
  for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$admin/health" && break; sleep 0.3; done
  python3 - "$port" "$n" "$MODEL" "$STREAM" <<'PY'
import http.client, json, sys
port, n, model, stream = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4] == "1"
body = json.dumps({"model": model, "stream": stream, "messages": [{"role": "user", "content": "hi"}]})
conns = [http.client.HTTPConnection("127.0.0.1", port) for _ in range(4)]
for i in range(n):
    c = conns[i % 4]
    c.request("POST", "/v1/chat/completions", body, {"content-type": "application/json"})
    r = c.getresponse(); r.read()
    assert r.status == 200, r.status
PY
  kill -INT "$llmux"; wait "$llmux" 2>/dev/null || true
  callgrind_annotate "$file" 2>/dev/null | awk '/PROGRAM TOTALS/{gsub(",","",$1); print $1}'
}

if [ "$ALL" = 1 ]; then
  small=$(( N / 5 ))
  base="$(run_once "$small" "$tmp/base.out")"
  total="$(run_once "$N" "$out")"
  python3 -c "print('$N requests (model $MODEL, stream $STREAM), whole process, usage stored: %.0f instructions per request' % (($total - $base) / ($N - $small)))"
else
  total="$(run_once "$N" "$out")"
  python3 -c "print('$N requests (model $MODEL, stream $STREAM), connection tasks: %.0f instructions per request' % ($total / $N))"
fi
echo "profile: $out  (callgrind_annotate --inclusive=yes $out | less)"
