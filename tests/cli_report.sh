#!/usr/bin/env bash
# What runs report: a JSON summary gives only the settings its method used (null for the
# others); the text summary's host share is a share of sampling time (at most 100 %).
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
finish
