#!/usr/bin/env python3
"""Re-grades psamp's MATH samples with the paper's own grader (sympy included), for numbers
comparable to the paper's: psamp's built-in "boxed" checker applies the grader's string rules
only (experiments/tasks/README.md), so it can count a few right answers wrong.

    git clone https://github.com/aakaran/reasoning-with-sampling /tmp/rws
    py="$(scripts/pyenv.sh mathgrader)/bin/python"
    "$py" scripts/math500_regrade.py math500_samples.jsonl math500_tasks.jsonl \
        --grader /tmp/rws/llm_experiments

math500_samples.jsonl: `psamp passk --samples-out`; math500_tasks.jsonl: the task file it ran.
Prints, per method, the fraction of samples the grader accepts (pass@1 averaged over every
sample) next to psamp's own verdicts, and how many verdicts differ.
"""
import argparse
import json
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("samples")
    ap.add_argument("tasks")
    ap.add_argument("--grader", required=True, help="the llm_experiments folder of the authors' repository")
    args = ap.parse_args()
    sys.path.insert(0, args.grader)
    from grader_utils.math_grader import grade_answer
    from grader_utils.parse_utils import parse_answer

    answers = {}
    for line in open(args.tasks, encoding="utf-8"):
        if line.strip():
            t = json.loads(line)
            answers[t["id"]] = t["answer"]
    tally = {}
    for n, line in enumerate(open(args.samples, encoding="utf-8"), 1):
        if not line.strip():
            continue
        s = json.loads(line)
        if s["problem"] not in answers:
            sys.exit(f"{args.samples}:{n}: problem {s['problem']!r} is not in {args.tasks}")
        try:
            right = bool(grade_answer(parse_answer(s["text"]), answers[s["problem"]]))
        except Exception:  # as the paper's safe_grade
            right = False
        t = tally.setdefault(s["method"], [0, 0, 0, 0])
        t[0] += 1
        t[1] += right
        t[2] += bool(s["correct"])
        t[3] += right != bool(s["correct"])
    print("method\tsamples\tgrader_accuracy\tpsamp_accuracy\tverdicts_differing")
    for method, (n, right, mine, diff) in tally.items():
        print(f"{method}\t{n}\t{right / n:.4f}\t{mine / n:.4f}\t{diff}")


if __name__ == "__main__":
    main()
