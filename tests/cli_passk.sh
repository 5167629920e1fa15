#!/usr/bin/env bash
# psamp passk: the CI config on the toy worlds reproduces the exact correct-set masses of
# `psamp exact` (pass@1 of power at alpha 4 and of temperature 1/4), pass@k follows from the
# counts; a task file on the tiny OPT fixture is judged by the documented rules; every bad
# input is one line before any work.
source "$(dirname "$0")/cli_lib.sh"
toy="$PSAMP_SOURCE_DIR/experiments/toy"
opt="$PSAMP_FIXTURES/opt-tiny-pre"
ci="$PSAMP_SOURCE_DIR/experiments/passk/ci.json"

for w in greedy_trap eos_world; do
  "$PSAMP" exact --model "$toy/$w.json" --alpha 4 --json >"$tmp/exact_$w.json" || fail "psamp exact $w"
  "$PSAMP" exact --model "$toy/$w.json" --alpha 1 --json >"$tmp/exact1_$w.json" || fail "psamp exact $w, alpha 1"
done

expect_ok passk --config "$ci" --out "$tmp/pk.json" --csv "$tmp/pk.csv" --samples-out "$tmp/pk.jsonl"
# The same run with chains queued through 7 lanes: the same samples, line for line.
expect_ok passk --config "$ci" --max-active 7 --out "$tmp/pk_queued.json" --samples-out "$tmp/pk_queued.jsonl"
checks=$((checks + 1))
cmp -s "$tmp/pk.jsonl" "$tmp/pk_queued.jsonl" || fail "--max-active 7 changed the pass@k samples"
# And queued by themselves for lack of room (best of 4 needs 4 slots a chain: 2 at a time).
PSAMP_MAX_SLOTS=9 expect_ok passk --config "$ci" --out "$tmp/pk_tight.json" --samples-out "$tmp/pk_tight.jsonl"
checks=$((checks + 1))
cmp -s "$tmp/pk.jsonl" "$tmp/pk_tight.jsonl" || fail "queueing for lack of room changed the pass@k samples"
grep -q "room for 9 slots" "$tmp/err" || fail "passk: no note of the queue: $(cat "$tmp/err")"
checks=$((checks + 1))
grep -q "^power a=4 " "$tmp/out" || fail "the table lists power: $(cat "$tmp/out")"
checks=$((checks + 1))
python3 - "$tmp" <<'PY' || fail "passk CI config vs exact answers"
import csv, json, math, sys
tmp = sys.argv[1]
d = json.load(open(f"{tmp}/pk.json"))
exact = [json.load(open(f"{tmp}/exact_{w}.json")) for w in ("greedy_trap", "eos_world")]
n = d["samples"]
assert n == 2000 and d["k"] == [1, 2, 4, 8, 16, 64], d["k"]
assert [p["id"] for p in d["problems"]] == ["greedy-trap", "eos-world"]
m = {x["label"]: x for x in d["methods"]}
assert list(m) == ["greedy", "temp 1/4", "power a=4", "maxswap", "best of 4", "base (temp 1)"]
sigma = lambda p: math.sqrt(p * (1 - p) / n)
for i, e in enumerate(exact):
    p_pow, p_temp = e["power_correct_mass"], e["temperature_correct_mass"]
    got_pow = m["power a=4"]["correct"][i] / n
    got_temp = m["temp 1/4"]["correct"][i] / n
    # Binomial noise (4 sigma) plus 0.015 for MH chains not fully mixed after 200 steps.
    assert abs(got_pow - p_pow) <= 4 * sigma(p_pow) + 0.015, (i, got_pow, p_pow)
    assert abs(got_temp - p_temp) <= 4 * sigma(p_temp) + 1e-3, (i, got_temp, p_temp)
    # maxswap climbs to the argmax (the correct sequence in both worlds); greedy never does.
    assert m["maxswap"]["correct"][i] >= 0.97 * n, m["maxswap"]["correct"]
    assert m["greedy"]["correct"][i] == 0 and m["greedy"]["chains_run"] == 1
