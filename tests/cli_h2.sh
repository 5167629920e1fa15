#!/usr/bin/env bash
# psamp h2: a generate trace and a live run of the same chains give the same report; the
# trace's log p over steps ends at the samples' mean log p; on the greedy trap the chains
# escape toward the exact p^alpha values; bad input is refused.
source "$(dirname "$0")/cli_lib.sh"
trap_world="$PSAMP_SOURCE_DIR/experiments/toy/greedy_trap.json"
run=(--model "$trap_world" --method power --alpha 4 --block-size 2 --mcmc-steps 40 --chains 300 --seed 5)

expect_ok generate "${run[@]}" --trace "$tmp/t.jsonl" --samples-out "$tmp/s.jsonl"
expect_ok h2 --from-trace "$tmp/t.jsonl" --out "$tmp/from_trace.json" --bins 8
grep -q "MH steps of 300 chains" "$tmp/out" || fail "h2 prints a summary line: $(cat "$tmp/out")"
expect_ok h2 "${run[@]}" --bins 8 --out "$tmp/live.json"
json_check "$tmp/from_trace.json" 'd["chains"] == 300 and d["proposals"] == 300 * 4 * 40 and 0 < d["accept_rate"] <= 1'
json_check "$tmp/from_trace.json" 'sum(d["by_position"]["proposals"]) == d["proposals"] and sum(d["by_relative_position"]["proposals"]) == d["proposals"] and d["by_relative_position"]["n"] == 8'
json_check "$tmp/from_trace.json" 'd["steps"]["n"] == 160 and d["steps"]["block"][40] == 1 and d["steps"]["step"][40] == 0 and all(c == 300 for c in d["steps"]["chains"])'
json_check "$tmp/from_trace.json" 'd["exact"]["off_greedy"] is None and all(v is None for v in d["steps"]["off_greedy_after"])'
# The final mean log p and length over MH steps are the samples' own.
python3 - "$tmp/from_trace.json" "$tmp/s.jsonl" <<'PY' || fail "trace report's final log p differs from the samples'"
import json, sys
r = json.load(open(sys.argv[1])); s = [json.loads(l) for l in open(sys.argv[2])]
lp = sum(x["logp"] for x in s) / len(s); ln = sum(x["n_tokens"] for x in s) / len(s)
sys.exit(0 if abs(r["steps"]["logp_after"][-1] - lp) < 1e-6 and abs(r["steps"]["length_after"][-1] - ln) < 1e-9 else 1)
PY
checks=$((checks + 1))
# Live and trace reports agree (the trace rounds to 9 digits).
python3 - "$tmp/from_trace.json" "$tmp/live.json" <<'PY' || fail "live and trace reports differ"
import json, sys
a, b = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
same = all(a[k] == b[k] for k in ("chains", "proposals", "accepted"))
same &= a["by_position"]["proposals"] == b["by_position"]["proposals"] and a["by_position"]["accepted"] == b["by_position"]["accepted"]
same &= all(abs(x - y) < 1e-6 for x, y in zip(a["steps"]["logp_after"], b["steps"]["logp_after"]))
sys.exit(0 if same else 1)
PY
checks=$((checks + 1))
# Live on the toy world: the escape curves and the exact values (p^4 mass off 'A' and on BGGGGGGG).
json_check "$tmp/live.json" 'd["greedy_first"] == "A" and abs(d["exact"]["off_greedy"] - 1) < 1e-6 and abs(d["exact"]["correct"] - 0.999992) < 1e-5'
json_check "$tmp/live.json" 'd["steps"]["off_greedy_before"][0] < 0.35 and d["steps"]["off_greedy_after"][-1] > 0.9 and d["steps"]["correct_after"][-1] > 0.9'
json_check "$tmp/live.json" 'all(0 <= v <= 1 for k in ("off_greedy_after", "correct_after", "accept_rate") for v in d["steps"][k])'
json_check "$tmp/live.json" 'len(d["trajectories"]) == 8 and all(len(t["decision"]) == 160 for t in d["trajectories"])'
# The live run's correct fraction is what generate reports for the same chains.
python3 - "$tmp/live.json" "$tmp/s.jsonl" <<'PY' || fail "live correct fraction differs from the samples'"
import json, sys
r = json.load(open(sys.argv[1])); s = [json.loads(l) for l in open(sys.argv[2])]
sys.exit(0 if abs(r["steps"]["correct_after"][-1] - sum(x["text"] == "BGGGGGGG" for x in s) / len(s)) < 1e-8 else 1)
PY
checks=$((checks + 1))
# The tiny OPT fixture, live: no tokens tracked, nulls where a toy world has numbers.
expect_ok h2 --model "$PSAMP_FIXTURES/opt-tiny-pre" --prompt "Hello" --max-new-tokens 6 --block-size 3 --mcmc-steps 3 --chains 3
cp "$tmp/out" "$tmp/opt.json"
json_check "$tmp/opt.json" 'd["proposals"] == 18 and d["greedy_first"] is None and d["steps"]["n"] == 6'

# Bad input.
printf '{"chain":0,"block":0,"step":0,"idx":0,"len_current":2,"len_proposal":2,"logp_prefix":0,"logp_current":-1,"logp_proposal":-1,"accepted":true}\n{"chain":0}\n' > "$tmp/broken.jsonl"
expect_error 1 "broken.jsonl:2: block is missing" -- h2 --from-trace "$tmp/broken.jsonl"
expect_error 1 "cannot open" -- h2 --from-trace "$tmp/none.jsonl"
expect_error 2 "from-trace takes only --out and --bins" -- h2 --from-trace "$tmp/t.jsonl" --alpha 2
expect_error 2 "bins" -- h2 --from-trace "$tmp/t.jsonl" --bins 0
expect_error 2 "bins: expected an integer" -- h2 --from-trace "$tmp/t.jsonl" --bins x
expect_error 2 "out given twice" -- h2 --from-trace "$tmp/t.jsonl" --out a --out b
expect_error 2 "makes no MH steps" -- h2 --model "$trap_world" --method temp
expect_error 2 "belong to psamp generate" -- h2 "${run[@]}" --trace "$tmp/x.jsonl"
expect_error 2 "alpha" -- h2 --model "$trap_world" --alpha 0
expect_error 1 "out.*cannot write" -- h2 --from-trace "$tmp/t.jsonl" --out "$tmp/no/dir/r.json"
"$PSAMP" h2 --help | grep -q -- "--from-trace" || fail "h2 --help names --from-trace"
"$PSAMP" h2 --help | grep -q -- "--mcmc-steps" || fail "h2 --help lists the run options"
checks=$((checks + 2))
finish
