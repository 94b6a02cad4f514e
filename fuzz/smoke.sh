#!/usr/bin/env bash
# A bounded fuzzing run of every target over its committed seeds (and what earlier runs added to
# fuzz/corpus/, which git ignores): what .ci/run does when a nightly toolchain is present.
# FUZZ_SECONDS sets the time per target (default 20). Built without optimisations and without a
# sanitizer (`--dev -s none`): it compiles in a fraction of the time, and a panic or an abort is
# what a smoke run looks for (the code fuzzed has no `unsafe`). Long runs use the defaults (README.md).
set -euo pipefail
cd "$(dirname "$0")"

if ! command -v rustup >/dev/null || ! rustup toolchain list | grep -q nightly; then
  echo "no nightly toolchain: fuzz smoke run skipped (install one with \`rustup toolchain install nightly\`)"
  exit 0
fi
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked

seconds=${FUZZ_SECONDS:-20}
started=$SECONDS
cargo +nightly fuzz build --dev -s none
echo "built in $((SECONDS - started)) s"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for target in $(cargo +nightly fuzz list); do
  mkdir -p "corpus/$target"
  echo "--- $target (${seconds} s)"
  if ! cargo +nightly fuzz run --dev -s none "$target" "corpus/$target" "seeds/$target" -- \
    -max_total_time="$seconds" -print_final_stats=1 -rss_limit_mb=2048 -timeout=20 >"$log" 2>&1; then
    tail -n 60 "$log"
    echo "fuzz target $target failed: the input is in fuzz/artifacts/$target/"
    exit 1
  fi
  grep -E '^(Done|stat::number_of_executed_units|stat::average_exec_per_sec)' "$log" || true
done
echo "fuzz smoke run: $((SECONDS - started)) s"
