#!/usr/bin/env bash
# The main job on the embedded defaults: builds psamp, then shows power sampling beside
# low-temperature sampling on the seed's greedy-trap toy world (with its exact answers),
# and power sampling on the tiny OPT checkpoint that the tests use. With a real checkpoint
# (python3 weights/fetch_opt.py facebook/opt-125m weights/opt-125m), pass its
# directory: ./run-demo.sh weights/opt-125m
set -euo pipefail
cd "$(dirname "$0")"
scripts/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DPSAMP_CUDA=AUTO >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
psamp=build/psamp
trap_world=experiments/toy/greedy_trap.json
model=${1:-tests/fixtures/opt-tiny-pre}

echo "== exact answers for the greedy trap at alpha 4 (dynamic programming)"
$psamp exact --model "$trap_world" --alpha 4 --top 3
echo
echo "== 4000 chains of temperature 1/4 sampling (what lowering the temperature does)"
$psamp generate --model "$trap_world" --method temp --temperature 0.25 --chains 4000 --seed 1
echo
echo "== 4000 chains of power sampling, alpha 4 (Metropolis-Hastings, exact ratio)"
$psamp generate --model "$trap_world" --method power --alpha 4 --block-size 2 --mcmc-steps 60 \
  --chains 4000 --seed 1
echo
echo "== OPT checkpoint $model: score a text, then power-sample 8 chains"
$psamp score --model "$model" --text "Hello world, this is psamp."
$psamp generate --model "$model" --prompt "The meaning of life is" --method power --alpha 4 \
  --max-new-tokens 24 --block-size 8 --mcmc-steps 4 --chains 8 --seed 1
