#!/usr/bin/env bash
# psamp generate: outputs on toy worlds and the tiny OPT fixture, and every bad input.
source "$(dirname "$0")/cli_lib.sh"
trap_world="$PSAMP_SOURCE_DIR/experiments/toy/greedy_trap.json"
opt="$PSAMP_FIXTURES/opt-tiny-pre"

# Power on the greedy trap: samples and trace files, JSON summary.
expect_ok generate --model "$trap_world" --method power --alpha 4 --block-size 2 --mcmc-steps 30 \
  --chains 500 --seed 3 --samples-out "$tmp/s.jsonl" --trace "$tmp/t.jsonl" --json
cp "$tmp/out" "$tmp/summary.json"
json_check "$tmp/summary.json" 'd["chains"] == 500 and 0 < d["accept_rate"] <= 1 and d["correct_rate"] > 0.9'
json_check "$tmp/s.jsonl" 'len(d) == 500 and all(set(["chain","tokens","text","logp","n_tokens","accept_rate","proposal_tokens"]) <= set(x) for x in d)'
json_check "$tmp/s.jsonl" 'all(x["n_tokens"] == len(x["tokens"]) == 8 for x in d) and sorted(x["chain"] for x in d) == list(range(500))'
json_check "$tmp/t.jsonl" 'len(d) == 500 * 4 * 30 and all(0 <= x["idx"] < x["len_current"] for x in d)'
json_check "$tmp/t.jsonl" 'all(set(["chain","block","step","idx","len_current","len_proposal","logp_current","logp_proposal","log_r","accepted"]) <= set(x) for x in d)'

# The mixing diagnostic: in the summary for MH methods, null for the others. A probe of P
# steps leaves every sample as it was (the trace too: probe steps are not traced) and
# costs tokens; the text summary says what the numbers mean.
json_check "$tmp/summary.json" 'set(["start_dependence","start_dependence_null","probe_shift","first_token_turnover","acceptance","score","verdict"]) <= set(d["mixing"]) and d["mixing"]["probe_shift"] is None and d["mixing"]["probe_steps"] == 0'
expect_ok generate --model "$trap_world" --method power --alpha 4 --block-size 2 --mcmc-steps 30 \
  --chains 500 --seed 3 --samples-out "$tmp/sp.jsonl" --trace "$tmp/tp.jsonl" --json --mixing-probe 10
json_check "$tmp/out" '0 <= d["mixing"]["probe_shift"] <= 1 and d["mixing"]["probe_steps"] == 10 and d["tokens_decoded"] > '"$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["tokens_decoded"])' "$tmp/summary.json")"
python3 - "$tmp/s.jsonl" "$tmp/sp.jsonl" <<'PY' || fail "--mixing-probe changed the samples"
import json, sys
a, b = ([json.loads(l) for l in open(p)] for p in sys.argv[1:3])
keep = ("chain", "tokens", "logp", "token_logp", "ended", "proposals", "proposal_tokens", "first_token_drawn")
ok = len(a) == len(b) == 500 and all(all(x[k] == y[k] for k in keep) for x, y in zip(a, b))
ok = ok and all(x["probe_tokens"] == 0 and x["probe_logp"] == x["logp"] for x in a)
ok = ok and all(y["tokens_decoded"] - y["probe_tokens"] == x["tokens_decoded"] and y["probe_tokens"] >= 10 for x, y in zip(a, b))
sys.exit(0 if ok else 1)
PY
checks=$((checks + 1))
cmp -s "$tmp/t.jsonl" "$tmp/tp.jsonl" || fail "--mixing-probe changed the trace"
checks=$((checks + 1))
expect_ok generate --model "$trap_world" --method power --alpha 4 --blocks 1 --mcmc-steps 1 --chains 2000 --seed 3
grep -q "^mixing: start dependence .* (noise .*): not mixed; more MCMC steps" "$tmp/out" || fail "no verdict: $(cat "$tmp/out")"
checks=$((checks + 1))
expect_ok generate --model "$trap_world" --method temp --chains 5 --json
json_check "$tmp/out" 'd["mixing"] is None'
expect_ok generate --help
grep -q -- "--mixing-probe P" "$tmp/out" || fail "--mixing-probe is not in generate's help"
checks=$((checks + 1))

