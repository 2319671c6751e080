#!/usr/bin/env bash
# Builds the llmux fuzz targets with nightly and runs each for FUZZ_SECONDS (default 600).
#
#   fuzz/run.sh                      # every target
#   FUZZ_SECONDS=60 fuzz/run.sh sse_splitter json_object
#
# Each target's corpus is fuzz/corpus/<target>, seeded from fuzz/seeds/<target>; crashes go to
# fuzz/artifacts/<target>/ (with a minimized copy, `<artifact>.min`); libFuzzer's output goes to
# fuzz/target/logs/<target>.log. Exits 1 when any target crashed, 2 on a usage or build error.
# Environment: FUZZ_SECONDS, FUZZ_TIMEOUT (seconds one input may take, default 30),
# FUZZ_MINIMIZE_SECONDS (default 60, 0 to skip), CARGO_TARGET_DIR (default fuzz/target).
set -uo pipefail

FUZZ_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SECONDS_EACH="${FUZZ_SECONDS:-600}"
TIMEOUT="${FUZZ_TIMEOUT:-30}"
MINIMIZE_SECONDS="${FUZZ_MINIMIZE_SECONDS:-60}"
TARGET_DIR="${CARGO_TARGET_DIR:-$FUZZ_DIR/target}"
LOG_DIR="$FUZZ_DIR/target/logs"

cd "$FUZZ_DIR" || exit 2

if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
    echo "cargo-fuzz is missing: cargo install cargo-fuzz (and rustup toolchain install nightly)" >&2
    exit 2
fi

mapfile -t ALL < <(cargo +nightly fuzz list)
if [ "$#" -gt 0 ]; then
    TARGETS=("$@")
    for t in "${TARGETS[@]}"; do
        if ! printf '%s\n' "${ALL[@]}" | grep -qx -- "$t"; then
            echo "unknown target: $t (known: ${ALL[*]})" >&2
            exit 2
        fi
    done
else
    TARGETS=("${ALL[@]}")
fi

echo "building ${#TARGETS[@]} target(s) with nightly..."
if ! CARGO_TARGET_DIR="$TARGET_DIR" cargo +nightly fuzz build; then
    echo "build failed" >&2
    exit 2
fi
TRIPLE="$(rustc +nightly -vV | sed -n 's/^host: //p')"
BIN_DIR="$TARGET_DIR/$TRIPLE/release"
mkdir -p "$LOG_DIR"

crashed=0
summary=()
for t in "${TARGETS[@]}"; do
    corpus="$FUZZ_DIR/corpus/$t"
    artifacts="$FUZZ_DIR/artifacts/$t"
    log="$LOG_DIR/$t.log"
    mkdir -p "$corpus" "$artifacts"
    if [ -d "$FUZZ_DIR/seeds/$t" ]; then
        cp -n "$FUZZ_DIR/seeds/$t"/* "$corpus"/ 2>/dev/null || true
    fi
    echo "== $t: ${SECONDS_EACH}s"
    start=$(date +%s)
    "$BIN_DIR/$t" "$corpus" \
        -max_total_time="$SECONDS_EACH" \
        -rss_limit_mb=2048 \
        -max_len=65536 \
        -timeout="$TIMEOUT" \
        -print_final_stats=1 \
        -artifact_prefix="$artifacts/" >"$log" 2>&1
    status=$?
    elapsed=$(( $(date +%s) - start ))

    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    [ -n "$runs" ] || runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$log" | tail -n 1)
    last=$(grep -E '^#[0-9]+' "$log" | tail -n 1)
    cov=$(sed -n 's/.*cov: \([0-9]*\).*/\1/p' <<<"$last")
    ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
    artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)

    if [ "$status" -eq 0 ] && [ -z "$artifact" ]; then
        result="no crash"
    else
        crashed=1
        result="CRASH (exit $status): ${artifact:-no artifact written, see $log}"
        grep -m 1 -E "panicked at|ERROR: libFuzzer|ERROR: AddressSanitizer" "$log" | sed 's/^/   /'
        grep -m 1 -A 2 "panicked at" "$log" | tail -n +2 | sed 's/^/   /'
        if [ -n "$artifact" ] && [ "$MINIMIZE_SECONDS" -gt 0 ]; then
            "$BIN_DIR/$t" "$artifact" -minimize_crash=1 \
                -max_total_time="$MINIMIZE_SECONDS" \
                -exact_artifact_path="$artifact.min" >"$log.minimize" 2>&1 || true
            [ -f "$artifact.min" ] && result="$result (minimized: $artifact.min)"
        fi
    fi
    line=$(printf '%-26s %5ss  runs %-11s cov %-6s ft %-6s %s' \
        "$t" "$elapsed" "${runs:-?}" "${cov:-?}" "${ft:-?}" "$result")
    echo "$line"
    summary+=("$line")
done

echo
echo "== summary (${SECONDS_EACH}s per target, logs in $LOG_DIR)"
printf '%s\n' "${summary[@]}"
exit "$crashed"
