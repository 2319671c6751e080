#!/usr/bin/env bash
# llmux benchmark: one command. Builds the release binaries, installs nginx and wrk if missing,
# then runs bench/bench.py (direct vs nginx vs llmux, interleaved) and writes
# bench/results/latest.md. Everything listens on 127.0.0.1; every run is bounded in time.
#
#   bench/run.sh            full run (3 rounds, ~10 minutes)
#   bench/run.sh --quick    smoke test (1 round, 3 s runs)
#   bench/run.sh --no-build [--only a,b,c,d,e,f,g,h,i,j] ...   other options go to bench/bench.py
#   bench/callgrind.sh [N]   instructions per request under callgrind (see that script)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
cd "$root"

build=1
args=()
for a in "$@"; do
  case "$a" in
    --no-build) build=0 ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) args+=("$a") ;;
  esac
done

say() { printf '[bench] %s\n' "$*" >&2; }

if [ "$(nproc)" -lt 2 ]; then
  say "needs at least 2 cores (found $(nproc))"; exit 1
fi

# Tools: nginx and wrk from apt when missing (no service is started: we run our own nginx).
need=()
command -v nginx >/dev/null 2>&1 || need+=(nginx-light)
command -v wrk >/dev/null 2>&1 || need+=(wrk)
command -v taskset >/dev/null 2>&1 || need+=(util-linux)
if [ "${#need[@]}" -gt 0 ]; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  say "installing ${need[*]} with apt-get"
  $sudo apt-get update -qq
  if ! DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null; then
    # Some releases have no nginx-light: fall back to the full package.
    need=("${need[@]/nginx-light/nginx}")
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
  fi
fi
command -v python3 >/dev/null 2>&1 || { say "python3 is required"; exit 1; }

if [ "$build" -eq 1 ]; then
  say "cargo build --release -p llmux -p llmux-testkit"
  cargo build --release -p llmux -p llmux-testkit >&2
fi
for b in llmux llmux-mock; do
  [ -x "target/release/$b" ] || { say "target/release/$b missing (run without --no-build)"; exit 1; }
done

# 2,000 streams through a proxy need ~6,000 descriptors; ask for 65,536, else take the hard limit.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
say "open-files limit $(ulimit -n); load average $(cut -d' ' -f1-3 /proc/loadavg)"

# The driver starts and stops every server itself; this trap only makes sure the driver goes
# (it cleans up its own children on SIGTERM).
driver=""
on_exit() {
  if [ -n "$driver" ] && kill -0 "$driver" 2>/dev/null; then
    kill -TERM "$driver" 2>/dev/null || true
    wait "$driver" 2>/dev/null || true
  fi
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

python3 "$here/bench.py" ${args[@]+"${args[@]}"} &
driver=$!
status=0
wait "$driver" || status=$?
driver=""
exit "$status"
