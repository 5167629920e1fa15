#!/usr/bin/env bash
# What can be checked of the GPU peer comparison without a GPU (a minute or two on 2 cores):
#   benchmarks/cpu_peers/selftest.sh [PSAMP]        (PSAMP: a built psamp, default build/psamp)
# 1. syntax: py_compile of the peer scripts, bash -n of the shell scripts;
# 2. peer_hf_temp.py on the CPU (tiny fixture, batch 2, 4 tokens): one JSON, 8 tokens; with
#    --device cuda and no GPU: exit 2 and one line on stderr;
# 3. its compile paths (check_compile_paths.py: a compile that works, one that fails);
# 4. compare.py --device cuda against stand-ins for psamp and the peers' python (fakes that
#    print the JSON a GPU run would): the table, --keep-going, --deadline, --dry-run;
# 5. gpu_temp_peers.sh with DEVICE=cpu on the tiny fixture: the real psamp and transformers.
# Python: the 'hf' requirement set (scripts/pyenv.sh hf; PSAMP_PYENV picks the folder).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
PSAMP=${1:-$root/build/psamp}
fixture=$root/tests/fixtures/opt-tiny-pre
py="$("$root/scripts/pyenv.sh" hf)/bin/python"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ok() { echo "ok   $*"; }

python3 -m py_compile "$here"/*.py "$root/benchmarks/peer_hf_power.py" "$root/benchmarks/make_random_opt.py"
for s in "$here/run.sh" "$here/selftest.sh" "$root/benchmarks/gpu_temp_peers.sh" "$root/benchmarks/gpu_power_bench.sh" \
    "$root/benchmarks/run_peer_comparison.sh" "$root/tests/gpu/device_run.sh"; do bash -n "$s"; done
ok "syntax"

"$py" "$here/peer_hf_temp.py" --model "$fixture" --batch 2 --new-tokens 4 --threads 1 2>/dev/null > "$tmp/cpu.json"
"$py" -c 'import json, sys; r = json.load(open(sys.argv[1])); assert r["tokens"] == 8 and r["device"] == "cpu" and r["dtype"] == "fp32" and not r["compiled"], r' "$tmp/cpu.json"
ok "peer_hf_temp.py on cpu: $(cut -c1-80 "$tmp/cpu.json")..."
if "$py" -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)'; then
  echo "skip peer_hf_temp.py --device cuda without a GPU: this machine has one"
else
  rc=0; "$py" "$here/peer_hf_temp.py" --model "$fixture" --device cuda --dtype fp16 --cache static \
    > "$tmp/cuda.out" 2> "$tmp/cuda.err" || rc=$?
  [ $rc -eq 2 ] && [ "$(wc -l < "$tmp/cuda.err")" -eq 1 ] && [ ! -s "$tmp/cuda.out" ]
  ok "peer_hf_temp.py --device cuda, no GPU: exit 2, '$(cat "$tmp/cuda.err")'"
fi

for mode in ok bad; do "$py" "$here/check_compile_paths.py" $mode "$fixture" 2>/dev/null | tail -1; done

# stand-ins for a GPU run: psamp bench (rate 1000 x batch) and the peers' python (250 x batch,
# eager 100 x batch; FAKE_FAIL_BATCH fails that batch; the ctranslate2 probe finds no CUDA)
cat > "$tmp/psamp" <<'FAKE'
#!/usr/bin/env bash
chains=1; while [ $# -gt 0 ]; do [ "$1" = --chains ] && chains=$2; shift; done
sleep "${FAKE_SLEEP:-0}"
echo "{\"command\":\"bench\",\"engine\":\"fp16 on FAKE GPU\",\"runs\":[{\"chains\":$chains,\"tokens_per_second\":$((chains * 1000)),\"wall_seconds\":0.5}]}"
FAKE
cat > "$tmp/python" <<'FAKE'
#!/usr/bin/env bash
[ "$1" = -c ] && exit 1
batch=1; while [ $# -gt 0 ]; do [ "$1" = --batch ] && batch=$2; shift; done
[ "$batch" = "${FAKE_FAIL_BATCH:-none}" ] && exit 3
echo "{\"peer\":\"transformers\",\"version\":\"x\",\"torch\":\"x\",\"cache\":\"static\",\"device\":\"cuda\",\"dtype\":\"fp16\",\"device_name\":\"FAKE GPU\",\"tokens\":64,\"tokens_per_second\":$((batch * 250)),\"compiled\":true,\"warmup_seconds\":12.5,\"eager_tokens_per_second\":$((batch * 100))}"
FAKE
chmod +x "$tmp/psamp" "$tmp/python"
fake() { python3 "$here/compare.py" --psamp "$tmp/psamp" --python "$tmp/python" --model "$fixture" --device cuda \
  --parts temp --rounds 2 --hf-eager-too "$@" 2>/dev/null; }
fake --out-dir "$tmp/f1" > "$tmp/f1.txt"
grep -q "^| 1024 | 1024000.0 | 256000.0 | 4.00x (4.00-4.00) | 102400.0 | 10.00x (10.00-10.00) | 12.5 | 2/2 |$" "$tmp/f1.txt"
grep -q "^gpu: FAKE GPU$" "$tmp/f1.txt"
ok "compare.py --device cuda (stand-ins): the table"
rc=0; FAKE_FAIL_BATCH=256 fake --out-dir "$tmp/f2" --keep-going > "$tmp/f2.txt" || rc=$?
[ $rc -eq 1 ] && grep -q "^| 256 | 256000.0 | - | - | - | - | - | 0/2 |$" "$tmp/f2.txt" && grep -q "run(s) failed" "$tmp/f2.txt"
ok "compare.py --keep-going: a failed batch leaves its cells empty, exit 1"
rc=0; FAKE_SLEEP=0.3 fake --out-dir "$tmp/f3" --deadline 1.5 > "$tmp/f3.txt" || rc=$?
[ $rc -eq 3 ] && grep -q "^stopped early: --deadline" "$tmp/f3.txt" && grep -q "| 1/2 |$" "$tmp/f3.txt"
ok "compare.py --deadline: the table of the pairs done, exit 3"
fake --out-dir "$tmp/f4" --dry-run | grep -q "^dry run: 16 runs planned"
ok "compare.py --dry-run"

if [ -x "$PSAMP" ]; then
  DEVICE=cpu PSAMP="$PSAMP" PYTHON="$py" MODEL="$fixture" BATCHES=2,1 ROUNDS=1 NEW_TOKENS=4 PROMPT_LEN=16 \
    THREADS=1 "$root/benchmarks/gpu_temp_peers.sh" "$tmp/smoke" > "$tmp/smoke.txt" 2>/dev/null
  grep -qE "^\| 2 \| [0-9.]+ \| [0-9.]+ \| [0-9.]+x" "$tmp/smoke.txt"
  ok "gpu_temp_peers.sh DEVICE=cpu on the tiny fixture"
else
  echo "skip gpu_temp_peers.sh smoke test: $PSAMP not built"
fi
echo "selftest: all passed"
