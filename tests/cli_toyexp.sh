#!/usr/bin/env bash
# psamp toyexp: the CI config on both toy worlds; the greedy trap's exact table (toy
# README) reproduced, the sampled values near it, distances shrinking with MH steps; and
# every bad config refused before any run.
source "$(dirname "$0")/cli_lib.sh"
cfg="$PSAMP_SOURCE_DIR/experiments/toyexp/ci.json"
toy="$PSAMP_SOURCE_DIR/experiments/toy"

expect_ok toyexp --config "$cfg" --out "$tmp/r.json"
json_check "$tmp/r.json" 'd["experiment"] == "toyexp" and d["chains"] == 500 and [w["name"] for w in d["worlds"]] == ["greedy-trap", "eos-world"]'
G='d["worlds"][0]'
E='d["worlds"][1]'
# Exact success of power and of temperature 1/alpha at alpha 1, 2, 4, 16 (the toy README's table).
json_check "$tmp/r.json" "[p['alpha'] for p in $G['alpha_sweep']['points']] == [1, 2, 4, 16]"
json_check "$tmp/r.json" "all(abs(p['power_success_exact'] - e) < 5e-5 for p, e in zip($G['alpha_sweep']['points'], [0.2793, 0.9935, 0.99999, 1.0]))"
json_check "$tmp/r.json" "all(abs(p['low_temp_success_exact'] - e) < 5e-5 for p, e in zip($G['alpha_sweep']['points'], [0.2793, 0.3018, 0.1649, 0.0015]))"
json_check "$tmp/r.json" "all(abs(p['power_success_exact'] - e) < 5e-6 for p, e in zip($E['alpha_sweep']['points'][1:3], [0.467371, 0.679488]))"
# Sampled values near the exact ones where the chains mix (alpha 2, 4; 500 chains: se <= 0.022).
json_check "$tmp/r.json" "all(abs(p['power_success'] - p['power_success_exact']) < 0.05 for p in $G['alpha_sweep']['points'][1:3])"
json_check "$tmp/r.json" "all(abs(p['low_temp_success'] - p['low_temp_success_exact']) < 0.07 for p in $G['alpha_sweep']['points'])"
json_check "$tmp/r.json" "all(0 < p['accept_rate'] <= 1 and 0 <= p['power_tv'] <= 1 for w in d['worlds'] for p in w['alpha_sweep']['points'])"
# Convergence: TV and KL fall with MH steps; B = 1 at 32 steps per block is within 0.05 of p^4.
json_check "$tmp/r.json" "all(s['points'][-1]['tv'] < s['points'][0]['tv'] and s['points'][-1]['kl'] < s['points'][0]['kl'] for w in d['worlds'] for s in w['convergence']['series'])"
json_check "$tmp/r.json" "$G['convergence']['series'][0]['points'][-1]['tv'] < 0.05 and $G['convergence']['series'][0]['block_size'] == 1"
json_check "$tmp/r.json" "all(0 <= p['tv'] <= 1 and p['kl'] >= 0 for w in d['worlds'] for s in w['convergence']['series'] for p in s['points'])"
json_check "$tmp/r.json" "0 <= $G['convergence']['floor']['tv'] < 0.001 and 0 < $E['convergence']['floor']['tv'] < 0.1"
# With no MH steps, power is sampling at temperature 1/alpha: success near 0.1649.
json_check "$tmp/r.json" "abs($G['convergence']['series'][0]['points'][0]['success'] - 0.1649) < 0.06 and $G['convergence']['series'][0]['points'][0]['accept_rate'] is None"
# Budget: best-of-n exact is 1 - (1 - 0.279335)^n; one-shot methods decode 8 tokens on the trap.
json_check "$tmp/r.json" "all(abs(p['success_exact'] - (1 - (1 - 0.279335) ** p['n'])) < 1e-5 for p in $G['budget']['best_of'])"
json_check "$tmp/r.json" "all(abs(p['success'] - p['success_exact']) < 0.07 for p in $G['budget']['best_of'])"
json_check "$tmp/r.json" "$G['budget']['temperature']['tokens_per_chain'] == 8 and $G['budget']['greedy']['success'] == 0 and $G['budget']['greedy']['success_exact'] == 0"
json_check "$tmp/r.json" "[p['tokens_per_chain'] for p in $G['budget']['power']] == sorted(p['tokens_per_chain'] for p in $G['budget']['power'])"
# Diversity: k = 1 is 1; power at alpha 4 on the trap has one sequence, so 1/k.
json_check "$tmp/r.json" "all(p['k'] != 1 or all(p[m] == 1 for m in ('power', 'temperature', 'low_temp')) for w in d['worlds'] for p in w['diversity']['points'])"
json_check "$tmp/r.json" "all(abs(p['power_exact'] - 1 / p['k']) < 1e-3 for p in $G['diversity']['points'])"
json_check "$tmp/r.json" "all(0 < p[m] <= 1 for w in d['worlds'] for p in w['diversity']['points'] for m in ('power', 'power_exact', 'temperature', 'temperature_exact', 'low_temp', 'low_temp_exact'))"