# pass@k from the counts: the estimator per problem, averaged.
def est(c, k):
    return 1.0 if n - c < k else 1.0 - math.prod(1 - k / j for j in range(n - c + 1, n + 1))
for x in d["methods"]:
    assert x["samples_per_problem"] == n and x["correct_total"] == sum(x["correct"])
    want = [sum(est(c, k) for c in x["correct"]) / 2 for k in d["k"]]
    assert all(abs(a - b) < 1e-9 for a, b in zip(x["pass_at_k"], want)), (x["label"], x["pass_at_k"], want)
    assert all(0 <= a <= 1 for a in x["pass_at_k"]) and x["pass_at_k"] == sorted(x["pass_at_k"])
# The 95% band: the normal approximation over the two problems, recomputed; greedy's has no width
# only because both problems score the same.
z = 1.959963984540054
for x in d["methods"]:
    for i, k in enumerate(d["k"]):
        per = [est(c, k) for c in x["correct"]]
        mean = sum(per) / 2
        half = z * math.sqrt(sum((v - mean) ** 2 for v in per)) / math.sqrt(2)
        assert abs(x["pass_at_k_lo"][i] - max(0, mean - half)) < 1e-6 and abs(x["pass_at_k_hi"][i] - min(1, mean + half)) < 1e-6, (x["label"], k)
# The base at temperature 1 samples p itself: its pass@1 is the exact mass at alpha = 1.
for i, w in enumerate(("greedy_trap", "eos_world")):
    p1 = json.load(open(f"{tmp}/exact1_{w}.json"))["power_correct_mass"]
    assert abs(m["base (temp 1)"]["correct"][i] / n - p1) <= 4 * sigma(p1), (w, p1)
# Temperature samples are independent: pass@k ~ 1 - (1 - p)^k.
for k_i, k in enumerate(d["k"][:4]):
    want = sum(1 - (1 - e["temperature_correct_mass"]) ** k for e in exact) / 2
    assert abs(m["temp 1/4"]["pass_at_k"][k_i] - want) < 0.04, (k, m["temp 1/4"]["pass_at_k"][k_i], want)
rows = list(csv.DictReader(open(f"{tmp}/pk.csv")))
assert len(rows) == 6 * 6 and rows[0]["method"] == "greedy" and rows[-1]["k"] == "64"
assert abs(float(rows[13]["pass_at_k"]) - m["power a=4"]["pass_at_k"][1]) < 1e-6
assert abs(float(rows[13]["pass_at_k_lo"]) - m["power a=4"]["pass_at_k_lo"][1]) < 1e-6
assert float(rows[13]["pass_at_k_lo"]) <= float(rows[13]["pass_at_k"]) <= float(rows[13]["pass_at_k_hi"])
samples = [json.loads(l) for l in open(f"{tmp}/pk.jsonl")]
assert len(samples) == (1 + 5 * n) * 2, len(samples)
for s in samples:
    if s["problem"] == "greedy-trap":
        assert s["correct"] == (s["text"] == "BGGGGGGG"), s
    else:
        assert s["correct"] == (s["text"] == "ccccc."), s
PY

# Same seed, same counts; the command line overrides the config.
expect_ok passk --config "$ci" --samples 64 --k 1,64 --methods "temp:temperature=0.25" --json
cp "$tmp/out" "$tmp/small1.json"
expect_ok passk --config "$ci" --samples 64 --k 1,64 --methods "temp:temperature=0.25" --json
checks=$((checks + 1))
python3 -c 'import json, sys; a, b = (json.load(open(p)) for p in sys.argv[1:]); sys.exit(a["methods"][0]["correct"] != b["methods"][0]["correct"])' \
  "$tmp/out" "$tmp/small1.json" || fail "the same seed gave different counts"
json_check "$tmp/small1.json" 'd["samples"] == 64 and d["k"] == [1, 64] and len(d["methods"]) == 1'

