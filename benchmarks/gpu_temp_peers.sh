#!/usr/bin/env bash
# Plain temperature sampling on one GPU: psamp bench --backend cuda --method temp against Hugging
# Face transformers' batched `generate` on the same GPU, checkpoint, dtype (fp16), prompt ids and
# batch sizes, with transformers' static KV cache (issue 14). Called by gpu_power_bench.sh after
# its other parts; alone, after tests/gpu/check.sh built build-gpu-check/:
#
#   benchmarks/gpu_temp_peers.sh [OUT_DIR [compare.py options]]   (prints the table; logs and
#   runs.json in OUT_DIR)
#
# It runs benchmarks/cpu_peers/compare.py --device cuda --parts temp: per round, each batch's
# psamp run, then the transformers run (its own process: peer_hf_temp.py, a whole untimed
# warm-up call first -- transformers compiles the static-cache decoding step there, with
# torch.compile -- then one timed call and, with HF_EAGER_TOO=1, one timed call without the
# compile). Rounds go round-major in the order of BATCHES, so a deadline still leaves the
# first round of every batch; the table lists batches in ascending order with the pairs each
# got. Table: batch | psamp tokens/s | transformers tokens/s | psamp / transformers (median,
# min-max over the pairs) | transformers eager tokens/s | psamp / eager | transformers warm-up
# s | pairs; then the GPU's name and the versions.
#
# Time (H100/H200, estimated, not measured): psamp ~3-5 s a run (process, checkpoint, engine
# setup; sampling itself 0.05-0.3 s at 64 tokens); transformers ~10 s a run for python,
# imports and loading, plus its compile in the warm-up (~20-40 s a batch size in the first
# round, less in the second from inductor's on-disk cache), plus 1-3 s of timed calls. One
# round of 4 batches: ~2.5-3.5 min; two: ~4-6 min. DEADLINE (no pair starts after it) and
# the caller's `timeout` bound it; either way the table prints what finished.
#
# Environment: PSAMP (build-gpu-check/psamp), MODEL (/tmp/opt-125m-random, made by
# make_random_opt.py when absent), DEVICE (cuda; cpu runs the same comparison on the CPU, for
# a smoke test without a GPU), DTYPE (fp16), BATCHES (1024,1,256,64), ROUNDS (2), NEW_TOKENS
# (64), PROMPT_LEN (32, the prompt of RESULTS.md's GPU runs), HF_COMPILE (auto | off),
# HF_EAGER_TOO (1), DEADLINE (seconds, 200), RUN_TIMEOUT (seconds one run may take, 150),
# PYTHON (python3, with torch and transformers). Exit status: compare.py's (1 when a run
# failed, 3 when the deadline or a SIGTERM cut the rounds short, the table printed all the same).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
out=${1:-$root/out/gpu-temp-peers}
[ $# -gt 0 ] && shift # the rest go to compare.py (e.g. --dry-run)
PSAMP=${PSAMP:-$root/build-gpu-check/psamp}
MODEL=${MODEL:-/tmp/opt-125m-random}
DEVICE=${DEVICE:-cuda}
PYTHON=${PYTHON:-python3}

[ -x "$PSAMP" ] || { echo "gpu_temp_peers: $PSAMP not built (tests/gpu/check.sh builds it)" >&2; exit 1; }
"$PYTHON" -c "import torch, transformers" 2>/dev/null ||
  { echo "gpu_temp_peers: $PYTHON cannot import torch and transformers" >&2; exit 1; }
[ -f "$MODEL/model.safetensors" ] || "$PYTHON" "$here/make_random_opt.py" "$MODEL" >&2 || exit 1
mkdir -p "$out"
args=(--device "$DEVICE" --parts temp --batches "${BATCHES:-1024,1,256,64}" --rounds "${ROUNDS:-2}"
  --new-tokens "${NEW_TOKENS:-64}" --prompt-len "${PROMPT_LEN:-32}" --order round --keep-going
  --deadline "${DEADLINE:-200}" --timeout "${RUN_TIMEOUT:-150}")
if [ "$DEVICE" = cuda ]; then
  args+=(--dtype "${DTYPE:-fp16}" --hf-compile "${HF_COMPILE:-auto}")
  [ "${HF_EAGER_TOO:-1}" = 1 ] && args+=(--hf-eager-too)
else
  args+=(--threads "${THREADS:-2}")
fi
exec "$PYTHON" "$here/cpu_peers/compare.py" --psamp "$PSAMP" --model "$MODEL" --python "$PYTHON" \
  --out-dir "$out" "${args[@]}" "$@"
