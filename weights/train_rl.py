#!/usr/bin/env python3
"""Trains psamp-arith-rl, the RL-style baseline: expert iteration from psamp-arith-base. Each round
samples k solutions per training problem at temperature 1 (ancestral sampling, no top-k/top-p),
keeps those judge.py marks correct (the checker is the reward; duplicates of one problem dropped),
and fine-tunes the current model on them. CPU, 2 threads, seeded.

    "$(scripts/pyenv.sh hf)/bin/python" weights/train_rl.py            # weights/psamp-arith-rl/

Writes an fp16 Hugging Face checkpoint plus training_log.csv (all rounds) and train_stats.json
(per round: problems, samples, correct kept; the final per-family test accuracy at T = 1).
"""
import argparse
import json
import os
import platform
import random
import shutil
import time

import torch
import transformers
from transformers import OPTForCausalLM

import arith_common as ac

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    ap = argparse.ArgumentParser(description="train psamp-arith-rl by expert iteration")
    ap.add_argument("--base", default=os.path.join(HERE, "psamp-arith-base"))
    ap.add_argument("--out", default=os.path.join(HERE, "psamp-arith-rl"))
    ap.add_argument("--seed", type=int, default=4321)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--problems", type=int, default=600, help="train problems per family per round")
    ap.add_argument("--k", type=int, default=4, help="samples per problem")
    ap.add_argument("--steps", type=int, default=150, help="fine-tuning steps per round")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=5e-4)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--eval-samples", type=int, default=2)
    ap.add_argument("--max-new-tokens", type=int, default=160)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    rng = random.Random(args.seed)

    splits = ac.gen_tasks.generate()
    test = {f: splits[f][0] for f in ac.FAMILIES}
    tok = ac.load_tokenizer(args.base)
    model = OPTForCausalLM.from_pretrained(args.base, dtype=torch.float32, attn_implementation="eager")
    os.makedirs(args.out, exist_ok=True)
    rounds, t_all, log_rows = [], time.time(), []
    for r in range(args.rounds):
        t0 = time.time()
        model.eval()
        problems = [p for f in ac.FAMILIES for p in rng.sample(splits[f][1], args.problems)]
        texts = ac.sample(model, tok, [p["prompt"] for p in problems], samples_per_prompt=args.k,
                          max_new_tokens=args.max_new_tokens, seed=args.seed + 100 * r)
        kept, per_family = [], {f: 0 for f in ac.FAMILIES}
        for p, ts in zip(problems, texts):
            for t in sorted(set(ts)):
                if ac.judge.correct(t, p["answer"]):
                    kept.append(ac.encode_example(tok, p["prompt"], t))
                    per_family[p["family"]] += 1
        sample_seconds = time.time() - t0
        csv = os.path.join(args.out, f"training_log_round{r + 1}.csv")
        seconds, cpu_seconds, tokens = ac.train_loop(model, kept, steps=args.steps, batch_size=args.batch, lr=args.lr,
                                        warmup=10, seed=args.seed + r, log_every=25, csv_path=csv,
                                        label=f"rl round {r + 1}")
        with open(csv) as f:
            log_rows += [f"{r + 1}," + line for line in f.read().splitlines()[1:]]
        os.remove(csv)
        rounds.append({"round": r + 1, "problems": len(problems), "samples": len(problems) * args.k,
                       "kept_correct_distinct": len(kept), "kept_per_family": per_family,
                       "sample_seconds": round(sample_seconds, 1), "train_seconds": round(seconds, 1), "train_cpu_seconds": round(cpu_seconds, 1),
                       "train_tokens": tokens})
        print(json.dumps(rounds[-1]), flush=True)
    with open(os.path.join(args.out, "training_log.csv"), "w") as f:
        f.write("round,step,tokens,loss,lr,seconds,cpu_seconds\n" + "\n".join(log_rows) + "\n")
    total_seconds = time.time() - t_all

    model = model.half().float().eval()
    model.half().save_pretrained(args.out, safe_serialization=True)
    model.float()
    for f in ("vocab.json", "merges.txt"):
        shutil.copy(os.path.join(args.base, f), os.path.join(args.out, f))
    t0 = time.time()
    acc = ac.family_accuracy(model, tok, test, samples_per_prompt=args.eval_samples,
                             max_new_tokens=args.max_new_tokens, seed=args.seed + 1)
    ac.write_json(os.path.join(args.out, "train_stats.json"), {
        "script": "weights/train_rl.py", "args": vars(args), "rounds": rounds,
        "total_seconds": round(total_seconds, 1), "eval_seconds": round(time.time() - t0, 1),
        "test_accuracy_t1": acc,
        "machine": f"{platform.machine()}, torch threads {args.threads}",
        "versions": f"torch {torch.__version__}, transformers {transformers.__version__}"})
    print(json.dumps(acc, indent=1))


if __name__ == "__main__":
    main()
