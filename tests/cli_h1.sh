#!/usr/bin/env bash
# psamp h1: the CI config on the tiny OPT fixture, the greedy trap (where T = 1 must give
# slope 1, R^2 1), and every bad config refused before any work.
source "$(dirname "$0")/cli_lib.sh"
cfg="$PSAMP_SOURCE_DIR/experiments/h1/ci.json"
trap_world="$PSAMP_SOURCE_DIR/experiments/toy/greedy_trap.json"

expect_ok h1 --config "$cfg" --out "$tmp/h1.json"
grep -q "slope" "$tmp/out" || fail "h1 prints a table"
json_check "$tmp/h1.json" 'd["experiment"] == "h1" and d["n_prompts"] == 2 and d["samples_per_prompt"] == 12 and d["n_pairs"] == 80'
json_check "$tmp/h1.json" '[f["temperature"] for f in d["fits"]] == [0.5, 1, 2] and len(d["pairs"]["gap"]) == 3 and all(len(g) == 80 for g in d["pairs"]["gap"])'
json_check "$tmp/h1.json" 'abs(d["fits"][1]["slope"] - 1) < 1e-6 and abs(d["fits"][1]["r2"] - 1) < 1e-6 and d["fits"][1]["dev_rms"] < 1e-5'
json_check "$tmp/h1.json" 'all(0 <= f["r2"] <= 1 and f["residual_std"] >= 0 and f["power"]["slope"] == f["alpha"] for f in d["fits"])'
json_check "$tmp/h1.json" 'd["rescore_max_abs"] < 1e-3 and all(1 <= n <= 10 for p in d["prompts"] for n in p["length"])'
# D and each gap are differences of the per-sample scores listed under prompts.
json_check "$tmp/h1.json" 'all(abs(d["pairs"]["d"][i] - (d["prompts"][d["pairs"]["prompt"][i]]["scores"][d["pairs"]["x"][i]][0] - d["prompts"][d["pairs"]["prompt"][i]]["scores"][d["pairs"]["y"][i]][0])) < 1e-6 for i in range(80))'

# A toy world: the config's model is overridden by --model; an empty prompt is fine.
printf '{"model": "unused.json", "prompts": [""], "samples": 40, "pairs": 300, "temperatures": [0.25, 1]}' > "$tmp/toy.json"
expect_ok h1 --config "$tmp/toy.json" --model "$trap_world" --out "$tmp/toy_out.json"
json_check "$tmp/toy_out.json" 'd["n_pairs"] == 300 and d["max_new_tokens"] == 8 and d["rescore_max_abs"] == 0'
json_check "$tmp/toy_out.json" 'abs(d["fits"][1]["slope"] - 1) < 1e-9 and d["fits"][0]["slope_over_alpha"] < 0.9'

# Bad configs: one line, nothing on stdout, no output file.
printf '{"model": "%s", "prompts": [""], "bogus": 1}' "$trap_world" > "$tmp/bad1.json"
expect_error 1 "bad1.json: unknown key 'bogus'" -- h1 --config "$tmp/bad1.json" --out "$tmp/never.json"
printf '{"model": "%s", "prompts": []}' "$trap_world" > "$tmp/bad2.json"
expect_error 1 "bad2.json: prompts is empty" -- h1 --config "$tmp/bad2.json"
printf '{"model": "%s", "prompts": [""], "samples": 1}' "$trap_world" > "$tmp/bad3.json"
expect_error 1 "bad3.json: samples: 1 must be >= 2" -- h1 --config "$tmp/bad3.json"
printf '{"model": "%s", "prompts": [""], "temperatures": [0.5, 0]}' "$trap_world" > "$tmp/bad4.json"
expect_error 1 "bad4.json: temperatures\[1\]: 0 must be > 0" -- h1 --config "$tmp/bad4.json"
printf '{"prompts": [""]}' > "$tmp/bad5.json"
expect_error 1 "bad5.json: model is required" -- h1 --config "$tmp/bad5.json"
printf '{"model": "nowhere", "prompts": [""]}' > "$tmp/bad6.json"
expect_error 1 "does not exist" -- h1 --config "$tmp/bad6.json"
printf '{"model": "%s", "prompts": ["Q"]}' "$trap_world" > "$tmp/bad7.json"
expect_error 1 "prompts\[0\]" -- h1 --config "$tmp/bad7.json"
printf '{"model": "%s", "prompts": [""], "max_new_tokens": 9}' "$trap_world" > "$tmp/bad8.json"
expect_error 1 "max_new_tokens: 9" -- h1 --config "$tmp/bad8.json"
expect_error 1 "out.*cannot write" -- h1 --config "$tmp/toy.json" --model "$trap_world" --out "$tmp/no/such/dir/h1.json"
expect_error 1 "\-\-config: .*missing.json: cannot open" -- h1 --config "$tmp/missing.json"
expect_error 2 "config is required" -- h1
checks=$((checks + 1))
[ ! -e "$tmp/never.json" ] || fail "a failed run left its output"
finish
