#!/usr/bin/env bash
# psamp sweep on toy worlds and the tiny OPT fixture: bad input fails before any work, a
# whole run's files, resume, a run killed mid-point, shards (and local-gpus.sh) equal to
# the whole run, merge of missing / failed / foreign points.
source "$(dirname "$0")/cli_lib.sh"
src=$PSAMP_SOURCE_DIR
toy_config=$src/experiments/configs/toy-sweep.json
trap_world=$src/experiments/toy/greedy_trap.json
opt=$PSAMP_FIXTURES/opt-tiny-pre

# same_results A B: the two sweep folders hold the same rows (timings aside) and
# byte-identical samples.
same_results() {
  checks=$((checks + 1))
  python3 "$src/tests/sweep_compare.py" "$1" "$2" || fail "sweeps $1 and $2 differ"
}

no_temporaries() {
  checks=$((checks + 1))
  [ -z "$(find "$1" -name '*.tmp.*')" ] || fail "temporaries left in $1: $(find "$1" -name '*.tmp.*')"
}

# ---- bad input: one line naming the key, exit 1 (config) or 2 (usage), nothing written --
bad() { # bad CODE PATTERN JSON
  printf '%s' "$3" >"$tmp/bad.json"
  expect_error "$1" "$2" -- sweep --config "$tmp/bad.json" --out "$tmp/bad_out"
  checks=$((checks + 1))
  [ ! -e "$tmp/bad_out" ] || { fail "bad config '$3' created the output folder"; rm -rf "$tmp/bad_out"; }
}
bad 1 "bad.json: unknown key 'alphas'" "{\"model\": \"$trap_world\", \"alphas\": [1, 2]}"
bad 1 "bad.json: kv_cache: unknown value 'fp4'" "{\"model\": \"$trap_world\", \"kv_cache\": \"fp4\"}"
bad 1 "bad.json: kv_cache: fp8, but model.* is a toy world" "{\"model\": \"$trap_world\", \"kv_cache\": \"fp8\"}"
bad 1 "bad.json: kv_cache: fp8 is the CUDA engine's" "{\"model\": \"$opt\", \"backend\": \"cpu\", \"kv_cache\": \"fp8\"}"
bad 1 "bad.json: alpha: empty list" "{\"model\": \"$trap_world\", \"alpha\": []}"
bad 1 "bad.json: alpha\[2\]: must be > 0" "{\"model\": \"$trap_world\", \"alpha\": [1, 2, 0]}"
bad 1 "bad.json: chains: must be an integer" "{\"model\": \"$trap_world\", \"chains\": 1.5}"
bad 1 "bad.json: model\[1\]: .*does not exist" "{\"model\": [\"$trap_world\", \"$tmp/nope.json\"]}"
bad 1 "bad.json: model: missing" "{\"alpha\": 2}"
bad 1 "bad.json: block_size\[1\]: 9 is larger than max_new_tokens 8" "{\"model\": \"$trap_world\", \"block_size\": [2, 9]}"
bad 1 "bad.json: method\[1\]: unknown method" "{\"model\": \"$trap_world\", \"method\": [\"power\", \"beam\"]}"
bad 1 "bad.json: prompt (model): no token" "{\"model\": \"$trap_world\", \"prompt\": \"Z\"}"
bad 1 "bad.json: model: .*config.json" "{\"model\": \"$tmp\"}"
bad 1 "bad.json: prompt: .* tokens leave no room" "{\"model\": \"$opt\", \"prompt\": \"$(printf 'word %.0s' $(seq 200))\"}"
bad 1 "bad.json: not valid JSON" "{\"model\": "
expect_error 1 "\-\-config: .*none.json: cannot open" -- sweep --config "$tmp/none.json" --out "$tmp/bad_out"
: >"$tmp/a_file"
expect_error 1 "\-\-out: '$tmp/a_file' is not a directory" -- sweep --config "$toy_config" --out "$tmp/a_file/sub"
for spec in 3/2 0/0 x/4 -1/4 2/2 1/; do
  expect_error 2 "\-\-shard" -- sweep --config "$toy_config" --out "$tmp/bad_out" --shard "$spec"
done
expect_error 2 "config is required" -- sweep --out "$tmp/bad_out"
expect_error 2 "out is required" -- sweep --config "$toy_config"
expect_error 2 "takes no --config" -- sweep --merge "$tmp/bad_out" --config "$toy_config"
expect_error 1 "holds no sweep" -- sweep --merge "$tmp"
checks=$((checks + 1))
[ ! -e "$tmp/bad_out" ] || fail "a bad command line created the output folder"