# Same seed, same samples; chain 7 alone equals chain 7 of the 500.
expect_ok generate --model "$trap_world" --method power --alpha 4 --block-size 2 --mcmc-steps 30 \
  --chains 1 --first-chain 7 --seed 3 --samples-out "$tmp/one.jsonl"
python3 - "$tmp/s.jsonl" "$tmp/one.jsonl" <<'PY' || fail "chain 7 alone differs from chain 7 of 500"
import json, sys
many = {json.loads(l)["chain"]: json.loads(l) for l in open(sys.argv[1])}
one = json.loads(open(sys.argv[2]).readline())
sys.exit(0 if one["chain"] == 7 and one["tokens"] == many[7]["tokens"] else 1)
PY
checks=$((checks + 1))

# A queue (--max-active) gives every chain what it gives when all run at once, on the OPT
# fixture too, where lanes hold real KV caches that queued chains overwrite: the same tokens
# and decisions; log p to BLAS rounding (a GEMM's sums may group differently per batch size).
for m in power bestofn; do
  expect_ok generate --model "$opt" --prompt "Hello world" --method $m --max-new-tokens 8 \
    --block-size 4 --mcmc-steps 2 --chains 7 --best-of 2 --seed 5 --samples-out "$tmp/all.jsonl"
  expect_ok generate --model "$opt" --prompt "Hello world" --method $m --max-new-tokens 8 \
    --block-size 4 --mcmc-steps 2 --chains 7 --best-of 2 --seed 5 --max-active 2 --samples-out "$tmp/queued.jsonl"
  python3 - "$tmp/all.jsonl" "$tmp/queued.jsonl" <<'PY' || fail "$m: --max-active 2 changed the samples"
import json, sys
a, b = ([json.loads(l) for l in open(p)] for p in sys.argv[1:3])
same = len(a) == len(b) == 7 and all(
    x["chain"] == y["chain"] and x["tokens"] == y["tokens"] and x["proposals"] == y["proposals"]
    and x["accept_rate"] == y["accept_rate"]
    and all(abs(u - v) < 1e-4 for u, v in zip(x["token_logp"], y["token_logp"])) for x, y in zip(a, b))
sys.exit(0 if same else 1)
PY
  checks=$((checks + 1))
done
expect_ok generate --model "$trap_world" --chains 50 --max-active 7 --json
json_check "$tmp/out" 'd["chains"] == 50 and d["max_active"] == 7'

# Chains that need more engine slots than there is room for queue by themselves, saying so:
# room for 11 slots (PSAMP_MAX_SLOTS stands in for a small GPU) is the prompt's and 5 chains'.
expect_ok generate --model "$trap_world" --chains 20 --seed 4 --samples-out "$tmp/roomy.jsonl"
PSAMP_MAX_SLOTS=11 expect_ok generate --model "$trap_world" --chains 20 --seed 4 --json --samples-out "$tmp/tight.jsonl"
json_check "$tmp/out" 'd["chains"] == 20 and d["max_active"] == 5'
checks=$((checks + 1))
grep -q "room for 11: running 5 chains at a time" "$tmp/err" || fail "no note of the queue: $(cat "$tmp/err")"
cmp -s "$tmp/roomy.jsonl" "$tmp/tight.jsonl" || fail "queueing for lack of room changed the samples"
checks=$((checks + 1))
# On the OPT fixture through the CPU engine's path too; a --max-active given is kept as it is.
PSAMP_MAX_SLOTS=5 expect_ok generate --model "$opt" --prompt "Hello world" --max-new-tokens 8 --block-size 4 \
  --mcmc-steps 2 --chains 6 --json
json_check "$tmp/out" 'd["max_active"] == 2'
PSAMP_MAX_SLOTS=5 expect_ok generate --model "$trap_world" --chains 6 --max-active 1 --json
json_check "$tmp/out" 'd["max_active"] == 1'