# Bad configs: one line naming the field, before any run, nothing written.
bad() { printf '%s' "$2" > "$tmp/$1.json"; }
bad unknown '{"worlds": ["'"$toy"'/greedy_trap.json"], "chainz": 3}'
expect_error 1 "unknown.json: unknown key 'chainz'" -- toyexp --config "$tmp/unknown.json" --out "$tmp/never.json"
bad unknown2 '{"worlds": ["'"$toy"'/greedy_trap.json"], "budget": {"alpha": 2, "beta": 1}}'
expect_error 1 "unknown key 'budget.beta'" -- toyexp --config "$tmp/unknown2.json"
bad empty '{"worlds": ["'"$toy"'/greedy_trap.json"], "convergence": {"block_sizes": []}}'
expect_error 1 "convergence.block_sizes is empty" -- toyexp --config "$tmp/empty.json"
bad noworlds '{"worlds": []}'
expect_error 1 "worlds is empty" -- toyexp --config "$tmp/noworlds.json"
bad alpha '{"worlds": ["'"$toy"'/greedy_trap.json"], "alpha_sweep": {"alphas": [2, 0]}}'
expect_error 1 "alpha_sweep.alphas\[1\]: 0 must be > 0" -- toyexp --config "$tmp/alpha.json"
bad steps '{"worlds": ["'"$toy"'/greedy_trap.json"], "budget": {"mcmc_steps": [-1]}}'
expect_error 1 "budget.mcmc_steps\[0\]: -1 must be >= 0" -- toyexp --config "$tmp/steps.json"
bad block '{"worlds": ["'"$toy"'/eos_world.json"], "convergence": {"block_sizes": [1, 8]}}'
expect_error 1 "convergence.block_sizes\[1\]: 8 exceeds the length 6" -- toyexp --config "$tmp/block.json"
bad k '{"worlds": ["'"$toy"'/greedy_trap.json"], "chains": 10, "diversity": {"k": [1, 20]}}'
expect_error 1 "diversity.k\[1\]: 20 exceeds chains 10" -- toyexp --config "$tmp/k.json"
bad missing '{"worlds": ["no_such_world.json"]}'
expect_error 1 "no_such_world.json: cannot open" -- toyexp --config "$tmp/missing.json"
bad limit '{"worlds": ["'"$toy"'/greedy_trap.json"], "enumerate_limit": 100}'
expect_error 1 "3281 complete sequences, above enumerate_limit 100" -- toyexp --config "$tmp/limit.json"
bad chains '{"worlds": ["'"$toy"'/greedy_trap.json"], "chains": 0}'
expect_error 1 "chains: 0 must be >= 1" -- toyexp --config "$tmp/chains.json"
expect_error 1 "out.*cannot write" -- toyexp --config "$cfg" --out "$tmp/no/such/dir/r.json"
expect_error 1 "\-\-config: .*absent.json: cannot open" -- toyexp --config "$tmp/absent.json"
expect_error 2 "config is required" -- toyexp
checks=$((checks + 1))
[ ! -e "$tmp/never.json" ] || fail "a refused config left an output file"
finish