# ---- a whole run on toy worlds --------------------------------------------------------
expect_ok sweep --config "$toy_config" --out "$tmp/whole"
grep -q "32 points: 0 finished before, 32 run now, 0 failed" "$tmp/out" || fail "whole run summary: $(cat "$tmp/out")"
json_check "$tmp/whole/results.json" 'd["points"] == d["finished"] == 32 and len(d["rows"]) == 32 and [r["index"] for r in d["rows"]] == list(range(32))'
json_check "$tmp/whole/results.json" 'all(r["accept_rate"] is None or 0 <= r["accept_rate"] <= 1 for r in d["rows"]) and all(0 <= r["correct_rate"] <= 1 and r["mean_logp"] < 0 and r["tokens_per_second_per_chain"] > 0 for r in d["rows"])'
json_check "$tmp/whole/results.json" 'all((r["method"] == "power") == (r["alpha"] is not None) and (r["method"] == "temp") == (r["temperature"] is not None) for r in d["rows"])'
# The mixing diagnostic: for power points, null for the others; no probe unless asked.
json_check "$tmp/whole/results.json" 'all((r["method"] == "power") == (r["mixing_score"] is not None) and r["mixing_probe_shift"] is None for r in d["rows"])'
json_check "$tmp/whole/results.json" 'all(0 <= r["mixing_start_null"] <= 1 and 0 <= r["mixing_turnover"] <= 1 and r["mixing_probe_steps"] == 0 for r in d["rows"] if r["method"] == "power")'
head -1 "$tmp/whole/results.csv" | grep -q "mixing_start_dependence,mixing_start_null,mixing_probe_steps,mixing_probe_shift,mixing_turnover,mixing_score," || fail "mixing columns missing from results.csv"
checks=$((checks + 1))
# mixing_probe: the same samples, a probe shift, and more tokens decoded.
python3 -c 'import json,os,sys; c=json.load(open(sys.argv[1])); c["mixing_probe"]=6; c["model"]=[os.path.join(os.path.dirname(sys.argv[1]), m) for m in c["model"]]; json.dump(c,open(sys.argv[2],"w"))' \
  "$toy_config" "$tmp/probe.json"
expect_ok sweep --config "$tmp/probe.json" --out "$tmp/probed"
python3 - "$tmp/whole" "$tmp/probed" <<'PY' || fail "mixing_probe changed the samples or left no trace"
import json, sys
a, b = (json.load(open(d + "/results.json"))["rows"] for d in sys.argv[1:3])
def samples(d, r):
    return [{k: x[k] for k in ("chain", "tokens", "logp")} for x in map(json.loads, open(d + "/" + r["samples"]))]
ok = len(a) == len(b) == 32
for x, y in zip(a, b):
    ok = ok and samples(sys.argv[1], x) == samples(sys.argv[2], y)
    if x["method"] == "power":
        ok = ok and y["mixing_probe_steps"] == 6 and 0 <= y["mixing_probe_shift"] <= 1
        ok = ok and y["tokens_decoded"] > x["tokens_decoded"] and y["est_tokens"] > x["est_tokens"]
    else:
        ok = ok and y["tokens_decoded"] == x["tokens_decoded"] and y["mixing_score"] is None
sys.exit(0 if ok else 1)
PY
checks=$((checks + 1))
bad 1 "bad.json: mixing_probe: a fixed setting" "{\"model\": \"$trap_world\", \"mixing_probe\": [1, 2]}"
bad 1 "bad.json: mixing_probe: must be an integer" "{\"model\": \"$trap_world\", \"mixing_probe\": -1}"
# The greedy trap at alpha = 4, B = 2: power escapes the trap; temperature 1/4 does not.
json_check "$tmp/whole/results.json" 'all(r["correct_rate"] > 0.9 for r in d["rows"] if r["model"].endswith("greedy_trap.json") and r["alpha"] == 4 and r["block_size"] == 2) and all(r["correct_rate"] < 0.3 for r in d["rows"] if r["model"].endswith("greedy_trap.json") and r["temperature"] == 0.25)'
json_check "$tmp/whole/results.json" 'all(abs(r["mean_logp_per_token"] * r["mean_length"] - r["mean_logp"]) < 1e-9 and r["tokens_decoded"] >= r["proposal_tokens"] for r in d["rows"])'
checks=$((checks + 1))
python3 - "$tmp/whole" <<'PY' || fail "results.csv, samples or point files disagree with results.json"
import csv, json, os, sys
d = sys.argv[1]
res = json.load(open(f"{d}/results.json"))
rows = list(csv.DictReader(open(f"{d}/results.csv")))
assert len(rows) == 32 and rows[5]["name"] == res["rows"][5]["name"]
assert float(rows[5]["mean_logp"]) == res["rows"][5]["mean_logp"]
for r in res["rows"]:
    lines = [json.loads(l) for l in open(os.path.join(d, r["samples"]))]
    assert len(lines) == r["chains"] == 500 and sorted(x["chain"] for x in lines) == list(range(500))
    assert json.load(open(f"{d}/points/{r['name']}.json"))["name"] == r["name"]
