#!/usr/bin/env bash
# On a lent GPU, after tests/gpu/check.sh built build-gpu-check/: power sampling throughput
# per chain on the CUDA engine (issue 4's workload: random OPT-125M in memory, alpha 4,
# B 64, N 4, 256 new tokens, 1..4096 chains), then the peer comparison on the same GPU
# (Hugging Face generate, batch 1, a fresh generate per MH step) on one random checkpoint
# that both read. Then the chain queue: QUEUE_CHAINS chains through QUEUE_ACTIVE lanes
# (--max-active), against the same number of chains all at once from the first run. Last,
# plain temperature sampling against Hugging Face transformers' batched generate with its
# static KV cache on the same GPU (gpu_temp_peers.sh: batches 1, 64, 256, 1024, 64 new
# tokens, prompt 32, fp16, up to 2 interleaved rounds), in whatever is left of the device
# call's time: PSAMP_RUN_T0 (epoch seconds; device_run.sh sets it, else this script's start)
# plus PSAMP_RUN_BUDGET (540 s) less 20 s, at most TEMP_PEER_TIMEOUT (330 s); under 90 s
# left it is skipped. SKIP_PEER=1 skips the authors'-loop peer, SKIP_TEMP_PEER=1 this one.
# Before it, passk with pooled problems against one problem per call (passk_pooling.sh,
# SKIP_POOLING=1 skips it).
# Writes JSON under $OUT and prints the short tables last.
set -uo pipefail
cd "$(dirname "$0")/.."
T0=${PSAMP_RUN_T0:-$(date +%s)}
OUT=${OUT:-$PWD/out/gpu-bench}
mkdir -p "$OUT"
PSAMP=${PSAMP:-build-gpu-check/psamp}
CHAINS=${CHAINS:-1,64,256,1024,4096}
status=0

echo "== psamp bench --backend cuda, chains $CHAINS" >&2
timeout 240 "$PSAMP" bench --backend cuda --chains "$CHAINS" --alpha 4 --block-size 64 \
  --mcmc-steps 4 --max-new-tokens 256 --prompt-len 32 --out "$OUT/psamp_bench_cuda.json" \
  > /dev/null 2> "$OUT/psamp_bench_cuda.log" || { echo "psamp bench failed: $(tail -2 "$OUT/psamp_bench_cuda.log")"; status=1; }

QUEUE_CHAINS=${QUEUE_CHAINS:-4096}
QUEUE_ACTIVE=${QUEUE_ACTIVE:-1024}
echo "== psamp bench --backend cuda, $QUEUE_CHAINS chains, $QUEUE_ACTIVE at once" >&2
timeout 120 "$PSAMP" bench --backend cuda --chains "$QUEUE_CHAINS" --max-active "$QUEUE_ACTIVE" --alpha 4 \
  --block-size 64 --mcmc-steps 4 --max-new-tokens 256 --prompt-len 32 --out "$OUT/psamp_bench_queue.json" \
  > /dev/null 2> "$OUT/psamp_bench_queue.log" || { echo "queued bench failed: $(tail -2 "$OUT/psamp_bench_queue.log")"; status=1; }

if [ "${SKIP_PEER:-0}" = 1 ]; then echo "peer comparison skipped (SKIP_PEER=1)" > "$OUT/peer_table.txt"; else
echo "== peer comparison (cuda)" >&2
MODEL=/tmp/opt-125m-random PSAMP=$PSAMP BACKEND=cuda B=64 N=4 T=256 PROMPT_LEN=32 \
  CHAINS=${PEER_PSAMP_CHAINS:-1,1024} PEER_CHAINS=1 \
  timeout 300 benchmarks/run_peer_comparison.sh "$OUT/peer" > "$OUT/peer_table.txt" 2> "$OUT/peer.log" ||
  { echo "peer comparison failed: $(tail -3 "$OUT/peer.log")"; status=1; }
fi

