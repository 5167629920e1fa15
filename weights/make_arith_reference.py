#!/usr/bin/env python3
"""Writes tests/fixtures/arith_reference.json: transformers' per-token log p of a few prompt +
continuation sequences under each shipped arithmetic model, for the parity test
(tests/arith_parity.sh, which runs `psamp score` on the same ids and texts).

    "$(scripts/pyenv.sh hf)/bin/python" weights/make_arith_reference.py

The checkpoints hold fp16 weights; transformers loads them into fp32 (exact) and computes in
fp32 with eager attention, which is what psamp's CPU engine must reproduce. Per sequence: the text
(prompt + continuation, what `psamp score --text` takes), its ids (</s>, the BPE ids of the text,
then the final </s>), logp[i] = log p(ids[i+1] | ids[..i]) in float64 from the fp32 logits, and
the total. Continuations: the reference solution of two test problems per family, and one
solution of a third with its first step's result changed (a sequence the model finds unlikely).
"""
import json
import os
import re

import torch
import transformers
from transformers import OPTForCausalLM

import arith_common as ac

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(ac.ROOT, "tests", "fixtures", "arith_reference.json")
MODELS = ["psamp-arith-base", "psamp-arith-rl"]


def corrupt(solution):
    """The first number after the first '=' raised by one: a wrong first step."""
    return re.sub(r"=(-?\d+)", lambda m: "=" + str(int(m.group(1)) + 1), solution, count=1)


def sequences():
    splits = ac.gen_tasks.generate(train_per_family=0)
    out = []
    for f in ac.FAMILIES:
        test = splits[f][0]
        out += [(test[0], test[0]["solution"]), (test[1], test[1]["solution"]), (test[2], corrupt(test[2]["solution"]))]
    return out


@torch.no_grad()
def main():
    reference = {"generator": f"weights/make_arith_reference.py, transformers {transformers.__version__}, "
                              f"torch {torch.__version__}, fp32 eager on the fp16 weights", "models": []}
    for name in MODELS:
        path = os.path.join(HERE, name)
        if not os.path.exists(os.path.join(path, "model.safetensors")):
            print(f"make_arith_reference.py: {name} is not there; skipped")
            continue
        tok = ac.load_tokenizer(path)
        model = OPTForCausalLM.from_pretrained(path, dtype=torch.float32, attn_implementation="eager").eval()
        seqs = []
        for problem, continuation in sequences():
            ids, _ = ac.encode_example(tok, problem["prompt"], continuation)
            lsm = torch.log_softmax(model(torch.tensor([ids])).logits[0].double(), dim=-1)
            logp = [lsm[i, ids[i + 1]].item() for i in range(len(ids) - 1)]
            seqs.append({"id": problem["id"], "text": problem["prompt"] + continuation, "tokens": ids,
                         "logp": logp, "total": sum(logp)})
        reference["models"].append({"name": name, "sequences": seqs})
    with open(OUT, "w") as f:
        json.dump(reference, f, indent=1)
        f.write("\n")
    print(f"make_arith_reference.py: wrote {OUT} ({len(reference['models'])} models)")


if __name__ == "__main__":
    main()
