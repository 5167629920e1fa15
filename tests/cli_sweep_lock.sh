#!/usr/bin/env bash
# One writer per sweep folder: while a sweep runs, a second run, a shard or a merge on the
# same folder is refused at once with one line naming the folder and the writer's pid, and
# the first run finishes intact; shards of one sweep still run side by side (and a merge
# beside them, the status check); a second copy of one shard is refused; a killed writer's
# lock goes with it. The running writer is held with SIGSTOP while the others try, so the
# test does not race it however loaded the machine is.
source "$(dirname "$0")/cli_lib.sh"
src=$PSAMP_SOURCE_DIR
trap_world=$src/experiments/toy/greedy_trap.json

no_temporaries() {
  checks=$((checks + 1))
  [ -z "$(find "$1" -name '*.tmp.*')" ] || fail "temporaries left in $1: $(find "$1" -name '*.tmp.*')"
}

# start_held DIR ARGS...: psamp sweep ARGS in the background ($pid), stopped (SIGSTOP) once
# it holds the lock of DIR: it takes the lock before it writes DIR/plan.json.
start_held() {
  local dir=$1
  shift
  "$PSAMP" sweep "$@" >"$tmp/bg.out" 2>"$tmp/bg.err" &
  pid=$!
  local end=$((SECONDS + 240))
  while [ $SECONDS -lt $end ] && kill -0 "$pid" 2>/dev/null; do
    if [ -e "$dir/plan.json" ]; then
      kill -STOP "$pid"
      return 0
    fi
    sleep 0.01
  done
  return 1
}

# resume_held: lets the held run go on and waits for it; 0 when it exited 0.
resume_held() {
  kill -CONT "$pid"
  wait "$pid"
}

# 4 points of ~0.3 s each (many times the few ms between plan.json and SIGSTOP).
cat >"$tmp/grid.json" <<JSON
{"model": "$trap_world", "alpha": 4, "block_size": 2, "mcmc_steps": 60, "chains": 1500,
 "seed": [1, 2, 3, 4], "backend": "cpu"}
JSON

# ---- a second writer while the first runs ------------------------------------------------
checks=$((checks + 1))
start_held "$tmp/busy" --config "$tmp/grid.json" --out "$tmp/busy" || fail "the first sweep never started: $(cat "$tmp/bg.err")"
msg="'$tmp/busy' is being written by another psamp sweep (pid $pid); wait for it to finish or use another folder"
expect_error 1 "^psamp sweep: --out: $msg\$" -- sweep --config "$tmp/grid.json" --out "$tmp/busy"
expect_error 1 "^psamp sweep: --out: $msg\$" -- sweep --config "$tmp/grid.json" --out "$tmp/busy" --shard 1/2
expect_error 1 "^psamp sweep: --merge: $msg\$" -- sweep --merge "$tmp/busy"
checks=$((checks + 1))
resume_held || fail "the first sweep: exit $?: $(cat "$tmp/bg.err")"
checks=$((checks + 1))
grep -q "4 points: 0 finished before, 4 run now, 0 failed" "$tmp/bg.out" || fail "first sweep: $(cat "$tmp/bg.out")"
checks=$((checks + 1))
[ -z "$(ls "$tmp/busy/points" | grep failed)" ] || fail "a failed point after the refused writers: $(ls "$tmp/busy/points")"
no_temporaries "$tmp/busy"
expect_ok sweep --config "$tmp/grid.json" --out "$tmp/alone" --quiet
checks=$((checks + 1))
python3 "$src/tests/sweep_compare.py" "$tmp/busy" "$tmp/alone" 4 || fail "the first sweep differs from one that ran alone"
# Its lock went with it: a rerun and a merge go through.
expect_ok sweep --config "$tmp/grid.json" --out "$tmp/busy"
grep -q "4 finished before, 0 run now" "$tmp/out" || fail "rerun after the first: $(cat "$tmp/out")"
expect_ok sweep --merge "$tmp/busy"

# ---- shards of one sweep run side by side; a second copy of one shard is refused ---------
checks=$((checks + 1))
start_held "$tmp/sharded" --config "$tmp/grid.json" --out "$tmp/sharded" --shard 0/2 --quiet ||
  fail "shard 0/2 never started: $(cat "$tmp/bg.err")"
msg="'$tmp/sharded' is being written by another psamp sweep (pid $pid); wait for it to finish or use another folder"
expect_error 1 "^psamp sweep: --out: $msg\$" -- sweep --config "$tmp/grid.json" --out "$tmp/sharded" --shard 0/2
expect_error 1 "^psamp sweep: --out: $msg\$" -- sweep --config "$tmp/grid.json" --out "$tmp/sharded"
expect_ok sweep --config "$tmp/grid.json" --out "$tmp/sharded" --shard 1/2 --quiet
# A merge beside a running shard is the documented status check: it lists what is missing.
checks=$((checks + 1))
"$PSAMP" sweep --merge "$tmp/sharded" --quiet >"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" -eq 1 ] && grep -q "^psamp sweep: --merge $tmp/sharded: 2 points missing, 0 failed" "$tmp/err" ||
  fail "merge beside a running shard: exit $rc: $(cat "$tmp/err")"
checks=$((checks + 1))
resume_held || fail "shard 0/2 beside shard 1/2: exit $?: $(cat "$tmp/bg.err")"
expect_ok sweep --merge "$tmp/sharded"
checks=$((checks + 1))
python3 "$src/tests/sweep_compare.py" "$tmp/sharded" "$tmp/alone" 4 || fail "the shards run side by side differ from the whole run"

# ---- a writer killed with SIGKILL leaves no lock behind ---------------------------------
checks=$((checks + 1))
start_held "$tmp/killed" --config "$tmp/grid.json" --out "$tmp/killed" || fail "the sweep to kill never started"
kill -9 "$pid"
kill -CONT "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
expect_ok sweep --config "$tmp/grid.json" --out "$tmp/killed" --quiet
no_temporaries "$tmp/killed"

finish
