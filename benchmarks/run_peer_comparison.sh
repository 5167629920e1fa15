#!/usr/bin/env bash
# psamp bench against the reference-style peer (benchmarks/peer_hf_power.py) on the same
# machine, checkpoint, settings and prompt ids, in one go; prints the throughput ratios.
#
#   benchmarks/run_peer_comparison.sh [OUT_DIR]
#
# Settings (environment, defaults small enough for a 2-core CPU in a few minutes):
#   PSAMP=build/psamp  MODEL=weights/opt-125m-random (made by make_random_opt.py if absent)
#   BACKEND=cpu  ALPHA=4  B=8  N=4  T=32  PROMPT_LEN=16  CHAINS=1,8,32  PEER_CHAINS=2
#   THREADS=2 (psamp attention threads, OpenBLAS and torch threads)  DTYPE=fp16 (cuda)
# On a GPU, e.g.: BACKEND=cuda B=64 N=4 T=256 CHAINS=1,64,256,1024,4096 PEER_CHAINS=1
# The ratio is psamp's tokens/s over the peer's, both counting every token decoded
# (block extensions and proposals); the peer runs batch 1, so its rate does not depend on
# the chain count, and "output" compares finished sequence tokens per second. The peer runs
# before and after psamp and the ratio uses the mean of the two, so a machine whose load
# drifts during the run (shared CPUs) shows it in the two peer figures.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
out=${1:-$root/build/peer_comparison}
PSAMP=${PSAMP:-$root/build/psamp}
MODEL=${MODEL:-$root/weights/opt-125m-random}
BACKEND=${BACKEND:-cpu}
ALPHA=${ALPHA:-4}; B=${B:-8}; N=${N:-4}; T=${T:-32}; PROMPT_LEN=${PROMPT_LEN:-16}
CHAINS=${CHAINS:-1,8,32}; PEER_CHAINS=${PEER_CHAINS:-2}; THREADS=${THREADS:-2}; DTYPE=${DTYPE:-fp16}

[ -x "$PSAMP" ] || { echo "run_peer_comparison: $PSAMP not built (cmake --build build)" >&2; exit 1; }
python3 -c "import torch, transformers" 2>/dev/null ||
  { echo "run_peer_comparison: the peer needs python3 with torch and transformers" >&2; exit 1; }
[ -f "$MODEL/model.safetensors" ] || python3 "$here/make_random_opt.py" "$MODEL"
mkdir -p "$out"

peer_device=cpu; peer_dtype=fp32
if [ "$BACKEND" = cuda ]; then peer_device=cuda; peer_dtype=$DTYPE; fi

run_peer() {
  echo "== peer: HF generate, batch 1, fresh generate per MH step ($PEER_CHAINS chains) -> $1" >&2
  python3 "$here/peer_hf_power.py" --model "$MODEL" --device "$peer_device" --dtype "$peer_dtype" \
    --threads "$THREADS" --chains "$PEER_CHAINS" --alpha "$ALPHA" --block-size "$B" --mcmc-steps "$N" \
    --max-new-tokens "$T" --prompt-len "$PROMPT_LEN" --out "$out/$1" >/dev/null 2>"$out/$1.log"
}
run_peer peer_before.json
echo "== psamp bench ($BACKEND, chains $CHAINS)" >&2
OPENBLAS_NUM_THREADS=$THREADS "$PSAMP" bench --model "$MODEL" --backend "$BACKEND" --dtype "$DTYPE" \
  --threads "$THREADS" --chains "$CHAINS" --alpha "$ALPHA" --block-size "$B" --mcmc-steps "$N" \
  --max-new-tokens "$T" --prompt-len "$PROMPT_LEN" --out "$out/psamp.json" >/dev/null
run_peer peer_after.json
uptime >"$out/load.txt" 2>/dev/null || true

python3 - "$out/psamp.json" "$out/peer_before.json" "$out/peer_after.json" <<'PY'
import json, sys
ps, before, after = (json.load(open(p)) for p in sys.argv[1:4])
peer_tps = (before["tokens_per_second"] + after["tokens_per_second"]) / 2
peer_out = (before["output_tokens_per_second"] + after["output_tokens_per_second"]) / 2
print(f"machine: {ps['cpu']}; psamp engine: {ps['engine']}")
print(f"peer: {before['device']} {before['device_name']} {before['dtype']}, torch {before['torch']}, "
      f"{before['threads']} threads, top_k {before['top_k']}")
print(f"settings: alpha {ps['alpha']}, B {ps['block_size']}, N {ps['mcmc_steps']}, "
      f"T {ps['max_new_tokens']}, prompt {ps['prompt_tokens']} tokens")
for name, p in (("before", before), ("after", after)):
    print(f"peer {name} psamp ({p['chains']} chains, batch 1): {p['tokens_per_second']:.2f} tokens/s, "
          f"{p['output_tokens_per_second']:.3f} output tokens/s, {p['proposals_per_second']:.3f} proposals/s, "
          f"accept {p['accept_rate']:.2f}")
print("| chains | psamp tokens/s | per chain | output tok/s | ratio tokens/s | ratio output tok/s "
      "| host/engine | engine/sgemm |")
print("|---|---|---|---|---|---|---|---|")
for r in ps["runs"]:
    frac = f"{r['fraction_of_sgemm']:.2f}" if "fraction_of_sgemm" in r else "-"
    print(f"| {r['chains']} | {r['tokens_per_second']:.1f} | {r['tokens_per_second_per_chain']:.2f} | "
          f"{r['output_tokens_per_second']:.2f} | {r['tokens_per_second'] / peer_tps:.1f}x | "
          f"{r['output_tokens_per_second'] / peer_out:.1f}x | {100 * r['host_fraction']:.3f}% | {frac} |")
PY
