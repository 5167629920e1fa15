#!/usr/bin/env bash
# Help and docs that are true: every command's --help prints its title once, lists only
# options the command takes, and names only files that exist; every repository file that
# README.md, run-demo.sh and the docs name exists.
source "$(dirname "$0")/cli_lib.sh"
src=$PSAMP_SOURCE_DIR
paths='(docs|experiments|weights|scripts|benchmarks|tests|host|kernels)/[A-Za-z0-9_./-]+\.(md|jsonl|json|py|sh|c|h|cu|txt|cmake)'

# missing_paths FILE: the repository paths FILE names that do not exist (examples of a
# user's own files, experiments/configs/my.json, are not the repository's).
missing_paths() {
  # A path counts only where it starts a name (not inside llm_experiments/..., another repository's).
  grep -oE "(^|[^A-Za-z0-9_./-])$paths" "$1" | sed -E 's/^[^A-Za-z]//' | sort -u | while read -r p; do
    [ "$p" = experiments/configs/my.json ] || [ -e "$src/$p" ] || echo "$p"
  done
}

expect_ok --help
commands=$(sed -n 's/^  \([a-z0-9]*\) .*/\1/p' "$tmp/out")
[ -n "$commands" ] || fail "psamp --help lists no commands"
for c in $commands; do
  expect_ok "$c" --help
  checks=$((checks + 1))
  n=$(grep -c "^psamp $c - " "$tmp/out")
  [ "$n" -eq 1 ] || fail "psamp $c --help prints its title $n times"
  checks=$((checks + 1))
  missing=$(missing_paths "$tmp/out")
  [ -z "$missing" ] || fail "psamp $c --help names files that do not exist: $missing"
done

# h2 lists generate's run options less the outputs it refuses or has no use for.
expect_ok h2 --help
for o in --trace --samples-out --json --temperature --best-of; do
  checks=$((checks + 1))
  ! grep -q -- "^  $o " "$tmp/out" || fail "psamp h2 --help lists $o, which h2 does not take or use"
done
# ... and only the methods h2 takes (those that make MH steps).
for m in greedy temp bestofn; do
  checks=$((checks + 1))
  ! grep -q -- "^  $m  " "$tmp/out" || fail "psamp h2 --help lists method $m, which h2 refuses"
done
checks=$((checks + 1))
grep -q -- "--method NAME  *power | maxswap" "$tmp/out" || fail "psamp h2 --help: --method should list power | maxswap"
for o in --model --alpha --mcmc-steps --from-trace --bins; do
  checks=$((checks + 1))
  grep -q -- "^  $o " "$tmp/out" || fail "psamp h2 --help lacks $o"
done
expect_error 2 "belong to psamp generate" -- h2 --model "$src/experiments/toy/greedy_trap.json" --trace "$tmp/t.jsonl"

# passk's task format lives with the task files.
expect_ok passk --help
checks=$((checks + 1))
grep -q "experiments/tasks/README.md" "$tmp/out" || fail "passk --help does not point to experiments/tasks/README.md"

# Each command's default length on OPT differs with its job, and its help says why.
for c in generate passk h3 bench; do
  expect_ok "$c" --help
  checks=$((checks + 1))
  grep -qE -- "^  --max-new-tokens .*(OPT [0-9]+|default [0-9]+)[,:] [a-z]" "$tmp/out" ||
    fail "psamp $c --help: --max-new-tokens gives no reason for its default: $(grep -- --max-new-tokens "$tmp/out")"
done
expect_ok h1 --help
checks=$((checks + 1))
grep -qE "OPT 32: [a-z]" "$tmp/out" || fail "psamp h1 --help: max_new_tokens gives no reason for its default"

# The README's bench command is the one that produced its table.
checks=$((checks + 1))
grep -q "psamp bench --backend cuda --prompt-len 32 --chains" "$src/README.md" ||
  fail "README.md: the bench command lacks the --prompt-len 32 of its table"

cd "$src" || exit 1
for f in README.md run-demo.sh experiments/README.md docs/*.md benchmarks/*.md weights/README.md \
    experiments/*/README.md; do
  checks=$((checks + 1))
  missing=$(missing_paths "$src/$f")
  [ -z "$missing" ] || fail "$f names files that do not exist: $missing"
done
finish
