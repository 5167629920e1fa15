#!/usr/bin/env bash
# A longer fuzzing campaign: builds the fuzzers (tests/fuzz/build.sh), then fuzzes TARGET
# (or every target, one after another, for `all`) for SECONDS each on JOBS processes.
# Inputs that add coverage accumulate in build-fuzz/campaign/TARGET (kept between runs;
# the repository's corpus is only read), crashing inputs land in build-fuzz/fuzz-artifacts/.
# Usage: tests/fuzz/campaign.sh TARGET|all SECONDS [JOBS]
#   e.g. tests/fuzz/campaign.sh tokenizer_hf 600
set -euo pipefail
[ $# -ge 2 ] || { sed -n '2,7p' "$0" >&2; exit 2; }
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$root/build-fuzz
target=$1 seconds=$2 jobs=${3:-1}
"$root/tests/fuzz/build.sh" "$build"
if [ "$target" = all ]; then
  targets=$(cd "$root/tests/fuzz/corpus" && ls)
else
  targets=$target
fi
mkdir -p "$build/fuzz-artifacts"
for t in $targets; do
  fuzzer=$build/tests/fuzz/fuzz_$t
  [ -x "$fuzzer" ] || { echo "campaign: no fuzzer fuzz_$t (targets: $(ls "$root/tests/fuzz/corpus" | tr '\n' ' '))" >&2; exit 2; }
  mkdir -p "$build/campaign/$t"
  echo "campaign: fuzz_$t for ${seconds}s on $jobs process(es)"
  args=(-max_total_time="$seconds" -timeout=20 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1
    -artifact_prefix="$build/fuzz-artifacts/fuzz_$t-")
  [ "$jobs" -gt 1 ] && args+=(-fork="$jobs" -ignore_crashes=0)
  (cd "$build/campaign/$t" && "$fuzzer" "${args[@]}" "$build/campaign/$t" "$root/tests/fuzz/corpus/$t" \
    2>&1 | tee "$build/campaign/$t.log" | grep -a -E "^fuzz: |stat::|ERROR|SUMMARY|Done") || true
  if grep -a -q -E "ERROR: libFuzzer|ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error|SUMMARY" "$build/campaign/$t.log"; then
    echo "campaign: fuzz_$t found a failure: $build/campaign/$t.log, inputs in $build/fuzz-artifacts/" >&2
    exit 1
  fi
done