# Grids: a spec with '|' (command line) or lists (config) is every combination, labelled by
# the settings that vary; each expanded method is the run its single spec gives.
expect_ok passk --model "$toy/greedy_trap.json" --samples 40 --k 1,8 --json \
  --methods "temp:temperature=1|0.25 power:alpha=2|4,block-size=2|4,mcmc-steps=20 power:alpha=8,label=p8"
cp "$tmp/out" "$tmp/grid_text.json"
expect_ok passk --model "$toy/greedy_trap.json" --samples 40 --k 1,8 --json --methods "power:alpha=4,block-size=4,mcmc-steps=20"
cp "$tmp/out" "$tmp/grid_one.json"
cat >"$tmp/grid.json" <<EOF
{"model": "$toy/greedy_trap.json", "samples": 40, "k": [1, 8],
 "methods": [{"method": "temp", "temperature": [1, 0.25]},
             {"method": "power", "label": "pw", "alpha": [2, 4], "block_size": [2, 4], "mcmc_steps": 20},
             {"method": "power", "label": "p8", "alpha": 8}]}
EOF
expect_ok passk --config "$tmp/grid.json" --json
cp "$tmp/out" "$tmp/grid_json.json"
checks=$((checks + 1))
python3 - "$tmp/grid_text.json" "$tmp/grid_one.json" "$tmp/grid_json.json" <<'PY' || fail "method grids"
import json, sys
text, one, js = (json.load(open(p)) for p in sys.argv[1:])
labels = [m["label"] for m in text["methods"]]
assert labels == ["temp temperature=1", "temp temperature=0.25", "power alpha=2 block-size=2",
                  "power alpha=2 block-size=4", "power alpha=4 block-size=2", "power alpha=4 block-size=4", "p8"], labels
assert [(m.get("alpha"), m.get("block_size")) for m in text["methods"][2:6]] == [(2, 2), (2, 4), (4, 2), (4, 4)]
assert all(m["mcmc_steps"] == 20 for m in text["methods"][2:6]) and text["methods"][6]["alpha"] == 8
# The grid's (alpha 4, B 4) is the single spec's run: the same counts.
assert text["methods"][5]["correct"] == one["methods"][0]["correct"], (text["methods"][5]["correct"], one["methods"][0]["correct"])
assert [m["label"] for m in js["methods"]] == ["temp temperature=1", "temp temperature=0.25", "pw alpha=2 block_size=2",
                                               "pw alpha=2 block_size=4", "pw alpha=4 block_size=2", "pw alpha=4 block_size=4", "p8"]
assert [m["correct"] for m in js["methods"]] == [m["correct"] for m in text["methods"]]
PY
expect_error 1 "label takes one value" -- passk --model "$toy/greedy_trap.json" --methods "temp:label=a|b,temperature=1|2"
expect_error 1 "temperature: expected a number, got 'x'" -- passk --model "$toy/greedy_trap.json" --methods "temp:temperature=1|x"
expect_error 1 "label 'temp temperature=1' is used by two" -- passk --model "$toy/greedy_trap.json" --methods "temp:temperature=1|1"
expect_error 1 "the grid has more than 4096 methods" -- passk --model "$toy/greedy_trap.json" \
  --methods "power:alpha=$(seq -s '|' 1 70),mcmc-steps=$(seq -s '|' 1 70)"
printf %s "{\"model\": \"$toy/greedy_trap.json\", \"methods\": [{\"method\": \"power\", \"alpha\": []}]}" >"$tmp/grid_bad.json"
expect_error 1 "grid_bad.json: methods\[0\]: \"alpha\": empty list" -- passk --config "$tmp/grid_bad.json"
printf %s "{\"model\": \"$toy/greedy_trap.json\", \"methods\": [{\"method\": \"power\", \"alpha\": [2, \"x\"]}]}" >"$tmp/grid_bad.json"
expect_error 1 "grid_bad.json: methods\[0\]: \"alpha\"\[1\]: only numeric settings take lists" -- passk --config "$tmp/grid_bad.json"

