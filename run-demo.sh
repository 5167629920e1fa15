#!/usr/bin/env bash
# The main job: builds psamp, then runs the arithmetic comparison at demo size on the shipped
# trained model (weights/psamp-arith-base, and its RL-style post-trained sibling
# weights/psamp-arith-rl): pass@1 and pass@k of temperature-1 sampling, low temperature,
# power sampling, best-of-N and the RL checkpoint on the first 10 test problems of each
# family, 4 samples each (a few minutes on 2 cores). It prints the table and writes the
# pass@k figure to out/arith-demo/arith_passk.png. Before that, a toy world with exact
# answers shows what power sampling targets. With a real OPT checkpoint
# (python3 weights/fetch_opt.py facebook/opt-125m weights/opt-125m) as argument it also
# scores and power-samples text with it: ./run-demo.sh weights/opt-125m
set -euo pipefail
cd "$(dirname "$0")"
scripts/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DPSAMP_CUDA=AUTO >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
psamp=build/psamp
trap_world=experiments/toy/greedy_trap.json

echo "== toy world: exact answers for the greedy trap at alpha 4 (dynamic programming)"
$psamp exact --model "$trap_world" --alpha 4 --top 3
echo
echo "== toy world: 4000 chains of power sampling, alpha 4 (Metropolis-Hastings, exact ratio)"
$psamp generate --model "$trap_world" --method power --alpha 4 --block-size 2 --mcmc-steps 60 \
  --chains 4000 --seed 1
echo
echo "== the shipped arithmetic model: one power-sampled solution"
$psamp generate --model weights/psamp-arith-base --prompt "$(printf 'Start at 6, modulo 11: +5, *3, *4, +2.\n')" \
  --method power --alpha 4 --block-size 10 --mcmc-steps 10 --max-new-tokens 160 --seed 1
echo
echo "== pass@k on the arithmetic tasks (demo size: 10 problems per family, 4 samples each)"
rm -rf out/arith-demo  # a fresh run, not the files of an earlier one
experiments/arith/run.sh demo out/arith-demo
if [ $# -ge 1 ]; then
  echo
  echo "== OPT checkpoint $1: score a text, then power-sample 8 chains"
  $psamp score --model "$1" --text "Hello world, this is psamp."
  $psamp generate --model "$1" --prompt "The meaning of life is" --method power --alpha 4 \
    --max-new-tokens 24 --block-size 8 --mcmc-steps 4 --chains 8 --seed 1
fi
