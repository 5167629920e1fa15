#!/usr/bin/env python3
"""H3 figure from `psamp h3 --out DIR`: per method, at equal length, the per-token log p
(mean over prompts as a bar, each prompt's mean as a dot, and the standard deviation over
samples as an error bar) beside diversity (distinct-1/2/3, one marker per method and n, no
lines: methods are categories) and repetition (the longest repeated loop as a fraction of
the length: mean bar, max marker). Writes DIR/h3.png and DIR/h3.svg.

    "$(scripts/pyenv.sh plot)/bin/python" experiments/h3/plot_h3.py DIR
"""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from plotlib import plt, save_figure  # noqa: E402


def per_prompt(method, key):
    return [p[key] for p in method["per_prompt"] if p["full"] > 0 and p[key] is not None]


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: plot_h3.py DIR   (DIR written by psamp h3 --out DIR)")
    out_dir = sys.argv[1]
    d = json.load(open(os.path.join(out_dir, "h3.json")))
    methods = d["methods"]
    labels = [m["label"] for m in methods]
    lengths = {p["length"] for p in d["prompts"]}
    length = lengths.pop() if len(lengths) == 1 else None
    x = range(len(methods))
    fig, axes = plt.subplots(1, 3, figsize=(13, 4.2))

    ax = axes[0]
    for i, m in enumerate(methods):
        ys = per_prompt(m, "logp_per_token")
        ax.scatter([i] * len(ys), ys, s=12, alpha=0.5, color="gray")
        # The samples' standard deviation of log p per token, averaged over prompts.
        sds = [p["logp_total_sd"] / q["length"] for p, q in zip(m["per_prompt"], d["prompts"])
               if p["full"] > 0 and p["logp_total_sd"] is not None and q["length"]]
        yerr = sum(sds) / len(sds) if sds else None
        ax.bar(i, m["summary"]["logp_per_token"] or 0.0, color="C0", alpha=0.7, yerr=yerr, capsize=4,
               error_kw={"elinewidth": 1.2})
    ax.set_ylabel("log p per token (equal length)")
    ax.set_title("likelihood" + (f", {length} tokens" if length else "") + " (mean ± sd over samples)", fontsize=10)

    ax = axes[1]
    for k, color, marker in ((1, "C1", "o"), (2, "C2", "s"), (3, "C3", "^")):
        ax.plot([i + (k - 2) * 0.18 for i in x], [m["summary"][f"distinct_{k}"] for m in methods], marker, color=color,
                linestyle="none", label=f"distinct-{k}")
    ax.set_ylim(0, 1.35)  # room above the markers for the legend
    ax.set_yticks([0, 0.25, 0.5, 0.75, 1.0])
    ax.set_ylabel("unique n-grams / n-grams")
    ax.set_title("diversity within a sample")
    ax.legend(fontsize=8, loc="upper center", ncol=3)

    ax = axes[2]
    denom = length or 1
    ax.bar(list(x), [(m["summary"]["loop_tokens"] or 0.0) / denom for m in methods], color="C4", alpha=0.7,
           label="mean")
    ax.plot(list(x), [m["summary"]["loop_tokens_max"] / denom for m in methods], "k_", markersize=14, label="max")
    ax.set_ylabel("longest repeated loop" + (" / length" if length else " (tokens)"))
    ax.set_title("repetition")
    top = max([m["summary"]["loop_tokens_max"] / denom for m in methods] + [1e-9])
    ax.set_ylim(0, top * 1.4)  # room above the markers for the legend
    ax.legend(fontsize=8, loc="upper center", ncol=2)

    for ax in axes:
        ax.set_xticks(list(x))
        ax.set_xticklabels(labels, rotation=30, ha="right", fontsize=8)
    counts = ", ".join(f"{m['label']} {m['summary']['full']}" for m in methods)
    fig.suptitle(f"H3 at equal length: {len(d['prompts'])} prompts; full-length samples: {counts}", fontsize=9)
    fig.tight_layout()
    save_figure(fig, os.path.join(out_dir, "h3"), dpi=130)
    print(f"wrote {out_dir}/h3.png and h3.svg")


if __name__ == "__main__":
    main()
