#!/usr/bin/env bash
# One fuzz test: replay every input of the corpus, then fuzz for SECONDS starting from it.
# The corpus in the repository is only read; inputs found on the way go to a scratch folder
# that is removed afterwards, and a crashing input is kept in ARTIFACTS (its path printed).
# Usage: run_target.sh FUZZER CORPUS_DIR SECONDS ARTIFACTS_DIR
set -euo pipefail
fuzzer=$1 corpus=$2 seconds=$3 artifacts=$4
name=$(basename "$fuzzer")
mkdir -p "$artifacts"
scratch=$(mktemp -d "${TMPDIR:-/tmp}/psamp-$name.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
# Leaks count (LeakSanitizer runs at the end of each input batch); -timeout: an input that
# takes longer is reported as a hang.
opts=(-timeout=20 -rss_limit_mb=2048 -artifact_prefix="$artifacts/$name-" -print_final_stats=1)
n=$(find "$corpus" -type f | wc -l)
[ "$n" -gt 0 ] || { echo "$name: no seed inputs in $corpus" >&2; exit 1; }
echo "$name: replaying $n corpus inputs"
find "$corpus" -type f -print0 | xargs -0 "$fuzzer" "${opts[@]}" -runs=1 >"$scratch/replay.log" 2>&1 || {
  tail -n 40 "$scratch/replay.log"; echo "$name: a corpus input fails (above)" >&2; exit 1; }
echo "$name: fuzzing for ${seconds}s"
"$fuzzer" "${opts[@]}" -max_total_time="$seconds" -max_len=65536 "$scratch" "$corpus" \
  >"$scratch/fuzz.log" 2>&1 || {
  tail -n 60 "$scratch/fuzz.log"; echo "$name: fuzzing found a failure (above; input in $artifacts)" >&2; exit 1; }
grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "$scratch/fuzz.log" | sed "s/^/$name: /"