# Every method runs on the OPT fixture and its trace carries the suffix texts.
for m in greedy temp power maxswap bestofn; do
  expect_ok generate --model "$opt" --prompt "Hello world" --method $m --max-new-tokens 8 \
    --block-size 4 --mcmc-steps 2 --chains 3 --best-of 2 --json --trace "$tmp/opt_t.jsonl"
  cp "$tmp/out" "$tmp/opt.json"
  json_check "$tmp/opt.json" 'd["chains"] == 3 and d["backend"] in ("cpu", "cuda") and len(d["samples"]) == 3'
  if [ $m = power ]; then
    json_check "$tmp/opt_t.jsonl" 'len(d) == 3 * 2 * 2 and all("suffix_current" in x and "suffix_proposal" in x for x in d)'
  fi
done

# Ids the model has but vocab.json lacks (opt-tiny-vocab-gap: vocab_size 1032, 1024 entries, as
# real OPT has 50272 and 50265): sampled as the model says, kept in tokens, "<unk:ID>" in text,
# and no output lost. Greedy from BOS reaches 1028 and 1030 at steps 3 and 4 (transformers'
# greedy run in opt_extra_reference.json).
gap="$PSAMP_FIXTURES/opt-tiny-vocab-gap"
expect_ok generate --model "$gap" --prompt "" --method greedy --max-new-tokens 4 --json \
  --samples-out "$tmp/gap.jsonl" --trace "$tmp/gap_t.jsonl"
json_check "$tmp/out" 'd["samples"] == [d["samples"][0]] and d["samples"][0].endswith("<unk:1028><unk:1030>")'
json_check "$tmp/gap.jsonl" 'd[0]["tokens"] == [318, 318, 1028, 1030] and d[0]["text"].endswith("<unk:1028><unk:1030>")'
expect_ok generate --model "$gap" --prompt "" --method power --max-new-tokens 6 --block-size 3 \
  --mcmc-steps 2 --chains 8 --seed 1 --json --samples-out "$tmp/gap.jsonl" --trace "$tmp/gap_t.jsonl"
json_check "$tmp/out" 'len(d["samples"]) == 8 and None not in d["samples"]'
json_check "$tmp/gap.jsonl" 'len(d) == 8 and any(t >= 1024 for x in d for t in x["tokens"])'
json_check "$tmp/gap.jsonl" 'all(x["text"].count("<unk:") == sum(t >= 1024 for t in x["tokens"]) for x in d)'
json_check "$tmp/gap_t.jsonl" 'len(d) == 8 * 2 * 2 and any("<unk:" in x["suffix_proposal"] for x in d)'