PY
no_temporaries "$tmp/whole"

# ---- resume: a rerun runs nothing and rewrites the same results -----------------------
cp "$tmp/whole/results.json" "$tmp/whole_results.json"
expect_ok sweep --config "$toy_config" --out "$tmp/whole"
grep -q "32 finished before, 0 run now" "$tmp/out" || fail "resume ran points again: $(cat "$tmp/out")"
checks=$((checks + 1))
cmp -s "$tmp/whole/results.json" "$tmp/whole_results.json" || fail "resume changed results.json"
# Another config in the same folder is refused, whole or as a shard.
sed -e 's/"chains": 500/"chains": 400/' -e "s|\.\./toy/|$src/experiments/toy/|g" "$toy_config" >"$tmp/other.json"
expect_error 1 "holds a sweep of another config" -- sweep --config "$tmp/other.json" --out "$tmp/whole"
expect_error 1 "holds a sweep of another config" -- sweep --config "$tmp/other.json" --out "$tmp/whole" --shard 0/2

# ---- shards: disjoint, balanced by tokens, and equal to the whole run -----------------
for i in 0 1 2; do expect_ok sweep --config "$toy_config" --out "$tmp/x" --list --shard $i/3; grep -v '^#' "$tmp/out" | tail -n +2 >"$tmp/list$i"; done
checks=$((checks + 1))
python3 - "$tmp"/list0 "$tmp"/list1 "$tmp"/list2 <<'PY' || fail "shard lists are not a balanced partition"
import sys
shards = [[l.split("\t") for l in open(p) if l.strip()] for p in sys.argv[1:]]
idx = sorted(int(r[0]) for s in shards for r in s)
loads = [sum(float(r[3]) for r in s) for s in shards]
biggest = max(float(r[3]) for s in shards for r in s)
sys.exit(0 if idx == list(range(32)) and max(loads) - min(loads) <= biggest else 1)
PY
[ ! -e "$tmp/x" ] || fail "--list created the output folder"
expect_ok sweep --config "$toy_config" --out "$tmp/sharded" --shard 0/3
expect_ok sweep --config "$toy_config" --out "$tmp/sharded" --shard 2/3
checks=$((checks + 1))
[ ! -e "$tmp/sharded/results.json" ] || fail "a shard wrote results.json (merge's job)"
# A merge with a shard missing lists its points and fails.
expect_error_lines() { "$PSAMP" "$@" >"$tmp/out" 2>"$tmp/err"; echo $?; }
rc=$(expect_error_lines sweep --merge "$tmp/sharded")
checks=$((checks + 1))
n_missing=$(wc -l <"$tmp/list1")
[ "$rc" = 1 ] && grep -q "$n_missing points missing" "$tmp/err" && [ "$(grep -c '^psamp sweep: missing p' "$tmp/err")" = "$n_missing" ] ||
  fail "merge without shard 1: exit $rc, $(cat "$tmp/err")"
json_check "$tmp/sharded/results.json" "d['finished'] == 32 - $n_missing and d['points'] == 32"
expect_ok sweep --config "$toy_config" --out "$tmp/sharded" --shard 1/3
expect_ok sweep --merge "$tmp/sharded"
grep -q "merged 32 of 32 points" "$tmp/out" || fail "merge: $(cat "$tmp/out")"
same_results "$tmp/whole" "$tmp/sharded"
json_check "$tmp/sharded/shards/shard-1-of-3.json" 'd["state"] == "finished" and d["ran"] == len(d["points"]) > 0'

# The same with one shard per (pretend) GPU: toy worlds need none.
CUDA_VISIBLE_DEVICES=3,5 PSAMP=$PSAMP "$src/experiments/slurm/local-gpus.sh" "$toy_config" "$tmp/gpus" >"$tmp/out" 2>"$tmp/err" ||
  fail "local-gpus.sh: $(cat "$tmp/err")"
