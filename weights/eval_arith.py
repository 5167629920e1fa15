#!/usr/bin/env python3
"""Per-family accuracy of a shipped arithmetic model on the test split at temperature 1
(ancestral sampling with transformers, fp32 on the checkpoint's weights, judged by
experiments/tasks/judge.py), with a 95 % interval over problems. CPU, seeded.

    "$(scripts/pyenv.sh hf)/bin/python" weights/eval_arith.py weights/psamp-arith-base --samples 8
"""
import argparse
import json
import os
import time

import torch
from transformers import OPTForCausalLM

import arith_common as ac


def main():
    ap = argparse.ArgumentParser(description="T=1 accuracy of an arithmetic checkpoint per task family")
    ap.add_argument("model")
    ap.add_argument("--samples", type=int, default=8, help="samples per test problem")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--max-new-tokens", type=int, default=160)
    ap.add_argument("--out", help="JSON file (default: MODEL/eval_t1.json)")
    args = ap.parse_args()
    if args.samples < 1:
        raise SystemExit("eval_arith.py: --samples must be >= 1")
    if not os.path.exists(os.path.join(args.model, "config.json")):
        raise SystemExit(f"eval_arith.py: {args.model} has no config.json")
    torch.set_num_threads(args.threads)
    tok = ac.load_tokenizer(args.model)
    model = OPTForCausalLM.from_pretrained(args.model, dtype=torch.float32, attn_implementation="eager").eval()
    splits = ac.gen_tasks.generate(train_per_family=0)
    t0 = time.time()
    acc = ac.family_accuracy(model, tok, {f: splits[f][0] for f in ac.FAMILIES}, samples_per_prompt=args.samples,
                             max_new_tokens=args.max_new_tokens, seed=args.seed)
    result = {"script": "weights/eval_arith.py", "model": os.path.basename(os.path.normpath(args.model)),
              "temperature": 1.0, "samples_per_problem": args.samples, "seed": args.seed,
              "seconds": round(time.time() - t0, 1), "accuracy": acc}
    ac.write_json(args.out or os.path.join(args.model, "eval_t1.json"), result)
    for f, a in acc.items():
        print(f"{f}: {a['accuracy']:.3f} [{a['ci95'][0]:.3f}, {a['ci95'][1]:.3f}]")


if __name__ == "__main__":
    main()
