#!/usr/bin/env bash
# psamp score: JSON layout, agreement between --text and --tokens, and bad input.
source "$(dirname "$0")/cli_lib.sh"
opt="$PSAMP_FIXTURES/opt-tiny-pre"
trap_world="$PSAMP_SOURCE_DIR/experiments/toy/greedy_trap.json"

expect_ok score --model "$opt" --text "Hello world" --json
cp "$tmp/out" "$tmp/text.json"
json_check "$tmp/text.json" 'd["tokens"][0] == 2 and len(d["logp"]) == len(d["tokens"]) - 1 and abs(sum(d["logp"]) - d["total"]) < 1e-4'
ids=$(python3 -c 'import json,sys; print(",".join(map(str, json.load(open(sys.argv[1]))["tokens"])))' "$tmp/text.json")
expect_ok score --model "$opt" --tokens "$ids" --json
cp "$tmp/out" "$tmp/tokens.json"
checks=$((checks + 1))
cmp -s "$tmp/text.json" "$tmp/tokens.json" || fail "--text and --tokens disagree"
# The same weights in 5 shards + model.safetensors.index.json (written by transformers) score
# exactly as the single file.
expect_ok score --model "$PSAMP_FIXTURES/opt-tiny-sharded" --text "Hello world" --json
checks=$((checks + 1))
cmp -s "$tmp/text.json" "$tmp/out" || fail "opt-tiny-sharded scores differently from opt-tiny-pre"
# bos_token_id null in config.json (opt-tiny-nobos): the BOS is tokenizer_config.json's bos_token
# "</s>", as transformers' tokenizer takes it ([2, 508, 506], opt_extra_reference.json).
nobos="$PSAMP_FIXTURES/opt-tiny-nobos"
expect_ok score --model "$nobos" --text "Hello world" --json
checks=$((checks + 1))
cmp -s "$tmp/text.json" "$tmp/out" || fail "opt-tiny-nobos: $(cat "$tmp/out")"
mkdir -p "$tmp/nobos"
cp "$nobos/config.json" "$nobos/vocab.json" "$nobos/merges.txt" "$opt/model.safetensors" "$tmp/nobos/"
printf '{"bos_token": {"content": "</s>", "special": true}}' >"$tmp/nobos/tokenizer_config.json"
expect_ok score --model "$tmp/nobos" --text "Hello world" --json
checks=$((checks + 1))
cmp -s "$tmp/text.json" "$tmp/out" || fail "bos_token as an object: $(cat "$tmp/out")"
printf '{"bos_token": "<no such token>"}' >"$tmp/nobos/tokenizer_config.json"
expect_error 1 "tokenizer_config.json: field 'bos_token'" -- score --model "$tmp/nobos" --text "Hello world"
rm "$tmp/nobos/tokenizer_config.json"
expect_error 1 "config.json: field 'bos_token_id' is null" -- score --model "$tmp/nobos" --text "Hello world"
expect_ok score --model "$tmp/nobos" --tokens 2,508,506 --json
checks=$((checks + 1))
cmp -s "$tmp/text.json" "$tmp/out" || fail "nobos --tokens: $(cat "$tmp/out")"
expect_ok score --model "$opt" --text "Hello world"
checks=$((checks + 1))
grep -q "total log p" "$tmp/out" || fail "text output has no total"
# Toy worlds are scored from the start state: every token has its log p.
expect_ok score --model "$trap_world" --text "BGG" --json
cp "$tmp/out" "$tmp/toy.json"
json_check "$tmp/toy.json" 'len(d["logp"]) == 3 and abs(d["total"] - __import__("math").log(0.4 * 0.95 * 0.95)) < 1e-5'

expect_error 1 "outside the vocabulary" -- score --model "$opt" --tokens 2,5000
expect_error 1 "outside the vocabulary" -- score --model "$opt" --tokens 2,-1
expect_error 2 "expected an integer" -- score --model "$opt" --tokens 2,x
expect_error 1 "exceed the model's 128 positions" -- score --model "$opt" --text "$(printf 'word %.0s' $(seq 200))"
expect_error 2 "exactly one of" -- score --model "$opt" --text a --tokens 2
expect_error 2 "exactly one of" -- score --model "$opt"
expect_error 1 "does not exist" -- score --model "$tmp/nope" --text a
expect_error 1 "config.json" -- score --model "$tmp" --text a
expect_error 1 "nothing to score" -- score --model "$opt" --tokens 2
expect_error 1 "cannot follow\|impossible\|not listed\|position" -- score --model "$trap_world" --text "BA"
expect_error 1 "text: no token of greedy-trap matches at byte 1 of 'BQ'" -- score --model "$trap_world" --text BQ
finish
