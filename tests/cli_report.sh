#!/usr/bin/env bash
# What runs report: a JSON summary gives only the settings its method used (null for the
# others); the text summary's host share is a share of sampling time (at most 100 %); every
# long command shows progress with an ETA on stderr when PSAMP_PROGRESS=1 asks (silent by
# default off a terminal), and stdout and the outputs stay the same.
source "$(dirname "$0")/cli_lib.sh"
trap_world="$PSAMP_SOURCE_DIR/experiments/toy/greedy_trap.json"

expect_ok generate --model "$trap_world" --method greedy --json
json_check "$tmp/out" 'd["alpha"] is None and d["block_size"] is None and d["mcmc_steps"] is None'
expect_ok generate --model "$trap_world" --method temp --temperature 0.5 --chains 4 --json
json_check "$tmp/out" 'd["alpha"] is None and d["block_size"] is None and d["mcmc_steps"] is None'
expect_ok generate --model "$trap_world" --method maxswap --block-size 2 --mcmc-steps 3 --chains 4 --json
json_check "$tmp/out" 'd["alpha"] is None and d["block_size"] == 2 and d["mcmc_steps"] == 3'
expect_ok generate --model "$trap_world" --method power --alpha 4 --block-size 2 --mcmc-steps 3 --chains 4 --json
json_check "$tmp/out" 'd["alpha"] == 4 and d["block_size"] == 2 and d["mcmc_steps"] == 3'

# On a toy world the engine costs less than the sampler's bookkeeping: the share stays a share.
expect_ok generate --model "$trap_world" --method power --alpha 4 --block-size 2 --mcmc-steps 30 --chains 2000 --seed 1
checks=$((checks + 1))
share=$(sed -n 's/.*sampler host work \([0-9.]*\)% of sampling time.*/\1/p' "$tmp/out")
[ -n "$share" ] && python3 -c "import sys; sys.exit(0 if 0 < float('$share') <= 100 else 1)" ||
  fail "generate: host share missing or above 100 %: $(tail -1 "$tmp/out")"

# Progress: asked for (lines every 1 ms here), on stderr only, and silent unless asked.
toy="$PSAMP_SOURCE_DIR/experiments/toy"
run_both() { # NAME ARGS...: runs psamp ARGS with progress on, then off
  local name=$1
  shift
  checks=$((checks + 1))
  PSAMP_PROGRESS=1 PSAMP_PROGRESS_EVERY=0.001 "$PSAMP" "$@" >"$tmp/on.out" 2>"$tmp/on.err" ||
    fail "psamp $* with progress: $(cat "$tmp/on.err")"
  grep -qE "^psamp $name.*: [0-9.]+%  [0-9]+s elapsed" "$tmp/on.err" ||
    fail "psamp $name: no progress on stderr: $(head -c 300 "$tmp/on.err")"
  ! grep -q "elapsed" "$tmp/on.out" || fail "psamp $name: progress on stdout"
  checks=$((checks + 1))
  env -u PSAMP_PROGRESS "$PSAMP" "$@" >"$tmp/off.out" 2>"$tmp/off.err" || fail "psamp $* without progress"
  ! grep -q "elapsed" "$tmp/off.err" || fail "psamp $name: progress off a terminal without PSAMP_PROGRESS=1"
}
run_both generate generate --model "$trap_world" --chains 200 --block-size 2 --mcmc-steps 5 --samples-out "$tmp/s.jsonl"
cp "$tmp/s.jsonl" "$tmp/s_on.jsonl"
checks=$((checks + 1))
PSAMP_PROGRESS=1 PSAMP_PROGRESS_EVERY=0.001 "$PSAMP" generate --model "$trap_world" --chains 200 --block-size 2 \
  --mcmc-steps 5 --samples-out "$tmp/s_on.jsonl" >/dev/null 2>&1
"$PSAMP" generate --model "$trap_world" --chains 200 --block-size 2 --mcmc-steps 5 --samples-out "$tmp/s_off.jsonl" >/dev/null 2>&1
cmp -s "$tmp/s_on.jsonl" "$tmp/s_off.jsonl" || fail "progress changed the samples"
run_both h2 h2 --model "$trap_world" --chains 200 --block-size 2 --mcmc-steps 5
run_both toyexp toyexp --config "$PSAMP_SOURCE_DIR/experiments/toyexp/ci.json" --out "$tmp/toyexp.json"
run_both h1 h1 --config "$PSAMP_SOURCE_DIR/experiments/h1/ci.json" --out "$tmp/h1.json"
run_both h3 h3 --worlds "$toy/greedy_trap.json,$toy/eos_world.json" --samples 20 --out "$tmp/h3"
run_both passk passk --worlds "$toy/greedy_trap.json,$toy/eos_world.json" --samples 500 --k 1,4 --out "$tmp/pk.json"
run_both "bench: 1000 chains" bench --model "$trap_world" --chains 1,1000 --mcmc-steps 20
# bench on a CPU with the GPU-sized default chain counts says what they will cost.
opt="$PSAMP_FIXTURES/opt-tiny-pre"
expect_ok bench --model "$opt" --backend cpu --max-new-tokens 16 --block-size 8 --prompt-len 4 --sgemm-seconds 0
checks=$((checks + 1))
grep -qE "default chain counts are sized for a GPU: the others decode about [0-9.e+]+ tokens, up to [0-9.]+ minutes" "$tmp/err" ||
  fail "bench on a CPU with default chains: no cost note: $(cat "$tmp/err")"
json_check "$tmp/out" '[r["chains"] for r in d["runs"]] == [1, 64, 256]'
expect_ok bench --model "$opt" --backend cpu --chains 1,2 --max-new-tokens 16 --block-size 8 --prompt-len 4 --sgemm-seconds 0
checks=$((checks + 1))
! grep -q "sized for a GPU" "$tmp/err" || fail "bench: a cost note though --chains was given"
run_both sweep sweep --config "$PSAMP_SOURCE_DIR/experiments/configs/toy-sweep.json" --out "$tmp/sweep_$RANDOM"
finish
