#!/usr/bin/env bash
# One writer per sweep folder: while a sweep runs, a second run, a shard or a merge on the
# same folder is refused at once with one line naming the folder and the writer's pid, and
# the first run finishes intact; shards of one sweep still run side by side (and a merge
# beside them, the status check); a second copy of one shard is refused; a killed writer's
# lock goes with it.
source "$(dirname "$0")/cli_lib.sh"
src=$PSAMP_SOURCE_DIR
trap_world=$src/experiments/toy/greedy_trap.json

no_temporaries() {
  checks=$((checks + 1))
  [ -z "$(find "$1" -name '*.tmp.*')" ] || fail "temporaries left in $1: $(find "$1" -name '*.tmp.*')"
}

# wait_running SECONDS DIR: until the sweep in the background ($pid) has a point under way
# in DIR (it takes the lock before it writes plan.json).
wait_running() {
  local end=$((SECONDS + $1))
  while [ $SECONDS -lt $end ] && kill -0 "$pid" 2>/dev/null; do
    ls "$2/samples/"*.tmp.* >/dev/null 2>&1 && return 0
    sleep 0.02
  done
  return 1
}

cat >"$tmp/grid.json" <<JSON
{"model": "$trap_world", "alpha": 4, "block_size": 2, "mcmc_steps": 60, "chains": 3000,
 "seed": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], "backend": "cpu"}
JSON

# ---- a second writer while the first runs ------------------------------------------------
"$PSAMP" sweep --config "$tmp/grid.json" --out "$tmp/busy" >"$tmp/first.out" 2>"$tmp/first.err" &
pid=$!
checks=$((checks + 1))
wait_running 240 "$tmp/busy" || fail "the first sweep never got under way: $(cat "$tmp/first.err")"
msg="'$tmp/busy' is being written by another psamp sweep (pid $pid); wait for it to finish or use another folder"
expect_error 1 "^psamp sweep: --out: $msg\$" -- sweep --config "$tmp/grid.json" --out "$tmp/busy"
expect_error 1 "^psamp sweep: --out: $msg\$" -- sweep --config "$tmp/grid.json" --out "$tmp/busy" --shard 1/2
expect_error 1 "^psamp sweep: --merge: $msg\$" -- sweep --merge "$tmp/busy"
checks=$((checks + 1))
kill -0 "$pid" 2>/dev/null || fail "the first sweep ended before the second writers were tried: the refusals prove nothing"
wait "$pid"
rc=$?
checks=$((checks + 1))
[ "$rc" -eq 0 ] || fail "the first sweep: exit $rc: $(cat "$tmp/first.err")"
grep -q "10 points: 0 finished before, 10 run now, 0 failed" "$tmp/first.out" || fail "first sweep: $(cat "$tmp/first.out")"
checks=$((checks + 1))
[ -z "$(ls "$tmp/busy/points" | grep failed)" ] || fail "a failed point after the refused writers: $(ls "$tmp/busy/points")"
no_temporaries "$tmp/busy"
expect_ok sweep --config "$tmp/grid.json" --out "$tmp/alone" --quiet
checks=$((checks + 1))
python3 "$src/tests/sweep_compare.py" "$tmp/busy" "$tmp/alone" 10 || fail "the first sweep differs from one that ran alone"
# Its lock went with it: a rerun and a merge go through.
expect_ok sweep --config "$tmp/grid.json" --out "$tmp/busy"
grep -q "10 finished before, 0 run now" "$tmp/out" || fail "rerun after the first: $(cat "$tmp/out")"
expect_ok sweep --merge "$tmp/busy"

# ---- shards of one sweep run side by side; a second copy of one shard is refused ---------
"$PSAMP" sweep --config "$tmp/grid.json" --out "$tmp/sharded" --shard 0/2 --quiet >"$tmp/s0.out" 2>"$tmp/s0.err" &
pid=$!
checks=$((checks + 1))
wait_running 240 "$tmp/sharded" || fail "shard 0/2 never got under way: $(cat "$tmp/s0.err")"
msg="'$tmp/sharded' is being written by another psamp sweep (pid $pid); wait for it to finish or use another folder"
expect_error 1 "^psamp sweep: --out: $msg\$" -- sweep --config "$tmp/grid.json" --out "$tmp/sharded" --shard 0/2
expect_ok sweep --config "$tmp/grid.json" --out "$tmp/sharded" --shard 1/2 --quiet
# A merge beside a running shard is the documented status check: it lists what is missing.
checks=$((checks + 1))
if kill -0 "$pid" 2>/dev/null; then
  "$PSAMP" sweep --merge "$tmp/sharded" >"$tmp/out" 2>"$tmp/err"
  rc=$?
  [ "$rc" -le 1 ] && ! grep -q "being written" "$tmp/err" || fail "merge beside a running shard: exit $rc: $(cat "$tmp/err")"
fi
checks=$((checks + 1))
wait "$pid" || fail "shard 0/2 beside shard 1/2: exit $?: $(cat "$tmp/s0.err")"
expect_ok sweep --merge "$tmp/sharded"
checks=$((checks + 1))
python3 "$src/tests/sweep_compare.py" "$tmp/sharded" "$tmp/alone" 10 || fail "the shards run side by side differ from the whole run"

# ---- a writer killed with SIGKILL leaves no lock behind ---------------------------------
"$PSAMP" sweep --config "$tmp/grid.json" --out "$tmp/killed" >/dev/null 2>&1 &
pid=$!
checks=$((checks + 1))
wait_running 240 "$tmp/killed" || fail "the sweep to kill never got under way"
kill -9 "$pid"
wait "$pid" 2>/dev/null
expect_ok sweep --config "$tmp/grid.json" --out "$tmp/killed" --quiet
no_temporaries "$tmp/killed"

finish
