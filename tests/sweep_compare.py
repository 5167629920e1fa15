#!/usr/bin/env python3
"""sweep_compare.py [--run-settings] A B [N]: two psamp sweep folders hold the same finished
rows (timings aside) and byte-identical samples files; with N, exactly N points. Exit 0 when
they do. Rows pair up by their place in the grid, and each samples file is read where its
own row says. --run-settings compares two configs that differ only in how points run
(max_active): their config hashes, so their point ids and names, differ too. results.csv
must match too, cell for cell as text (timings aside): the same stored values print the same
digits whether the whole run or a merge wrote them."""
import csv
import filecmp
import json
import os
import sys

TIMING = {"wall_seconds", "tokens_per_second", "tokens_per_second_per_chain",
          "proposals_per_second_per_chain", "host_fraction"}


RUN_SETTINGS = {"name", "id", "config_hash", "samples", "max_active", "mean_batch_rows"}


def rows(folder, ignored):
    res = json.load(open(os.path.join(folder, "results.json")))
    return res, [{k: v for k, v in r.items() if k not in ignored} for r in res["rows"]]


def main():
    args = sys.argv[1:]
    ignored = TIMING | ({"samples"} | RUN_SETTINGS if args[0] == "--run-settings" else {"samples"})
    if args[0] == "--run-settings":
        args = args[1:]
    a_dir, b_dir = args[:2]
    (a, a_rows), (b, b_rows) = rows(a_dir, ignored), rows(b_dir, ignored)
    problems = []
    if not a["finished"] == b["finished"] == a["points"] == b["points"]:
        problems.append(f"finished {a['finished']}/{a['points']} vs {b['finished']}/{b['points']}")
    if len(args) > 2 and a["points"] != int(args[2]):
        problems.append(f"{a['points']} points, expected {args[2]}")
    if a_rows != b_rows:
        problems.append("rows differ")
    csv_a, csv_b = (list(csv.DictReader(open(os.path.join(d, "results.csv")))) for d in (a_dir, b_dir))
    for ra, rb in zip(csv_a, csv_b):
        for col in ra:
            if col not in ignored and ra[col] != rb.get(col):
                problems.append(f"results.csv row {ra['index']} {col}: {ra[col]!r} vs {rb.get(col)!r}")
    if len(csv_a) != len(csv_b):
        problems.append(f"results.csv has {len(csv_a)} vs {len(csv_b)} rows")
    for r, other in zip(a["rows"], b["rows"]):
        if not filecmp.cmp(os.path.join(a_dir, r["samples"]), os.path.join(b_dir, other["samples"]),
                           shallow=False):
            problems.append(f"samples of {r['name']} differ")
    for p in problems:
        print(f"sweep_compare: {a_dir} vs {b_dir}: {p}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