same_results "$tmp/whole" "$tmp/gpus"
checks=$((checks + 1))
[ -s "$tmp/gpus/logs/shard-1.log" ] && [ -e "$tmp/gpus/shards/shard-1-of-2.json" ] || fail "local-gpus.sh ran no second shard"

# sweep.sbatch maps array tasks to shards (Slurm's variables set by hand here; the real
# cluster runs in slurm_sweep.sh): task 1 of 0-2 is shard 1/3, an array that is not 0..N-1
# needs PSAMP_SHARDS.
sbatch_script=$src/experiments/slurm/sweep.sbatch
SLURM_ARRAY_TASK_ID=1 SLURM_ARRAY_TASK_MIN=0 SLURM_ARRAY_TASK_MAX=2 SLURM_ARRAY_TASK_COUNT=3 PSAMP=$PSAMP \
  bash "$sbatch_script" "$toy_config" "$tmp/array" >"$tmp/out" 2>"$tmp/err" || fail "sweep.sbatch task 1: $(cat "$tmp/err")"
json_check "$tmp/array/shards/shard-1-of-3.json" 'd["state"] == "finished" and d["shard"] == 1 and d["shards"] == 3'
SLURM_ARRAY_TASK_ID=2 SLURM_ARRAY_TASK_MIN=1 SLURM_ARRAY_TASK_MAX=2 SLURM_ARRAY_TASK_COUNT=2 PSAMP=$PSAMP \
  bash "$sbatch_script" "$toy_config" "$tmp/array" >"$tmp/out" 2>"$tmp/err"
rc=$?
checks=$((checks + 1))
[ $rc = 2 ] && grep -q "set PSAMP_SHARDS" "$tmp/err" || fail "sweep.sbatch accepted an array 1-2 without PSAMP_SHARDS"
SLURM_ARRAY_TASK_ID=2 SLURM_ARRAY_TASK_MIN=2 SLURM_ARRAY_TASK_MAX=2 SLURM_ARRAY_TASK_COUNT=1 PSAMP_SHARDS=3 PSAMP=$PSAMP \
  bash "$sbatch_script" "$toy_config" "$tmp/array" >"$tmp/out" 2>"$tmp/err" || fail "sweep.sbatch with PSAMP_SHARDS: $(cat "$tmp/err")"
json_check "$tmp/array/shards/shard-2-of-3.json" 'd["state"] == "finished" and d["shards"] == 3'

# Merging in points of another config is refused (by config hash).
"$PSAMP" sweep --config "$tmp/other.json" --out "$tmp/other" --shard 1/2 >/dev/null 2>&1 || fail "other config shard"
cp -r "$tmp/sharded" "$tmp/mixed"
cp "$tmp/other/shards/shard-1-of-2.json" "$tmp/mixed/shards/"
expect_error 1 "shards of different configs" -- sweep --merge "$tmp/mixed" --quiet
rm "$tmp/mixed/shards/shard-1-of-2.json"
cp "$(ls "$tmp"/other/points/*.json | head -1)" "$tmp/mixed/points/"
expect_error 1 "shards of different configs" -- sweep --merge "$tmp/mixed" --quiet

# ---- a failed point: recorded, listed by merge, retried by the next run -----------------
expect_ok sweep --config "$toy_config" --out "$tmp/x" --list
victim=$(awk -F'\t' '$1 == 7 {print $2}' "$tmp/out")
mkdir -p "$tmp/failing/samples/$victim.jsonl"   # a folder where the samples file must go
"$PSAMP" sweep --config "$toy_config" --out "$tmp/failing" >"$tmp/out" 2>"$tmp/err"
rc=$?
checks=$((checks + 1))
[ $rc = 1 ] && grep -q "31 run now, 1 failed" "$tmp/out" && grep -q "$victim" "$tmp/err" || fail "failed point: exit $rc, $(cat "$tmp/out" "$tmp/err")"
json_check "$tmp/failing/points/$victim.failed.json" '"is not a regular file" in d["error"]'
rc=$(expect_error_lines sweep --merge "$tmp/failing")
checks=$((checks + 1))
[ "$rc" = 1 ] && grep -q "^psamp sweep: failed $victim" "$tmp/err" || fail "merge does not list the failed point: $(cat "$tmp/err")"
rmdir "$tmp/failing/samples/$victim.jsonl"
expect_ok sweep --config "$toy_config" --out "$tmp/failing"
grep -q "31 finished before, 1 run now, 0 failed" "$tmp/out" || fail "retry: $(cat "$tmp/out")"
checks=$((checks + 1))
[ ! -e "$tmp/failing/points/$victim.failed.json" ] || fail "the failure record outlived the success"
same_results "$tmp/whole" "$tmp/failing"