# passk's pooled problems (--batch-chains) against one problem per call on the trained model:
# 256 arithmetic problems, n = 4 (a pass@1-style run), one pair, when 150 s are left.
left=$(( T0 + ${PSAMP_RUN_BUDGET:-540} - 20 - $(date +%s) ))
if [ "${SKIP_POOLING:-0}" = 1 ] || [ $left -lt 150 ]; then
  echo "passk pooling skipped (${left} s left, SKIP_POOLING=${SKIP_POOLING:-0})" > "$OUT/pooling_table.txt"
else
  echo "== passk pooling (cuda)" >&2
  PSAMP=$PSAMP BACKEND=cuda PAIRS=1 MAX_TASKS=256 SAMPLES=4 timeout 90 benchmarks/passk_pooling.sh "$OUT/pooling" \
    > "$OUT/pooling_table.txt" 2> "$OUT/pooling.log" ||
    { echo "passk pooling failed: $(tail -2 "$OUT/pooling.log")"; status=1; }
fi

if [ "${SKIP_TEMP_PEER:-0}" = 1 ]; then
  echo "temperature-sampling peer comparison skipped (SKIP_TEMP_PEER=1)" > "$OUT/temp_peer_table.txt"
else
  left=$(( T0 + ${PSAMP_RUN_BUDGET:-540} - 20 - $(date +%s) ))
  limit=$(( left < ${TEMP_PEER_TIMEOUT:-330} ? left : ${TEMP_PEER_TIMEOUT:-330} ))
  if [ $limit -lt 90 ]; then
    echo "temperature-sampling peer comparison skipped: ${left} s left of the device call's budget" \
      > "$OUT/temp_peer_table.txt"
  else
    echo "== temperature sampling vs transformers batched generate (cuda), ${limit} s at most" >&2
    # a pair (psamp + a transformers run with its compile) takes up to ~60 s: none starts in the last 75
    MODEL=/tmp/opt-125m-random PSAMP=$PSAMP DEADLINE=$(( limit > 150 ? limit - 75 : limit / 2 )) \
      timeout -k 15 $limit benchmarks/gpu_temp_peers.sh "$OUT/temp_peer" > "$OUT/temp_peer_table.txt" \
      2> "$OUT/temp_peer.log"
    rc=$?
    case $rc in
      0) ;;
      3|124) echo "(the time budget cut the rounds short: the pairs column says how many each batch got)" \
               >> "$OUT/temp_peer_table.txt" ;;
      *) echo "temperature-sampling peer comparison: rc $rc (failed runs are listed under its table below;" \
              "logs in temp_peer/, temp_peer.log: $(tail -1 "$OUT/temp_peer.log"))"; status=1 ;;
    esac
  fi
fi

python3 - "$OUT/psamp_bench_cuda.json" "$OUT/psamp_bench_queue.json" <<'PY'
import json, sys
runs, engine = [], "?"
for path in sys.argv[1:]:
    try:
        d = json.load(open(path))
    except Exception as e:
        print(f"no psamp bench report in {path}: {e}"); continue
    runs += d["runs"]
    engine = d.get("engine", engine)
print(f"psamp bench: {engine}")
print("| chains | at once | mean batch | tokens/s | tokens/s per chain | proposals/s | host/engine |")
print("|---|---|---|---|---|---|---|")
for r in runs:
    print(f"| {r['chains']} | {r.get('active_chains', r['chains'])} | {r['mean_batch_rows']:.0f} | "
          f"{r['tokens_per_second']:.0f} | {r['tokens_per_second_per_chain']:.1f} | "
          f"{r['proposals_per_second']:.1f} | {100 * r['host_fraction']:.2f}% |")
PY
cat "$OUT/peer_table.txt" 2>/dev/null
echo
echo "==== passk: problems pooled into sampler calls vs one problem per call ===="
cat "$OUT/pooling_table.txt" 2>/dev/null
echo
echo "==== plain temperature sampling: psamp vs transformers' batched generate (static KV cache), same GPU ===="
cat "$OUT/temp_peer_table.txt" 2>/dev/null
exit $status
