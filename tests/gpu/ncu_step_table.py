#!/usr/bin/env python3
"""ncu_step_table.py FILE.csv: the kernels of one profiled decode step (ncu --csv --page raw
--metrics gpu__time_duration.sum), summed per kernel: calls, total and mean microseconds,
share of the step's kernel time, largest first. tests/gpu/check.sh prints it."""
import collections
import csv
import re
import sys

SCALE = {"nsecond": 1e-3, "usecond": 1.0, "msecond": 1e3, "second": 1e6}


def short(name):
    name = re.sub(r"^void ", "", name)
    name = re.sub(r"\(anonymous namespace\)::", "", name)
    depth, out = 0, []
    for ch in name:  # drop the argument list, keep template arguments
        if ch == "(" and depth == 0:
            break
        depth += ch == "<"
        depth -= ch == ">"
        out.append(ch)
    return "".join(out)[:70]


def main():
    rows = list(csv.reader(open(sys.argv[1], newline="")))
    head = next((i for i, r in enumerate(rows) if "Kernel Name" in r), None)
    if head is None:
        print("ncu: no kernel rows in the report")
        return 1
    h = rows[head]
    k = h.index("Kernel Name")
    t = next(j for j, c in enumerate(h) if c.startswith("gpu__time_duration"))
    scale = 1e-3  # base units: ns
    per = collections.OrderedDict()
    for r in rows[head + 1:]:
        if len(r) <= max(k, t):
            continue
        if r[t] in SCALE:  # the units row
            scale = SCALE[r[t]]
            continue
        try:
            us = float(r[t].replace(",", "")) * scale
        except ValueError:
            continue
        c = per.setdefault(short(r[k]), [0, 0.0])
        c[0] += 1
        c[1] += us
    total = sum(v[1] for v in per.values())
    if not per:
        print("ncu: the report holds no timed kernels")
        return 1
    print(f"{'kernel':70s} {'calls':>5s} {'total us':>9s} {'mean us':>8s} {'share':>6s}")
    for name, (n, us) in sorted(per.items(), key=lambda kv: -kv[1][1]):
        print(f"{name:70s} {n:5d} {us:9.1f} {us / n:8.2f} {100 * us / total:5.1f}%")
    print(f"{'sum of kernel times (no launch gaps, each kernel alone)':70s} "
          f"{sum(v[0] for v in per.values()):5d} {total:9.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