# ---- a run killed mid-point (kill -9) resumes to the uninterrupted result ---------------
cat >"$tmp/slow.json" <<EOF
{"model": "$trap_world", "alpha": 4, "block_size": 2, "mcmc_steps": 30, "chains": 3000,
 "seed": [1, 2, 3, 4, 5], "backend": "cpu"}
EOF
"$PSAMP" sweep --config "$tmp/slow.json" --out "$tmp/killed" >/dev/null 2>&1 &
pid=$!
for _ in $(seq 600); do # until a point is finished and the next one is under way
  if ls "$tmp/killed/points/"*.json >/dev/null 2>&1 && ls "$tmp/killed/samples/"*.tmp.* >/dev/null 2>&1; then break; fi
  sleep 0.02
done
kill -9 $pid
wait $pid 2>/dev/null
checks=$((checks + 1))
n_done=$(ls "$tmp/killed/points/" | grep -c '^p.*[0-9a-f]\.json$')
n_tmp=$(find "$tmp/killed" -name '*.tmp.*' | wc -l)
[ "$n_done" -ge 1 ] && [ "$n_done" -lt 5 ] && [ "$n_tmp" -ge 1 ] || fail "the kill did not land mid-point ($n_done done, $n_tmp temporaries)"
expect_ok sweep --config "$tmp/slow.json" --out "$tmp/killed"
grep -q "$n_done finished before, $((5 - n_done)) run now" "$tmp/out" || fail "resume after kill: $(cat "$tmp/out")"
no_temporaries "$tmp/killed"
expect_ok sweep --config "$tmp/slow.json" --out "$tmp/unkilled" --quiet
same_results "$tmp/killed" "$tmp/unkilled"

# ---- max_active: chains queue for fewer engine slots, the samples stay the same ------------
python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); c["max_active"]=3; c["model"]=[sys.argv[2]]; json.dump(c,open(sys.argv[3],"w"))' \
  "$toy_config" "$trap_world" "$tmp/queued.json"
python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); c["model"]=[sys.argv[2]]; json.dump(c,open(sys.argv[3],"w"))' \
  "$toy_config" "$trap_world" "$tmp/unqueued.json"
expect_ok sweep --config "$tmp/queued.json" --out "$tmp/queued" --quiet
expect_ok sweep --config "$tmp/unqueued.json" --out "$tmp/unqueued" --quiet
checks=$((checks + 1))
python3 "$src/tests/sweep_compare.py" --run-settings "$tmp/queued" "$tmp/unqueued" || fail "max_active 3 changed the sweep"
json_check "$tmp/queued/results.json" 'all(r["max_active"] == 3 for r in d["rows"])'
bad 1 "bad.json: max_active: must be an integer from 0" "{\"model\": \"$trap_world\", \"max_active\": -1}"
bad 1 "bad.json: max_active: a fixed setting" "{\"model\": \"$trap_world\", \"max_active\": [1, 2]}"

# ---- the tiny OPT checkpoint: prompts x methods, whole and sharded ---------------------
cat >"$tmp/opt.json" <<EOF
{"model": "$opt", "prompt": ["Hello world", "The"], "method": ["greedy", "power", "bestofn"],
 "max_new_tokens": 6, "block_size": [2, 3], "mcmc_steps": 2, "chains": 3, "best_of": 2,
 "seed": 5, "backend": "cpu", "threads": 1}
EOF
expect_ok sweep --config "$tmp/opt.json" --out "$tmp/opt_whole"
json_check "$tmp/opt_whole/results.json" 'd["finished"] == 8 and all(r["backend"] == "cpu" and r["max_new_tokens"] == 6 and r["mean_logp"] < 0 and r["correct_rate"] is None for r in d["rows"])'
json_check "$tmp/opt_whole/results.json" 'sorted(set(r["method"] for r in d["rows"])) == ["bestofn", "greedy", "power"] and all((r["proposals"] > 0) == (r["method"] == "power") for r in d["rows"])'
expect_ok sweep --config "$tmp/opt.json" --out "$tmp/opt_sharded" --shard 0/2
expect_ok sweep --config "$tmp/opt.json" --out "$tmp/opt_sharded" --shard 1/2
expect_ok sweep --merge "$tmp/opt_sharded"
same_results "$tmp/opt_whole" "$tmp/opt_sharded"

