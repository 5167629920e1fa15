#!/usr/bin/env bash
# benchmarks/passk_pooling.sh at a tiny size: it runs both sides, checks that their correct
# counts agree, and prints the ratio line (the speed itself is measured by hand, RESULTS.md).
source "$(dirname "$0")/cli_lib.sh"
checks=$((checks + 1))
PSAMP="$PSAMP" MAX_TASKS=3 SAMPLES=2 MAX_NEW_TOKENS=40 PAIRS=1 THREADS=1 \
  bash "$PSAMP_SOURCE_DIR/benchmarks/passk_pooling.sh" "$tmp/pp" >"$tmp/out" 2>"$tmp/err" ||
  fail "passk_pooling.sh: $(cat "$tmp/err")"
checks=$((checks + 1))
grep -q "^speed-up from pooling: median .* correct counts and tokens equal in every pair" "$tmp/out" ||
  fail "passk_pooling.sh printed: $(cat "$tmp/out")"
checks=$((checks + 1))
[ -s "$tmp/pp/single_1.json" ] && [ -s "$tmp/pp/pooled_1.json" ] || fail "passk_pooling.sh wrote no results"
finish