# Bad input: one line on stderr, non-zero exit, no output file left behind.
expect_error 2 "alpha" -- generate --model "$trap_world" --alpha 0
expect_error 2 "alpha" -- generate --model "$trap_world" --alpha -1
expect_error 2 "block-size" -- generate --model "$trap_world" --block-size 0
expect_error 1 "block-size" -- generate --model "$trap_world" --block-size 9
expect_error 2 "mcmc-steps" -- generate --model "$trap_world" --mcmc-steps -1
expect_error 2 "chains" -- generate --model "$trap_world" --chains 0
expect_error 2 "mixing-probe must be >= 0" -- generate --model "$trap_world" --mixing-probe -1
expect_error 2 "mixing-probe is only for the power and maxswap" -- generate --model "$trap_world" --method bestofn --mixing-probe 2
expect_error 2 "max-active" -- generate --model "$trap_world" --max-active -3
PSAMP_MAX_SLOTS=2 expect_error 1 "one chain needs 3 engine slots of 8 tokens" -- generate --model "$trap_world"
PSAMP_MAX_SLOTS=abc expect_error 1 "PSAMP_MAX_SLOTS: expected a positive number" -- generate --model "$trap_world"
expect_error 2 "unknown method 'bogus'" -- generate --model "$trap_world" --method bogus
expect_error 2 "unknown option '--bogus'" -- generate --model "$trap_world" --bogus 1
expect_error 2 "expected an integer" -- generate --model "$trap_world" --chains 4x
expect_error 2 "expected a number" -- generate --model "$trap_world" --alpha abc
expect_error 2 "needs a value" -- generate --model "$trap_world" --alpha
expect_error 2 "model is required" -- generate --alpha 2
expect_error 1 "does not exist" -- generate --model "$tmp/nope"
expect_error 1 "max-new-tokens" -- generate --model "$trap_world" --max-new-tokens 9
expect_error 1 "positions" -- generate --model "$opt" --prompt "$(printf 'word %.0s' $(seq 200))"
expect_error 1 "samples-out" -- generate --model "$trap_world" --samples-out "$tmp/no/such/dir/s.jsonl"
expect_error 1 "trace" -- generate --model "$trap_world" --trace "$tmp/no/such/dir/t.jsonl"
# A failure after the outputs were opened leaves neither the file nor a temporary beside it.
expect_error 1 "block-size" -- generate --model "$trap_world" --block-size 9 --samples-out "$tmp/partial.jsonl"
checks=$((checks + 1))
[ -z "$(ls "$tmp" | grep partial)" ] || fail "a partial output file was left behind"
# Numbers at the edges (issue 11): no overflow, no silent wrap or shrink, the right option named.
expect_error 1 "max-new-tokens: prompt (2 tokens) + 2147483647 exceeds" -- generate --model "$opt" --prompt "Hello" --max-new-tokens 2147483647
expect_error 2 "seed: expected a non-negative integer, got ' -1'" -- generate --model "$trap_world" --seed " -1"
expect_error 2 "chains: expected an integer, got ' 3'" -- generate --model "$trap_world" --chains " 3"
expect_error 1 "blocks must be between 1 and --max-new-tokens (got 9)" -- generate --model "$trap_world" --blocks 9
expect_ok generate --model "$trap_world" --max-new-tokens 2 --json
json_check "$tmp/out" 'd["block_size"] == 1'
expect_error 2 "best-of 2147483647" -- generate --model "$trap_world" --method bestofn --best-of 2147483647
expect_error 1 "prompt: 8 tokens fill the toy world's length 8" -- generate --model "$trap_world" --prompt BGGGGGGG
expect_error 1 "prompt: no token of greedy-trap matches at byte 0 of 'Q'" -- generate --model "$trap_world" --prompt Q
# Output files: a FIFO or device is refused (never replaced by a file), a symbolic link is
# followed (its target replaced, the link kept), a write that fails (file size limit, as a
# full disk) is reported and leaves nothing.
mkfifo "$tmp/fifo"
expect_error 1 "samples-out: '$tmp/fifo' is not a regular file" -- generate --model "$trap_world" --samples-out "$tmp/fifo"
expect_error 1 "trace: '$tmp/fifo' is not a regular file" -- generate --model "$trap_world" --trace "$tmp/fifo"
checks=$((checks + 1))
[ -p "$tmp/fifo" ] || fail "the FIFO was replaced"
echo old >"$tmp/target.jsonl"
ln -s "$tmp/target.jsonl" "$tmp/link.jsonl"
expect_ok generate --model "$trap_world" --chains 3 --samples-out "$tmp/link.jsonl"
checks=$((checks + 1))
[ -L "$tmp/link.jsonl" ] || fail "the symbolic link was replaced by a file"
json_check "$tmp/target.jsonl" 'len(d) == 3'
ln -s "$tmp/nowhere" "$tmp/dangling.jsonl"
expect_error 1 "dangling.jsonl' is a symbolic link to a file that does not exist" -- generate --model "$trap_world" --samples-out "$tmp/dangling.jsonl"
checks=$((checks + 1))
(trap '' XFSZ; ulimit -f 1; "$PSAMP" generate --model "$trap_world" --chains 2000 --samples-out "$tmp/big.jsonl" \
  >"$tmp/out" 2>"$tmp/err") && fail "a failed write was reported as success"
grep -q "samples-out: .*write" "$tmp/err" || fail "failed write: $(cat "$tmp/err")"
[ -z "$(ls "$tmp" | grep big)" ] || fail "a failed write left a file behind: $(ls "$tmp")"
# --kv-cache: fp8 is the CUDA engine's (OPT only); a name it does not know, the CPU engine and
# a toy world are refused by name.
expect_error 1 "unknown cache 'fp9' (dtype, fp8)" -- generate --model "$opt" --kv-cache fp9 --max-new-tokens 2
expect_error 1 "kv-cache fp8: only the CUDA engine has it" -- generate --model "$opt" --backend cpu --kv-cache fp8 --max-new-tokens 2
expect_error 1 "kv-cache fp8: a toy world has no KV cache" -- generate --model "$trap_world" --kv-cache fp8
expect_ok generate --model "$opt" --backend cpu --kv-cache dtype --max-new-tokens 2 --json

finish