# ---- accuracy on toy worlds: pass@1 = correct_rate, its Wilson interval, pass@k ----------
checks=$((checks + 1))
python3 - "$tmp/whole" <<'PY' || fail "toy-world accuracy columns"
import csv, json, math, sys
d = sys.argv[1]
res = json.load(open(f"{d}/results.json"))
z = 1.959963984540054
def est(n, c, k):
    return 1.0 if n - c < k else 1.0 - math.prod(1 - k / j for j in range(n - c + 1, n + 1))
for r in res["rows"]:
    n, c = r["samples_per_problem"], r["correct_total"]
    assert r["problems"] == 1 and n == r["chains"] == 500 and r["tasks"] is None
    assert r["pass_at_1"] == r["correct_rate"] == c / n
    p, zn = c / n, z * z / n
    centre, half = (p + zn / 2) / (1 + zn), z / (1 + zn) * math.sqrt(p * (1 - p) / n + zn / (4 * n))
    assert abs(r["pass_at_1_lo"] - max(0, centre - half)) < 1e-9 and abs(r["pass_at_1_hi"] - min(1, centre + half)) < 1e-9
    assert r["k"] == [1, 2, 4, 8, 16, 32, 64, 128, 256, 500], r["k"]
    assert all(abs(v - est(n, c, k)) < 1e-9 for k, v in zip(r["k"], r["pass_at_k"]))
    assert all(lo <= v <= hi for lo, v, hi in zip(r["pass_at_k_lo"], r["pass_at_k"], r["pass_at_k_hi"]))
    assert r["tokens_per_problem"] == r["tokens_decoded"] and r["hardware"]
rows = list(csv.DictReader(open(f"{d}/results.csv")))
assert list(rows[0])[-9:] == [f"pass_at_{k}" for k in (2, 4, 8, 16, 32, 64, 128, 256, 500)], list(rows[0])[-9:]
assert float(rows[3]["pass_at_64"]) == res["rows"][3]["pass_at_k"][6]
PY

# ---- a task file on the tiny OPT: bad task keys, then pass@1 / pass@k per point ----------
cat >"$tmp/tasks.jsonl" <<'T'
{"id": "any", "prompt": "Hello", "regex": "."}
{"id": "any-again", "prompt": "Hello", "regex": "."}
{"id": "never", "prompt": "Hello", "regex": "^QQQQQQQQ$"}
{"id": "word", "prompt": "The", "answer": "t"}
{"id": "marked", "prompt": "Q: 1+1", "answer": "2", "marker": "A:", "numeric": true}
{"id": "dropped", "prompt": "not run: max_tasks is 5", "regex": "."}
T
printf '{"id": "a", "prompt": "x"}\n' >"$tmp/unjudged.jsonl"
bad 1 "bad.json: prompt, tasks: give one of them" "{\"model\": \"$opt\", \"tasks\": \"$tmp/tasks.jsonl\", \"prompt\": \"Hi\"}"
bad 1 "bad.json: chains: with \"tasks\", give samples_per_task" "{\"model\": \"$opt\", \"tasks\": \"$tmp/tasks.jsonl\", \"chains\": 4}"
bad 1 "bad.json: samples_per_task: needs \"tasks\"" "{\"model\": \"$opt\", \"samples_per_task\": 4}"
bad 1 "bad.json: max_tasks: needs \"tasks\"" "{\"model\": \"$opt\", \"max_tasks\": 4}"
bad 1 "bad.json: prompt_template: needs \"tasks\"" "{\"model\": \"$opt\", \"prompt_template\": \"x.txt\"}"
bad 1 "bad.json: prompt_template: .*nowhere.txt" "{\"model\": \"$opt\", \"tasks\": \"$tmp/tasks.jsonl\", \"prompt_template\": \"$tmp/nowhere.txt\"}"
bad 1 "bad.json: samples_per_task\[1\]: must be an integer from 1" "{\"model\": \"$opt\", \"tasks\": \"$tmp/tasks.jsonl\", \"samples_per_task\": [2, 0]}"
bad 1 "bad.json: k\[1\]: must be an integer from 1" "{\"model\": \"$trap_world\", \"k\": [1, 0]}"
bad 1 "bad.json: tasks: .*unjudged.jsonl:1: needs an \"answer\" or a \"regex\"" "{\"model\": \"$opt\", \"tasks\": \"$tmp/unjudged.jsonl\"}"
bad 1 "bad.json: tasks: .*nowhere.jsonl: cannot open" "{\"model\": \"$opt\", \"tasks\": \"$tmp/nowhere.jsonl\"}"
cat >"$tmp/tasks.json" <<EOF
{"name": "tiny-tasks", "model": "$opt", "tasks": "tasks.jsonl", "max_tasks": 5,
 "method": ["temp", "power", "greedy"], "alpha": [2, 4], "block_size": [2, 3], "mcmc_steps": 2,
 "max_new_tokens": 6, "samples_per_task": [2, 4], "k": [1, 2, 4], "seed": 9, "backend": "cpu", "threads": 1}