# A task file on the tiny OPT fixture: judged exactly as documented (checked in Python).
cat >"$tmp/tasks.jsonl" <<'T'
{"id": "any", "prompt": "Hello", "regex": "."}
{"id": "never", "prompt": "Hello", "regex": "^QQQQQQQQ$"}

{"id": "digit", "prompt": "1, 2, 3,", "regex": "^[0-9]"}
{"id": "letter", "prompt": "The capital of France is", "regex": "^[a-z]"}
{"id": "word", "prompt": "The", "answer": "t"}
T
expect_ok passk --model "$opt" --tasks "$tmp/tasks.jsonl" --samples 12 --max-new-tokens 6 --backend cpu \
  --methods "greedy temp power:block-size=3,mcmc-steps=2 bestofn:best-of=2" --out "$tmp/opt.json" \
  --samples-out "$tmp/opt.jsonl"
checks=$((checks + 1))
python3 - "$tmp/opt.json" "$tmp/opt.jsonl" <<'PY' || fail "task file verdicts"
import json, re, sys
d = json.load(open(sys.argv[1]))
samples = [json.loads(l) for l in open(sys.argv[2])]
ids = [p["id"] for p in d["problems"]]
assert ids == ["any", "never", "digit", "letter", "word"], ids
by_id = {p["id"]: p for p in d["problems"]}
def right(p, text):
    s = text.lstrip(" \t\n\r\v\f")
    if "answer" in p:
        a = p["answer"]
        if not s.startswith(a):
            return False
        nxt = s[len(a):len(a) + 1]
        return not (a[-1].isascii() and a[-1].isalnum() and nxt.isascii() and nxt.isalnum())
    return re.search(p["regex"], s) is not None
assert len(samples) == 5 * (1 + 12 + 12 + 12)
for s in samples:
    assert len(s["tokens"]) == 6 or s["tokens"][-1] == 2
    if "\ufffd" not in s["text"]:
        assert s["correct"] == right(by_id[s["problem"]], s["text"]), s
for m in d["methods"]:
    c = dict(zip(ids, m["correct"]))
    assert c["any"] == 12 and c["never"] == 0, (m["label"], c)
    assert all(0 <= v <= 12 for v in c.values())
    assert len(m["pass_at_k"]) == 12 and abs(m["pass_at_k"][0] - sum(c.values()) / 60) < 1e-9
PY

# Problems pooled into sampler calls (--batch-chains, default 1024 chains: all 5 problems in
# one call above) give the samples of one problem per call, line for line: the same problem,
# method and chain, the same tokens and verdicts except where the CPU GEMM's rounding across
# batch shapes moves a draw or an MH decision across its boundary (at most 2 of the 185
# lines; none seen here), log p within 1e-4. So do calls of 2 problems (24 chains at 12
# samples), and calls cut short by the room (PSAMP_MAX_SLOTS: 75 slots hold one problem's 12
# best-of-2 chains, 1 + 24, and two problems' 50, not three).
same_samples() { # same_samples A.jsonl B.jsonl WHAT
  checks=$((checks + 1))
  python3 - "$1" "$2" <<'PY' || fail "$3: the samples differ from one call for all problems"
import json, sys
a, b = ([json.loads(l) for l in open(p)] for p in sys.argv[1:3])
assert len(a) == len(b) and len(a) > 0, (len(a), len(b))
flips = 0
for x, y in zip(a, b):
    assert (x["method"], x["problem"], x["chain"]) == (y["method"], y["problem"], y["chain"]), (x, y)
    if x["tokens"] != y["tokens"]:
        flips += 1
        continue
    assert abs(x.pop("logp") - y.pop("logp")) <= 1e-4 and x == y, (x, y)
assert flips <= 2, flips
PY
}
for how in "--batch-chains 0" "--batch-chains 24" "--batch-chains 5"; do
  # shellcheck disable=SC2086
  expect_ok passk --model "$opt" --tasks "$tmp/tasks.jsonl" --samples 12 --max-new-tokens 6 --backend cpu \
    --methods "greedy temp power:block-size=3,mcmc-steps=2 bestofn:best-of=2" $how --samples-out "$tmp/opt_b.jsonl"
  same_samples "$tmp/opt.jsonl" "$tmp/opt_b.jsonl" "passk $how"
