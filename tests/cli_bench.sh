#!/usr/bin/env bash
# psamp bench: MH proposals/s on a toy world at 1, 64 and 1024 chains, the OPT path with the
# sgemm rate on the tiny fixture, consistent figures, --backend cuda when built, bad input.
source "$(dirname "$0")/cli_lib.sh"
toy="$PSAMP_SOURCE_DIR/experiments/toy"
opt="$PSAMP_FIXTURES/opt-tiny-pre"

expect_ok bench --model "$toy/greedy_trap.json" --chains 1,64,1024 --block-size 2 --mcmc-steps 10 --out "$tmp/toy.json"
json_check "$tmp/toy.json" 'd["backend"] == "toy" and [r["chains"] for r in d["runs"]] == [1, 64, 1024] and d["block_size"] == 2'
# Power on the trap: 4 blocks x 10 proposals per chain, every figure consistent with the counts.
json_check "$tmp/toy.json" 'all(r["proposals"] == 40 * r["chains"] and r["output_tokens"] == 8 * r["chains"] for r in d["runs"])'
json_check "$tmp/toy.json" 'all(abs(r["proposals_per_second"] - r["proposals"] / r["wall_seconds"]) < 1e-6 * r["proposals_per_second"] for r in d["runs"])'
json_check "$tmp/toy.json" 'all(abs(r["tokens_per_second_per_chain"] * r["chains"] - r["tokens_per_second"]) < 1e-6 * r["tokens_per_second"] for r in d["runs"])'
json_check "$tmp/toy.json" 'all(0 < r["accept_rate"] <= 1 and r["host_fraction"] > 0 and "sgemm" not in r for r in d["runs"])'
# Batching: 1024 chains share their engine steps (rows per step far above 1).
json_check "$tmp/toy.json" 'd["runs"][0]["mean_batch_rows"] == 1 and d["runs"][2]["mean_batch_rows"] > 500'
# A queue: 1024 chains through 64 lanes do the same work, at most 64 rows a step, and keep
# the lanes fuller than 64 chains alone do (a finished chain's lane takes the next chain).
expect_ok bench --model "$toy/greedy_trap.json" --chains 64,1024 --max-active 64 --block-size 2 --mcmc-steps 10 --out "$tmp/queue.json"
json_check "$tmp/queue.json" '[(r["chains"], r["active_chains"]) for r in d["runs"]] == [(64, 64), (1024, 64)] and all(r["proposals"] == 40 * r["chains"] for r in d["runs"])'
json_check "$tmp/queue.json" 'd["runs"][1]["mean_batch_rows"] <= 64 and d["runs"][1]["mean_batch_rows"] > d["runs"][0]["mean_batch_rows"]'
# Room for 7 slots: the 64 chains queue 3 at a time by themselves, and the report says so.
PSAMP_MAX_SLOTS=7 expect_ok bench --model "$toy/greedy_trap.json" --chains 64 --block-size 2 --mcmc-steps 10 --out "$tmp/tight.json"
json_check "$tmp/tight.json" 'd["runs"][0]["active_chains"] == 3 and d["runs"][0]["proposals"] == 40 * 64'
expect_error 2 "--max-active must be >= 0" -- bench --model "$toy/greedy_trap.json" --max-active -1

expect_ok bench --model "$opt" --chains 1,4 --max-new-tokens 16 --block-size 4 --mcmc-steps 2 --sgemm-seconds 0.05
cp "$tmp/out" "$tmp/opt.json"
json_check "$tmp/opt.json" 'd["backend"] in ("cpu", "cuda") and d["prompt_tokens"] == 16 and d["max_new_tokens"] == 16'
json_check "$tmp/opt.json" 'all(r["output_tokens"] <= 16 * r["chains"] and r["proposals"] == 8 * r["chains"] for r in d["runs"])'
json_check "$tmp/opt.json" 'd["backend"] != "cpu" or all(r["sgemm"]["rows"] >= 1 and r["sgemm"]["step_gflops"] > 0 and len(r["sgemm"]["shapes"]) == 5 and r["fraction_of_sgemm"] > 0 for r in d["runs"])'
json_check "$tmp/opt.json" 'all(r["engine_gemm_gflops"] > 0 and r["engine_seconds"] > 0 for r in d["runs"])'

# --backend cuda works when psamp has the CUDA engine and a GPU, and says why not otherwise.
checks=$((checks + 1))
if "$PSAMP" bench --model "$opt" --backend cuda --chains 2 --max-new-tokens 8 --block-size 4 --mcmc-steps 1 \
  >"$tmp/cuda.json" 2>"$tmp/cuda.err"; then
  grep -q '"backend":"cuda"' "$tmp/cuda.json" || fail "--backend cuda ran on: $(head -c 200 "$tmp/cuda.json")"
else
  grep -qi "cuda" "$tmp/cuda.err" || fail "--backend cuda failed without saying why: $(cat "$tmp/cuda.err")"
fi

expect_error 1 "--chains: expected a comma list" -- bench --model "$toy/greedy_trap.json" --chains 1,,4
expect_error 1 "--chains: expected a comma list" -- bench --model "$toy/greedy_trap.json" --chains 0
expect_error 2 "--block-size must be positive" -- bench --model "$toy/greedy_trap.json" --block-size 0
expect_error 2 "--repeat must be at least 1" -- bench --model "$toy/greedy_trap.json" --repeat 0
expect_error 2 "unknown method 'nope'" -- bench --model "$toy/greedy_trap.json" --method nope
expect_error 1 "does not exist" -- bench --model "$tmp/none"
expect_error 1 "unknown backend 'tpu'" -- bench --model "$opt" --backend tpu
expect_error 1 "exceeds the model's 128 positions" -- bench --model "$opt" --max-new-tokens 120
expect_error 1 "--out: cannot write" -- bench --model "$toy/greedy_trap.json" --out "$tmp/no/dir/b.json"
finish