EOF
expect_ok sweep --config "$tmp/tasks.json" --out "$tmp/tasks_whole"
grep -q "12 points: 0 finished before, 12 run now, 0 failed" "$tmp/out" || fail "task sweep: $(cat "$tmp/out")"
checks=$((checks + 1))
python3 - "$tmp/tasks_whole" "$tmp/tasks.jsonl" <<'PY' || fail "task sweep: verdicts, pass@1, its interval or pass@k"
import csv, json, math, re, sys
d = sys.argv[1]
res = json.load(open(f"{d}/results.json"))
assert res["name"] == "tiny-tasks" and res["finished"] == 12
tasks = {t["id"]: t for t in map(json.loads, open(sys.argv[2]))}
def right(t, text):
    if "marker" in t:
        at = text.find(t["marker"])
        if at < 0:
            return False
        got = text[at + len(t["marker"]):].split("\n")[0].strip(" \t\r")
        return re.fullmatch(r"[+-]?[0-9]+(\.[0-9]+)?", got) is not None and float(got) == float(t["answer"])
    s = text.lstrip(" \t\n\r\v\f")
    if "answer" in t:
        a, nxt = t["answer"], s[len(t["answer"]):len(t["answer"]) + 1]
        return s.startswith(a) and not (a[-1].isalnum() and nxt.isascii() and nxt.isalnum())
    return re.search(t["regex"], s) is not None
def est(n, c, k):
    return 1.0 if n - c < k else 1.0 - math.prod(1 - k / j for j in range(n - c + 1, n + 1))
methods = set()
for r in res["rows"]:
    methods.add(r["method"])
    n = r["samples_per_problem"]
    assert r["problems"] == 5 and n == r["chains"] and r["tasks"].endswith("tasks.jsonl")
    lines = [json.loads(l) for l in open(f"{d}/{r['samples']}")]
    assert [x["problem"] for x in lines] == [i for i in ["any", "any-again", "never", "word", "marked"] for _ in range(n)]
    counts = {}
    for x in lines:
        if "\ufffd" not in x["text"]:
            assert x["correct"] == right(tasks[x["problem"]], x["text"]), x
        counts[x["problem"]] = counts.get(x["problem"], 0) + x["correct"]
    assert counts["any"] == counts["any-again"] == n and counts["never"] == 0, counts
    c = list(counts.values())
    rates = [ci / n for ci in c]
    mean = sum(rates) / 5
    sd = math.sqrt(sum((x - mean) ** 2 for x in rates) / 4)
    assert abs(r["pass_at_1"] - mean) < 1e-12 and r["correct_total"] == sum(c)
    assert abs(r["pass_at_1_lo"] - max(0, mean - 1.959963984540054 * sd / math.sqrt(5))) < 1e-9
    assert abs(r["pass_at_1_hi"] - min(1, mean + 1.959963984540054 * sd / math.sqrt(5))) < 1e-9
    assert r["k"] == [1, 2, 4]
    for k, v in zip(r["k"], r["pass_at_k"]):
        assert (v is None) == (k > n) and (v is None or abs(v - sum(est(n, ci, k) for ci in c) / 5) < 1e-9), (k, v)
    assert r["tokens_decoded"] == sum(x["tokens_decoded"] for x in lines) and r["tokens_per_problem"] == r["tokens_decoded"] / 5
    # Each task draws its own streams: the two "Hello" tasks do not get the same samples.
    if r["method"] != "greedy":
        assert [x["tokens"] for x in lines[:n]] != [x["tokens"] for x in lines[n:2 * n]]
    else:  # one greedy chain decoded per task, copied to the others (they decode nothing)
        for i in range(5):
            group = lines[i * n:(i + 1) * n]
            assert all(x["tokens"] == group[0]["tokens"] for x in group), group
            assert group[0]["tokens_decoded"] > 0 and all(x["tokens_decoded"] == 0 for x in group[1:]), group
assert methods == {"temp", "power", "greedy"}
rows = list(csv.DictReader(open(f"{d}/results.csv")))
cols = list(rows[0])
for c in ("alpha", "block_size", "mcmc_steps", "proposal_temp", "max_new_tokens", "temperature", "method",
          "pass_at_1", "pass_at_1_lo", "pass_at_1_hi", "tokens_per_problem", "pass_at_2", "pass_at_4"):
    assert c in cols, c
