#!/usr/bin/env bash
# What pooling problems into sampler calls buys (passk --batch-chains): the same passk run on
# the shipped trained model, one problem per call (--batch-chains 0) against the default
# pooled calls, in interleaved pairs on one machine; prints each run's wall time, the ratio
# per pair and its spread, and checks that both give the same correct counts.
#
#   benchmarks/passk_pooling.sh [OUT_DIR]
#
# Settings (environment): PSAMP=build/psamp  BACKEND=cpu (or cuda)  PAIRS=3
#   TASKS=experiments/tasks/arith_mod.test.jsonl  MAX_TASKS=64  SAMPLES=4  METHODS="temp"
#   MAX_NEW_TOKENS=160  MODEL=weights/psamp-arith-base  THREADS=0 (all cores)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
out=${1:-$root/out/passk_pooling}
PSAMP=${PSAMP:-$root/build/psamp}
BACKEND=${BACKEND:-cpu}; PAIRS=${PAIRS:-3}; MAX_TASKS=${MAX_TASKS:-64}; SAMPLES=${SAMPLES:-4}
METHODS=${METHODS:-temp}; MAX_NEW_TOKENS=${MAX_NEW_TOKENS:-160}; THREADS=${THREADS:-0}
TASKS=${TASKS:-$root/experiments/tasks/arith_mod.test.jsonl}; MODEL=${MODEL:-$root/weights/psamp-arith-base}
[ -x "$PSAMP" ] || { echo "passk_pooling.sh: $PSAMP is not built (cmake --build build)" >&2; exit 1; }
mkdir -p "$out"

run() { # run LABEL BATCH_CHAINS PAIR: one passk run, its wall seconds on stdout
  local t0 t1
  t0=$(date +%s.%N)
  if ! "$PSAMP" passk --model "$MODEL" --tasks "$TASKS" --max-tasks "$MAX_TASKS" --samples "$SAMPLES" \
    --methods "$METHODS" --max-new-tokens "$MAX_NEW_TOKENS" --backend "$BACKEND" --threads "$THREADS" \
    --seed 1 --batch-chains "$2" --out "$out/$1_$3.json" >/dev/null 2>"$out/$1_$3.log"; then
    echo "passk_pooling.sh: the $1 run of pair $3 failed: $(tail -n 1 "$out/$1_$3.log")" >&2
    return 1
  fi
  t1=$(date +%s.%N)
  python3 -c "print(f'{$t1 - $t0:.2f}')"
}

echo "passk on $(basename "$MODEL"), $(basename "$TASKS") first $MAX_TASKS problems, n = $SAMPLES, methods '$METHODS',"
echo "backend $BACKEND; $(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -n 1), $(nproc) cores"
printf "%-5s %14s %14s %8s\n" pair "one/call s" "pooled s" ratio
ratios=()
for i in $(seq 1 "$PAIRS"); do
  # Alternate which runs first, so a drifting load does not favour one side.
  if [ $((i % 2)) -eq 1 ]; then a=$(run single 0 "$i"); b=$(run pooled 1024 "$i")
  else b=$(run pooled 1024 "$i"); a=$(run single 0 "$i"); fi
  r=$(python3 -c "print(f'{$a / $b:.2f}')")
  ratios+=("$r")
  printf "%-5s %14s %14s %7sx\n" "$i" "$a" "$b" "$r"
  python3 - "$out/single_$i.json" "$out/pooled_$i.json" <<'PY' || { echo "passk_pooling.sh: the two runs' correct counts differ" >&2; exit 1; }
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
assert [m["correct"] for m in a["methods"]] == [m["correct"] for m in b["methods"]]
assert [m["tokens_decoded"] for m in a["methods"]] == [m["tokens_decoded"] for m in b["methods"]]
PY
done
python3 -c "import sys; r = sorted(map(float, sys.argv[1:])); print(f'speed-up from pooling: median {r[len(r) // 2]:.2f}x, range {r[0]:.2f}-{r[-1]:.2f}x over {len(r)} pairs; correct counts and tokens equal in every pair')" "${ratios[@]}"
