#!/usr/bin/env python3
"""Seeded generator of psamp's arithmetic reasoning tasks (Python standard library only).

Three families, each a problem with a worked, step-by-step solution ending in the line
`Answer: <integer>` (see experiments/tasks/README.md for why each has early, committing steps):

  add    column addition of two 2-5 digit numbers, one line per column with the carry
  expr   a fully parenthesised expression of 2-4 operations, rewritten one operation at a time
  mod    a chain of 2-5 additions and multiplications modulo 7, 11 or 13

    python3 experiments/tasks/gen_tasks.py                   # writes the three test files
    python3 experiments/tasks/gen_tasks.py --train out/tasks/train.jsonl

Test files (psamp's task format, committed): experiments/tasks/arith_<family>.test.jsonl, one line
{"id", "prompt", "answer", "marker", "numeric", "source"} per problem. The train split (not committed,
regenerated from the seed) is JSONL {"id", "family", "prompt", "solution", "answer"}. No train
problem's prompt equals a test prompt; prompts are unique within each split.
"""
import argparse
import json
import os
import random
import sys

SEED = 20251014
TEST_PER_FAMILY = 500
TRAIN_PER_FAMILY = 40000
MARKER = "Answer:"
HERE = os.path.dirname(os.path.abspath(__file__))


# --- add: column addition with the carries written out --------------------------------------

def make_add(rng):
    n = rng.randint(2, 5)
    a = rng.randint(10 ** (n - 1), 10 ** n - 1)
    m = rng.randint(max(2, n - 1), n)
    b = rng.randint(10 ** (m - 1), 10 ** m - 1)
    prompt = f"Add {a} and {b}.\n"
    da, db = str(a)[::-1], str(b)[::-1]
    lines, carry = [], 0
    for i in range(max(len(da), len(db))):
        x = int(da[i]) if i < len(da) else 0
        y = int(db[i]) if i < len(db) else 0
        s = x + y + carry
        lines.append(f"{x}+{y}+{carry}={s} carry {s // 10}")
        carry = s // 10
    if carry:
        lines.append("write 1")
    return prompt, lines, a + b


# --- expr: nested expression, evaluated one operation at a time --------------------------------

OPS = {"+": lambda x, y: x + y, "-": lambda x, y: x - y, "*": lambda x, y: x * y}
EXPR_MAX = 99  # every value inside the expression stays in 0..99 (only the answer may be negative)


def random_tree(rng, n_ops):
    """A binary tree with n_ops operations: ('n', value) or (op, left, right)."""
    if n_ops == 0:
        return ("n", rng.randint(1, 9))
    left = rng.randint(0, n_ops - 1)
    return (rng.choice("+-*"), random_tree(rng, left), random_tree(rng, n_ops - 1 - left))


def show(tree, top=True):
    if tree[0] == "n":
        return str(tree[1])
    text = show(tree[1], False) + tree[0] + show(tree[2], False)
    return text if top else "(" + text + ")"


def reduce_leftmost(tree):
    """Evaluates the leftmost operation whose operands are both numbers."""
    op, left, right = tree
    if left[0] == "n" and right[0] == "n":
        return ("n", OPS[op](left[1], right[1]))
    if left[0] != "n":
        return (op, reduce_leftmost(left), right)
    return (op, left, reduce_leftmost(right))


def make_expr(rng):
    while True:
        tree = random_tree(rng, rng.randint(2, 4))
        prompt = f"Evaluate {show(tree)}.\n"
        lines, ok = [], True
        while tree[0] != "n":
            tree = reduce_leftmost(tree)
            lines.append("=" + show(tree))
            if tree[0] != "n" and not all(0 <= v <= EXPR_MAX for v in leaves(tree)):
                ok = False
                break
        if ok and abs(tree[1]) <= EXPR_MAX:
            return prompt, lines, tree[1]


def leaves(tree):
    if tree[0] == "n":
        return [tree[1]]
    return leaves(tree[1]) + leaves(tree[2])


# --- mod: a chain of operations modulo a small prime --------------------------------------------

def make_mod(rng):
    m = rng.choice([7, 11, 13])
    x = rng.randint(0, m - 1)
    steps = [(rng.choice("+*"), rng.randint(2, m - 1)) for _ in range(rng.randint(2, 5))]
    prompt = f"Start at {x}, modulo {m}: " + ", ".join(f"{op}{c}" for op, c in steps) + ".\n"
    lines = []
    for op, c in steps:
        full = OPS[op](x, c)
        lines.append(f"{x}{op}{c}={full}->{full % m}")
        x = full % m
    return prompt, lines, x


FAMILIES = {"add": make_add, "expr": make_expr, "mod": make_mod}


def solution_text(lines, answer):
    """The completion a model should write after the prompt (EOS is added by the tokenizer side)."""
    return "".join(line + "\n" for line in lines) + f"{MARKER} {answer}"


def draw(family, split, count, seed, exclude):
    """count problems with unique prompts not in exclude, from the stream (seed, family, split)."""
    rng = random.Random(f"{seed}-{family}-{split}")
    make = FAMILIES[family]
    seen, out = set(), []
    attempts = 0
    while len(out) < count:
        attempts += 1
        if attempts > 50 * count:
            sys.exit(f"gen_tasks.py: family {family}: too few distinct problems for {count} {split} items")
        prompt, lines, answer = make(rng)
        if prompt in seen or prompt in exclude:
            continue
        seen.add(prompt)
        out.append({"id": f"{family}-{split}-{len(out):05d}", "family": family, "prompt": prompt,
                    "solution": solution_text(lines, answer), "answer": str(answer)})
    return out


def generate(seed=SEED, test_per_family=TEST_PER_FAMILY, train_per_family=TRAIN_PER_FAMILY):
    """{family: (test problems, train problems)}; train never repeats a test prompt."""
    splits = {}
    for family in FAMILIES:
        test = draw(family, "test", test_per_family, seed, set())
        train = draw(family, "train", train_per_family, seed, {t["prompt"] for t in test}) \
            if train_per_family > 0 else []
        splits[family] = (test, train)
    return splits


def task_line(problem):
    """One line of psamp's task format: judged by the integer after the first 'Answer:'."""
    return json.dumps({"id": problem["id"], "prompt": problem["prompt"], "answer": problem["answer"],
                       "marker": MARKER, "numeric": True, "source": f"arith-{problem['family']}"})


def write_atomic(path, lines):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8", newline="\n") as f:
        for line in lines:
            f.write(line + "\n")
    os.replace(tmp, path)


def test_path(out_dir, family):
    return os.path.join(out_dir, f"arith_{family}.test.jsonl")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--test-dir", default=HERE, help="folder for arith_<family>.test.jsonl (default: here)")
    ap.add_argument("--train", help="also write the train split to this JSONL file")
    ap.add_argument("--train-per-family", type=int, default=TRAIN_PER_FAMILY)
    args = ap.parse_args()
    if args.train_per_family < 0:
        sys.exit("gen_tasks.py: --train-per-family must be >= 0")
    splits = generate(args.seed, TEST_PER_FAMILY, args.train_per_family if args.train else 0)
    for family, (test, _) in splits.items():
        write_atomic(test_path(args.test_dir, family), [task_line(p) for p in test])
    if args.train:
        write_atomic(args.train, [json.dumps(p) for _, train in splits.values() for p in train])
    print(f"gen_tasks.py: {TEST_PER_FAMILY} test problems per family in {args.test_dir}"
          + (f", {args.train_per_family} train problems per family in {args.train}" if args.train else ""))


if __name__ == "__main__":
    main()
