#!/usr/bin/env bash
# weights/fetch_opt.py offline (--local): sharded safetensors copied as they are, sharded
# .bin checkpoints (pytorch_model.bin.index.json, the layout transformers 4 writes, the tied
# lm_head listed) converted, each result scoring exactly as opt-tiny-pre; an index naming a
# shard outside the folder refused. Needs torch and safetensors in the Python environment
# (scripts/pyenv.sh hf); skipped without them.
source "$(dirname "$0")/cli_lib.sh"
root="$PSAMP_SOURCE_DIR"
py="${PSAMP_PYENV:-$root/.venv}/bin/python"
if ! [ -x "$py" ] || ! "$py" -c 'import torch, safetensors' 2>/dev/null; then
  echo "skipped: no torch + safetensors in ${PSAMP_PYENV:-$root/.venv} (scripts/pyenv.sh hf)"
  exit 77
fi
fetch="$root/weights/fetch_opt.py"
pre="$PSAMP_FIXTURES/opt-tiny-pre"
expect_ok score --model "$pre" --text "Hello world" --json
cp "$tmp/out" "$tmp/ref.json"

# Sharded safetensors: copied, loads.
checks=$((checks + 1))
"$py" "$fetch" --local "$PSAMP_FIXTURES/opt-tiny-sharded" "$tmp/st" >/dev/null 2>"$tmp/err" ||
  fail "sharded safetensors: $(cat "$tmp/err")"
expect_ok score --model "$tmp/st" --text "Hello world" --json
checks=$((checks + 1))
cmp -s "$tmp/ref.json" "$tmp/out" || fail "fetched opt-tiny-sharded scores differently"

# .bin shards as transformers 4 writes them: three torch pickles, an index that also lists
# the tied lm_head.weight, lm_head stored sharing embed_tokens' storage.
mkdir -p "$tmp/bin"
cp "$pre/config.json" "$pre/vocab.json" "$pre/merges.txt" "$tmp/bin/"
"$py" - "$pre/model.safetensors" "$tmp/bin" <<'PY' || fail "could not write the .bin fixture"
import json, sys, torch
from safetensors.torch import load_file
state = load_file(sys.argv[1])
names = sorted(state)
parts = [names[i::3] for i in range(3)]
weight_map = {}
for k, part in enumerate(parts, 1):
    shard = f"pytorch_model-{k:05d}-of-00003.bin"
    d = {n: state[n] for n in part}
    if "model.decoder.embed_tokens.weight" in d:
        d["lm_head.weight"] = d["model.decoder.embed_tokens.weight"]
        weight_map["lm_head.weight"] = shard
    torch.save(d, f"{sys.argv[2]}/{shard}")
    weight_map.update({n: shard for n in part})
json.dump({"metadata": {"total_size": 0}, "weight_map": weight_map},
          open(f"{sys.argv[2]}/pytorch_model.bin.index.json", "w"))
PY
checks=$((checks + 1))
"$py" "$fetch" --local "$tmp/bin" "$tmp/conv" >/dev/null 2>"$tmp/err" || fail ".bin shards: $(cat "$tmp/err")"
checks=$((checks + 1))
[ "$(ls "$tmp/conv" | grep -c '^model-0000[1-3]-of-00003.safetensors$')" -eq 3 ] &&
  [ -f "$tmp/conv/model.safetensors.index.json" ] && [ -z "$(ls "$tmp/conv" | grep -E '\.bin|\.tmp')" ] ||
  fail ".bin shards: unexpected files: $(ls "$tmp/conv")"
json_check "$tmp/conv/model.safetensors.index.json" '"lm_head.weight" not in d["weight_map"] and len(d["weight_map"]) == 36'
expect_ok score --model "$tmp/conv" --text "Hello world" --json
checks=$((checks + 1))
cmp -s "$tmp/ref.json" "$tmp/out" || fail "converted .bin shards score differently"

# An index whose shard name leaves the folder is refused, naming it, with nothing converted.
sed 's#"pytorch_model-00001-of-00003.bin"#"../pytorch_model-00001-of-00003.bin"#' \
  "$tmp/bin/pytorch_model.bin.index.json" >"$tmp/idx" && mv "$tmp/idx" "$tmp/bin/pytorch_model.bin.index.json"
checks=$((checks + 1))
if "$py" "$fetch" --local "$tmp/bin" "$tmp/bad" >/dev/null 2>"$tmp/err"; then
  fail "a shard outside the folder was accepted"
fi
[ "$(wc -l <"$tmp/err")" -eq 1 ] && grep -q "not a plain file name" "$tmp/err" ||
  fail "bad shard name: $(cat "$tmp/err")"
[ -z "$(ls "$tmp/bad" | grep safetensors)" ] || fail "bad index: weights written anyway"
finish
