#!/usr/bin/env python3
"""sweep_compare.py A B [N]: two psamp sweep folders hold the same finished rows (timings
aside) and byte-identical samples files; with N, exactly N points. Exit 0 when they do."""
import filecmp
import json
import os
import sys

TIMING = {"wall_seconds", "tokens_per_second", "tokens_per_second_per_chain",
          "proposals_per_second_per_chain", "host_fraction"}


def rows(folder):
    res = json.load(open(os.path.join(folder, "results.json")))
    return res, [{k: v for k, v in r.items() if k not in TIMING} for r in res["rows"]]


def main():
    a_dir, b_dir = sys.argv[1:3]
    (a, a_rows), (b, b_rows) = rows(a_dir), rows(b_dir)
    problems = []
    if not a["finished"] == b["finished"] == a["points"] == b["points"]:
        problems.append(f"finished {a['finished']}/{a['points']} vs {b['finished']}/{b['points']}")
    if len(sys.argv) > 3 and a["points"] != int(sys.argv[3]):
        problems.append(f"{a['points']} points, expected {sys.argv[3]}")
    if a_rows != b_rows:
        problems.append("rows differ")
    for r in a["rows"]:
        if not filecmp.cmp(os.path.join(a_dir, r["samples"]), os.path.join(b_dir, r["samples"]), shallow=False):
            problems.append(f"samples of {r['name']} differ")
    for p in problems:
        print(f"sweep_compare: {a_dir} vs {b_dir}: {p}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