done
PSAMP_MAX_SLOTS=75 expect_ok passk --model "$opt" --tasks "$tmp/tasks.jsonl" --samples 12 --max-new-tokens 6 \
  --backend cpu --methods "greedy temp power:block-size=3,mcmc-steps=2 bestofn:best-of=2" --samples-out "$tmp/opt_b.jsonl"
same_samples "$tmp/opt.jsonl" "$tmp/opt_b.jsonl" "calls cut by the room"
checks=$((checks + 1))
! grep -q "run as many at a time" "$tmp/err" || fail "a room that holds one problem's chains queued them: $(cat "$tmp/err")"
expect_error 1 "batch-chains must be >= 0" -- passk --model "$opt" --tasks "$tmp/tasks.jsonl" --batch-chains -1
printf %s "{\"model\": \"$opt\", \"tasks\": \"$tmp/tasks.jsonl\", \"batch_chains\": -2, \"methods\": [{\"method\": \"temp\"}]}" >"$tmp/batch_bad.json"
expect_error 1 "batch_bad.json: batch_chains" -- passk --config "$tmp/batch_bad.json"

# --max-tasks (and "max_tasks" in a config): the file's first N problems, in file order.
expect_ok passk --model "$opt" --tasks "$tmp/tasks.jsonl" --max-tasks 2 --samples 2 --max-new-tokens 2 --backend cpu \
  --methods temp --out "$tmp/first2.json"
json_check "$tmp/first2.json" '[p["id"] for p in d["problems"]] == ["any", "never"]'
printf %s "{\"model\": \"$opt\", \"tasks\": \"$tmp/tasks.jsonl\", \"max_tasks\": 3, \"samples\": 2, \"max_new_tokens\": 2, \"methods\": [{\"method\": \"temp\"}]}" >"$tmp/first3.json"
expect_ok passk --config "$tmp/first3.json" --backend cpu --out "$tmp/first3.out.json"
json_check "$tmp/first3.out.json" '[p["id"] for p in d["problems"]] == ["any", "never", "digit"]'
# The result says which engine and KV cache ran each model.
json_check "$tmp/first3.out.json" 'd["kv_cache"] == "dtype" and len(d["engines"]) == 1 and d["engines"][0]["backend"] == "cpu" and d["engines"][0]["model"].endswith("opt-tiny-pre") and d["engines"][0]["engine"]'
# --kv-cache (kv_cache in a config): fp8 is the CUDA engine's; elsewhere refused by name.
expect_error 1 "kv-cache fp8: only the CUDA engine has it" -- passk --config "$tmp/first3.json" --backend cpu --kv-cache fp8
expect_error 1 "kv-cache fp8: a toy world has no KV cache" -- passk --model "$toy/greedy_trap.json" --kv-cache fp8
expect_error 1 "kv-cache (kv_cache): unknown cache 'fp9' (dtype, fp8)" -- passk --config "$tmp/first3.json" --kv-cache fp9
printf %s "{\"model\": \"$opt\", \"tasks\": \"$tmp/tasks.jsonl\", \"kv_cache\": \"fp4\", \"methods\": [{\"method\": \"temp\"}]}" >"$tmp/kv_bad.json"
expect_error 1 "kv-cache (kv_cache): unknown cache 'fp4'" -- passk --config "$tmp/kv_bad.json"
expect_error 1 "max-tasks must be positive" -- passk --model "$opt" --tasks "$tmp/tasks.jsonl" --max-tasks 0
expect_error 1 "max-tasks: needs --tasks" -- passk --model "$toy/greedy_trap.json" --max-tasks 2

