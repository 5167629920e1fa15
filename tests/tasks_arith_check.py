#!/usr/bin/env python3
"""Checks psamp's arithmetic task files (experiments/tasks/arith_*.test.jsonl) against their generator.

- regenerating with the seed gives byte-identical test files, and the train split twice the same;
- each family has >= 500 test problems, unique ids and prompts, and every key psamp's checker reads;
- no test prompt appears in the train split;
- each answer is recomputed independently from the prompt (integer addition, Python's own
  evaluation of the expression, the modular chain) and equals the file's answer and the integer
  judge.py extracts from the reference solution; judge.py rejects altered answers.
Standard library only. Usage: tasks_arith_check.py SOURCE_DIR
"""
import ast
import json
import os
import re
import sys
import tempfile

root = sys.argv[1]
sys.path.insert(0, os.path.join(root, "experiments", "tasks"))
import gen_tasks  # noqa: E402
import judge  # noqa: E402

failures = []


def check(ok, what):
    if not ok:
        failures.append(what)


def eval_arith(text):
    """Evaluates + - * over integers with Python's parser (no names, no calls)."""
    tree = ast.parse(text, mode="eval")
    for node in ast.walk(tree):
        assert isinstance(node, (ast.Expression, ast.BinOp, ast.Constant, ast.Add, ast.Sub, ast.Mult)), text
    return eval(compile(tree, "<expr>", "eval"))


def recompute(family, prompt):
    if family == "add":
        a, b = map(int, re.fullmatch(r"Add (\d+) and (\d+)\.\n", prompt).groups())
        return a + b
    if family == "expr":
        return eval_arith(re.fullmatch(r"Evaluate (.+)\.\n", prompt).group(1))
    start, m, chain = re.fullmatch(r"Start at (\d+), modulo (\d+): (.+)\.\n", prompt).groups()
    x, m = int(start), int(m)
    for step in chain.split(", "):
        x = (x + int(step[1:]) if step[0] == "+" else x * int(step[1:])) % m
    return x


with tempfile.TemporaryDirectory() as tmp:
    splits = gen_tasks.generate()
    again = gen_tasks.generate()
    check(splits == again, "two generations of the train and test splits differ")
    for family, (test, _) in splits.items():
        gen_tasks.write_atomic(gen_tasks.test_path(tmp, family), [gen_tasks.task_line(p) for p in test])
    for family, (test, train) in splits.items():
        committed = gen_tasks.test_path(os.path.join(root, "experiments", "tasks"), family)
        with open(committed, "rb") as f, open(gen_tasks.test_path(tmp, family), "rb") as g:
            check(f.read() == g.read(), f"{committed} differs from what gen_tasks.py generates")
        with open(committed, encoding="utf-8") as f:
            rows = [json.loads(line) for line in f]
        check(len(rows) >= 500, f"{family}: {len(rows)} test problems, need >= 500")
        check(len({r["id"] for r in rows}) == len(rows), f"{family}: duplicate test ids")
        check(len({r["prompt"] for r in rows}) == len(rows), f"{family}: duplicate test prompts")
        check(len(train) == gen_tasks.TRAIN_PER_FAMILY, f"{family}: {len(train)} train problems")
        check(len({p["prompt"] for p in train}) == len(train), f"{family}: duplicate train prompts")
        train_prompts = {p["prompt"] for p in train}
        leaked = [r["id"] for r in rows if r["prompt"] in train_prompts]
        check(not leaked, f"{family}: test problems in the train split: {leaked[:5]}")
        for r, p in zip(rows, test):
            check(set(r) == {"id", "prompt", "answer", "marker", "numeric", "source"} and r["marker"] == "Answer:"
                  and r["numeric"] is True, f"{r['id']}: keys {sorted(r)}")
            truth = recompute(family, r["prompt"])
            check(r["answer"] == str(truth), f"{r['id']}: answer {r['answer']}, recomputed {truth}")
            check(judge.extract(p["solution"]) == truth and judge.correct(p["solution"], r["answer"]),
                  f"{r['id']}: the judge does not accept the reference solution")
            check(not judge.correct(p["solution"], str(truth + 1)), f"{r['id']}: the judge accepts a wrong answer")
        for p in train[:2000]:
            check(judge.extract(p["solution"]) == recompute(family, p["prompt"]), f"{p['id']}: wrong solution")

# The rule itself: first marker, text to the newline, spaces stripped, decimal integer.
for completion, answer, expect in [("x\nAnswer: 12", "12", True), ("Answer:12\nAnswer: 13", "12", True),
                                   ("Answer: 12\nAnswer: 13", "13", False), ("Answer:  -7  \nmore", "-7", True),
                                   ("Answer: 012", "12", True), ("Answer: 12x", "12", False),
                                   ("Answer: 1 2", "12", False), ("no marker 12", "12", False),
                                   ("Answer:", "0", False), ("answer: 12", "12", False), ("Answer: +5", "5", True)]:
    check(judge.correct(completion, answer) == expect, f"judge({completion!r}, {answer}) != {expect}")

for f in failures[:20]:
    print("FAIL:", f)
print(f"tasks_arith_check.py: {len(failures)} failures")
sys.exit(1 if failures else 0)