assert cols[-2:] == ["pass_at_2", "pass_at_4"]
assert [r["pass_at_4"] == "" for r in rows] == [r["samples_per_problem"] == "2" for r in rows]
assert float(rows[5]["pass_at_1"]) == res["rows"][5]["pass_at_1"]
PY
no_temporaries "$tmp/tasks_whole"
# The tasks above ran pooled into sampler calls (batch_chains, default 1024); one task per
# call ("batch_chains": 0) and two per call (8 chains at 4 samples, 4 at 2) give the same
# samples: tasks, chains, tokens and verdicts, log p within 1e-4, except where the CPU GEMM's
# rounding across batch shapes moves a draw or an MH decision across its boundary (at most 2
# samples; none seen here).
for bc in 0 8; do
  sed "s/\"threads\": 1}/\"threads\": 1, \"batch_chains\": $bc}/" "$tmp/tasks.json" >"$tmp/tasks_bc$bc.json"
  expect_ok sweep --config "$tmp/tasks_bc$bc.json" --out "$tmp/tasks_bc$bc"
  checks=$((checks + 1))
  python3 - "$tmp/tasks_whole" "$tmp/tasks_bc$bc" <<'PY' || fail "batch_chains $bc: the task sweep's samples differ"
import json, sys
a, b = (json.load(open(f"{d}/results.json")) for d in sys.argv[1:3])
assert len(a["rows"]) == len(b["rows"]) == 12
flips = 0  # draws or MH decisions moved across a boundary by rounding: at most 2 samples in all
for ra, rb in zip(a["rows"], b["rows"]):
    la, lb = ([json.loads(l) for l in open(f"{d}/{r['samples']}")] for d, r in ((sys.argv[1], ra), (sys.argv[2], rb)))
    assert len(la) == len(lb) > 0
    for x, y in zip(la, lb):
        assert (x["problem"], x["chain"]) == (y["problem"], y["chain"]), (x, y)
        if x["tokens"] != y["tokens"]:
            flips += 1
            continue
        assert abs(x.pop("logp") - y.pop("logp")) <= 1e-4 and x == y, (x, y)
assert flips <= 2, flips
PY
done
bad 1 "bad.json: batch_chains: needs \"tasks\"" "{\"model\": \"$opt\", \"batch_chains\": 8}"
bad 1 "bad.json: batch_chains: must be an integer" "{\"model\": \"$opt\", \"tasks\": \"$tmp/tasks.jsonl\", \"batch_chains\": -1}"
# Resume runs nothing; shards and merge give the same rows and samples.
expect_ok sweep --config "$tmp/tasks.json" --out "$tmp/tasks_whole"
grep -q "12 finished before, 0 run now" "$tmp/out" || fail "task sweep resume: $(cat "$tmp/out")"
expect_ok sweep --config "$tmp/tasks.json" --out "$tmp/tasks_sharded" --shard 1/2
rc=$(expect_error_lines sweep --merge "$tmp/tasks_sharded")
checks=$((checks + 1))
[ "$rc" = 1 ] && grep -q "points missing" "$tmp/err" || fail "task merge with a shard missing: exit $rc"
expect_ok sweep --config "$tmp/tasks.json" --out "$tmp/tasks_sharded" --shard 0/2
expect_ok sweep --merge "$tmp/tasks_sharded"
same_results "$tmp/tasks_whole" "$tmp/tasks_sharded"
checks=$((checks + 1))
python3 - "$tmp/tasks_whole/results.csv" "$tmp/tasks_sharded/results.csv" <<'PY' || fail "merged results.csv differs from the whole run's"
import csv, sys
timing = {"wall_seconds", "tokens_per_second", "tokens_per_second_per_chain", "proposals_per_second_per_chain"}
a, b = ([{k: v for k, v in r.items() if k not in timing} for r in csv.DictReader(open(p))] for p in sys.argv[1:])
sys.exit(0 if a == b and len(a) == 12 else 1)
PY
# The same config text over another task file is another sweep.
cp "$tmp/tasks.jsonl" "$tmp/tasks.jsonl.orig"
sed -i 's/"answer": "t"/"answer": "u"/' "$tmp/tasks.jsonl"
expect_error 1 "holds a sweep of another config" -- sweep --config "$tmp/tasks.json" --out "$tmp/tasks_whole"
mv "$tmp/tasks.jsonl.orig" "$tmp/tasks.jsonl"
finish