# Bad input: one line, nothing on stdout, no work and no output file.
printf '{"id": "a", "prompt": "x", "answer": "y"}\n\n{"id": "b", "prompt": }\n' >"$tmp/broken.jsonl"
printf '{"id": "a", "prompt": "x", "regex": "(["}\n' >"$tmp/badre.jsonl"
printf '{"worlds": ["../toy/greedy_trap.json"], "bogus": 1}\n' >"$tmp/badkey.json"
printf '{"name": "w", "tokens": ["a"], "length": 2, "start": "s", "states": {"s": {"a": [1, "s"]}}}\n' >"$tmp/nocorrect.json"
expect_error 1 "task file: .*none.jsonl: cannot open" -- passk --model "$opt" --tasks "$tmp/none.jsonl"
expect_error 1 "broken.jsonl:3: not valid JSON" -- passk --model "$opt" --tasks "$tmp/broken.jsonl"
expect_error 1 "does not compile" -- passk --model "$opt" --tasks "$tmp/badre.jsonl"
expect_error 1 "k = 9 is larger than the 8 samples" -- passk --model "$toy/greedy_trap.json" --samples 8 --k 1,9
expect_error 1 "samples must be positive" -- passk --model "$toy/greedy_trap.json" --samples 0
expect_error 1 "samples must be positive" -- passk --model "$toy/greedy_trap.json" --samples -3
expect_error 1 "--max-active must be >= 0" -- passk --model "$toy/greedy_trap.json" --max-active -2
printf %s "{\"model\": \"$toy/greedy_trap.json\", \"max_active\": -1}" >"$tmp/badactive.json"
expect_error 1 "badactive.json: max_active" -- passk --config "$tmp/badactive.json"
expect_error 1 "comma list of positive integers" -- passk --model "$toy/greedy_trap.json" --k 1,x
expect_error 1 "badkey.json: unknown key 'bogus'" -- passk --config "$tmp/badkey.json"
expect_error 1 "unknown method 'nope'" -- passk --model "$toy/greedy_trap.json" --methods "temp nope"
expect_error 1 "label 'temp' is used by two" -- passk --model "$toy/greedy_trap.json" --methods "temp temp"
expect_error 1 "block-size 9 is larger" -- passk --model "$toy/greedy_trap.json" --methods "power:block-size=9"
expect_error 1 "no \"correct\" set" -- passk --model "$tmp/nocorrect.json"
expect_error 1 "give --tasks" -- passk --model "$opt"
expect_error 1 "not both" -- passk --model "$opt" --worlds "$toy/greedy_trap.json"
expect_error 1 "no problems" -- passk --samples 4
expect_error 1 "does not exist" -- passk --model "$tmp/nowhere"
expect_error 1 "\-\-config: .*nowhere.json: cannot open" -- passk --config "$tmp/nowhere.json"
expect_error 2 "unknown option '--bogus'" -- passk --model "$toy/greedy_trap.json" --bogus
expect_error 1 "--out: cannot write" -- passk --model "$toy/greedy_trap.json" --out "$tmp/no/dir/x.json"
# A failure after outputs were opened leaves nothing behind.
expect_error 1 "broken.jsonl:3" -- passk --model "$opt" --tasks "$tmp/broken.jsonl" --out "$tmp/left.json" \
  --csv "$tmp/left.csv"
checks=$((checks + 1))
[ -z "$(ls "$tmp" | grep left)" ] || fail "a partial output was left behind: $(ls "$tmp")"
expect_error 1 "samples 2147483647 is more than" -- passk --model "$toy/greedy_trap.json" --samples 2147483647
expect_error 1 "k: k = 2 is listed twice" -- passk --model "$toy/greedy_trap.json" --samples 4 --k 2,1,2
expect_error 1 "block_size must be positive (got 0)" -- passk --model "$toy/greedy_trap.json" --methods "power:block-size=0"
finish
