#!/usr/bin/env python3
"""pass@k curves from `psamp passk --out FILE.json`: every method on one plot, k on a log
axis, with the sample counts in the legend. Writes PREFIX.png and PREFIX.svg (PREFIX
defaults to the JSON file's name without .json).

    python3 experiments/passk/plot_passk.py results.json [PREFIX]
"""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from plotlib import plt, save_figure  # noqa: E402


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit("usage: plot_passk.py RESULTS.json [PREFIX]")
    path = sys.argv[1]
    prefix = sys.argv[2] if len(sys.argv) == 3 else os.path.splitext(path)[0]
    d = json.load(open(path))
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    for m in d["methods"]:
        runs = f"{m['chains_run']} run" if m["chains_run"] != m["samples_per_problem"] else f"n={m['samples_per_problem']}"
        ax.plot(d["k"], m["pass_at_k"], "o-", markersize=3, label=f"{m['label']} ({runs}, {m['correct_total']} correct)")
    ax.set_xscale("log", base=2)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("k")
    ax.set_ylabel("pass@k (unbiased estimator)")
    ax.set_title(f"pass@k over {len(d['problems'])} problem(s), {d['samples']} samples per problem and method",
                 fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    save_figure(fig, prefix, dpi=130)
    print(f"wrote {prefix}.png and {prefix}.svg")


if __name__ == "__main__":
    main()
