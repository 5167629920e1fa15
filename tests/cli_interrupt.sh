#!/usr/bin/env bash
# SIGINT / SIGTERM stop a long run cleanly: generate writes the chains finished so far (whole
# JSON lines, as many as its one stderr line says) and exits 128 + the signal; a sweep keeps
# its finished points, drops the one under way and resumes to the uninterrupted result; no
# temporary file is left anywhere.
source "$(dirname "$0")/cli_lib.sh"
src=$PSAMP_SOURCE_DIR
trap_world=$src/experiments/toy/greedy_trap.json

# start_bg OUT ERR ARGS...: psamp in the background with SIGINT at its default (a script's
# background jobs inherit it ignored, and psamp keeps an ignored signal ignored); sets $pid.
start_bg() {
  local out=$1 err=$2
  shift 2
  python3 -c 'import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execv(sys.argv[1], sys.argv[1:])' \
    "$PSAMP" "$@" >"$out" 2>"$err" &
  pid=$!
}

# wait_for SECONDS COMMAND...: polls COMMAND every 0.05 s; 1 when it never held.
wait_for() {
  local limit=$1
  shift
  local end=$((SECONDS + limit))
  while [ $SECONDS -lt $end ]; do
    "$@" && return 0
    kill -0 "$pid" 2>/dev/null || { "$@"; return $?; }
    sleep 0.05
  done
  return 1
}

# progress_at_least FILE PERCENT: a PSAMP_PROGRESS line of FILE shows at least PERCENT done.
progress_at_least() {
  awk -v want="$2" '{ for (i = 1; i <= NF; i++) if ($i ~ /%$/) { v = $i; sub(/%$/, "", v); if (v + 0 >= want) found = 1 } }
                    END { exit !found }' "$1"
}

no_temporaries() {
  checks=$((checks + 1))
  [ -z "$(find "$1" -name '*.tmp.*')" ] || fail "$2: temporaries left: $(find "$1" -name '*.tmp.*')"
}

# ---- generate: SIGINT, then SIGTERM with a trace ----------------------------------------
# 100000 chains of 2000 MH steps, 8 at a time: minutes of work, so the signal lands mid-run
# on any machine; it is sent once 0.1 % (~100 chains) is done, so some chains have finished.
interrupt_generate() { # SIGNAL CODE NAME [extra args]
  local sig=$1 code=$2 name=$3 dir="$tmp/gen_$1"
  shift 3
  mkdir -p "$dir"
  PSAMP_PROGRESS=1 PSAMP_PROGRESS_EVERY=0.1 start_bg "$dir/out" "$dir/err" generate --model "$trap_world" \
    --method power --alpha 4 --block-size 2 --mcmc-steps 2000 --chains 100000 --max-active 8 --seed 5 \
    --samples-out "$dir/s.jsonl" "$@"
  checks=$((checks + 1))
  wait_for 240 progress_at_least "$dir/err" 0.1 || fail "generate ($name): no progress to 0.1 % in 240 s: $(tail -c 300 "$dir/err")"
  kill -s "$sig" "$pid"
  wait "$pid"
  local rc=$?
  checks=$((checks + 1))
  [ "$rc" -eq "$code" ] || fail "generate ($name): exit $rc, expected $code: $(tail -c 300 "$dir/err")"
  no_temporaries "$dir" "generate ($name)"
  local line
  line=$(grep -v '^psamp generate: [0-9.]*%' "$dir/err")
  checks=$((checks + 1))
  [ "$(printf '%s\n' "$line" | wc -l)" -eq 1 ] || fail "generate ($name): stderr besides progress is not one line: $line"
  local n
  n=$(printf '%s\n' "$line" | sed -n "s|^psamp generate: interrupted by $name: wrote \([0-9]*\) of 100000 chains to '$dir/s.jsonl'\$|\1|p")
  checks=$((checks + 1))
  if [ -z "$n" ]; then
    fail "generate ($name): stderr does not say what was written: $line"
    return
  fi
  [ "$n" -ge 1 ] && [ "$n" -lt 100000 ] || fail "generate ($name): wrote $n chains after 0.1 % of the work"
  checks=$((checks + 1))
  [ "$(wc -l <"$dir/s.jsonl")" -eq "$n" ] || fail "generate ($name): $(wc -l <"$dir/s.jsonl") lines, stderr says $n"
  checks=$((checks + 1))
  [ -z "$(tail -c 1 "$dir/s.jsonl")" ] || fail "generate ($name): the samples file ends inside a line"
  # Whole lines of finished chains: each parses, has every token, and the chains are
  # distinct and in order.
  json_check "$dir/s.jsonl" "len(d) == $n and all(x['n_tokens'] == len(x['tokens']) == 8 for x in d) and [x['chain'] for x in d] == sorted(set(x['chain'] for x in d))"
  checks=$((checks + 1))
  [ ! -s "$dir/out" ] || fail "generate ($name): printed a summary for a stopped run: $(head -c 200 "$dir/out")"
}
interrupt_generate INT 130 SIGINT
interrupt_generate TERM 143 SIGTERM --trace "$tmp/gen_TERM/t.jsonl"
# The trace holds every MH step made before the stop, each a whole line.
json_check "$tmp/gen_TERM/t.jsonl" 'len(d) > 0 and all(0 <= x["idx"] < x["len_current"] for x in d)'

# Stopped before any chain finished: an earlier --samples-out is left as it was, not emptied.
mkdir -p "$tmp/gen_none"
echo '{"earlier": "run"}' >"$tmp/gen_none/s.jsonl"
PSAMP_PROGRESS=1 PSAMP_PROGRESS_EVERY=0.1 start_bg "$tmp/gen_none/out" "$tmp/gen_none/err" generate \
  --model "$trap_world" --method power --alpha 4 --block-size 2 --mcmc-steps 100000000 --chains 1 --seed 5 \
  --samples-out "$tmp/gen_none/s.jsonl"
checks=$((checks + 1))
wait_for 240 grep -q '%' "$tmp/gen_none/err" || fail "generate (none finished): no progress in 240 s"
kill -s INT "$pid"
wait "$pid"
rc=$?
checks=$((checks + 1))
[ "$rc" -eq 130 ] || fail "generate (none finished): exit $rc, expected 130: $(tail -c 300 "$tmp/gen_none/err")"
checks=$((checks + 1))
[ "$(cat "$tmp/gen_none/s.jsonl")" = '{"earlier": "run"}' ] || fail "generate (none finished): the earlier samples file was replaced"
checks=$((checks + 1))
grep -q "^psamp generate: interrupted by SIGINT: 0 of 1 chains had finished; '$tmp/gen_none/s.jsonl' left as it was\$" \
  "$tmp/gen_none/err" || fail "generate (none finished): stderr: $(grep -v '%' "$tmp/gen_none/err")"
no_temporaries "$tmp/gen_none" "generate (none finished)"

# ---- sweep: SIGINT mid-point, then resume ----------------------------------------------
cat >"$tmp/slow.json" <<JSON
{"model": "$trap_world", "alpha": 4, "block_size": 2, "mcmc_steps": 30, "chains": 2000,
 "seed": [1, 2, 3, 4, 5], "backend": "cpu"}
JSON
in_point() { # a point is finished and the next one under way
  ls "$tmp/sw/points/"*.json >/dev/null 2>&1 && ls "$tmp/sw/samples/"*.tmp.* >/dev/null 2>&1
}
start_bg "$tmp/sw.out" "$tmp/sw.err" sweep --config "$tmp/slow.json" --out "$tmp/sw"
checks=$((checks + 1))
wait_for 240 in_point || fail "sweep: never mid-point in 240 s: $(cat "$tmp/sw.err")"
kill -s INT "$pid"
wait "$pid"
rc=$?
checks=$((checks + 1))
[ "$rc" -eq 130 ] || fail "sweep: exit $rc after SIGINT, expected 130: $(cat "$tmp/sw.err")"
no_temporaries "$tmp/sw" "sweep"
n_done=$(ls "$tmp/sw/points/" | grep -c '^p.*[0-9a-f]\.json$')
checks=$((checks + 1))
[ "$n_done" -ge 1 ] && [ "$n_done" -lt 5 ] || fail "sweep: $n_done points done after a mid-point SIGINT"
checks=$((checks + 1))
[ -z "$(ls "$tmp/sw/points/" | grep 'failed')" ] || fail "sweep: the interrupted point was recorded as failed"
checks=$((checks + 1))
[ "$(ls "$tmp/sw/samples/" | wc -l)" -eq "$n_done" ] || fail "sweep: samples of an unfinished point: $(ls "$tmp/sw/samples/")"
checks=$((checks + 1))
grep -q "^psamp sweep: interrupted by SIGINT: $n_done of 5 points finished in '$tmp/sw' ($n_done this run); the same command resumes\$" \
  "$tmp/sw.err" || fail "sweep: stderr does not say it was interrupted: $(cat "$tmp/sw.err")"
json_check "$tmp/sw/results.json" "len(d['rows']) == $n_done"
expect_ok sweep --config "$tmp/slow.json" --out "$tmp/sw"
grep -q "$n_done finished before, $((5 - n_done)) run now, 0 failed" "$tmp/out" || fail "sweep resume: $(cat "$tmp/out")"
no_temporaries "$tmp/sw" "sweep resume"
expect_ok sweep --config "$tmp/slow.json" --out "$tmp/sw_whole" --quiet
checks=$((checks + 1))
python3 "$src/tests/sweep_compare.py" "$tmp/sw" "$tmp/sw_whole" || fail "sweep: the resumed run differs from a whole one"

finish
