#!/usr/bin/env python3
"""pass@1 (or another column) of a `psamp sweep` as a heatmap over alpha x block size.

    py="$(scripts/pyenv.sh plot)/bin/python"
    $py experiments/sweep/plot_heatmap.py SWEEP_DIR PREFIX [--value pass_at_1]

Reads SWEEP_DIR/results.csv (pandas) and writes PREFIX.png and PREFIX.svg. Only power
points enter (the rows with an alpha and a block size). Rows that differ only in their seed
are averaged; every other setting that varies (model, tasks, method, mcmc_steps,
proposal_temp, max_new_tokens, samples per problem, ...) gets a panel of its own, at most
12. All panels share one colour scale. Each cell shows its value and, when the column has one,
its 95 % interval (averaged over seeds with the value: a guide, not the interval of the
average); a cell without a point stays blank. The title names the value, the model(s), the task file(s) and
the hardware, from the sweep's own rows. Plotting only: every number comes from the CSV.
"""
import argparse
import math
import os
import sys

import pandas as pd

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from plotlib import plt, save_figure  # noqa: E402

# Settings that split the points into panels when they vary (the seed is averaged over).
PANEL_KEYS = ["model", "tasks", "prompt", "method", "mcmc_steps", "proposal_temp", "max_new_tokens",
              "samples_per_problem", "chains"]
MAX_PANELS = 12


def short(path):
    """A path's last component, the folder's name for checkpoints ('.../psamp-arith-base')."""
    return os.path.basename(str(path).rstrip("/")) or str(path)


def named(values):
    values = sorted({short(v) for v in values if isinstance(v, str) and v})
    return ", ".join(values) if values else "-"


def title(df, value):
    hardware = sorted({h for h in df.get("hardware", pd.Series(dtype=str)).dropna()})
    return (f"{value} over alpha x block size\nmodel {named(df['model'])}; tasks {named(df.get('tasks', []))}; "
            f"on {', '.join(hardware) if hardware else 'unknown hardware'}")


def panel_label(keys, combo):
    parts = [f"{k}={short(v) if isinstance(v, str) else f'{v:g}'}" for k, v in zip(keys, combo)]
    return ", ".join(parts) if parts else ""


def panel_keys(df):
    """The settings that vary, less those another one fixes (the default proposal_temp is
    1/alpha; a toy world's max_new_tokens is its length): they would only split cells."""
    keys = []
    for k in PANEL_KEYS:
        if k not in df or df[k].nunique(dropna=False) <= 1:
            continue
        given = keys + ["alpha"]
        if df.groupby(given, dropna=False)[k].nunique(dropna=False).max() > 1:
            keys.append(k)
    return keys


def draw_panel(ax, df, value, fig, vmin, vmax):
    alphas = sorted(df["alpha"].unique())
    blocks = sorted(df["block_size"].unique())
    grid = df.groupby(["alpha", "block_size"])[value].mean()
    lo = df.groupby(["alpha", "block_size"])[f"{value}_lo"].mean() if f"{value}_lo" in df else None
    hi = df.groupby(["alpha", "block_size"])[f"{value}_hi"].mean() if f"{value}_hi" in df else None
    cells = [[grid.get((a, b), math.nan) for b in blocks] for a in alphas]
    image = ax.imshow(cells, origin="lower", aspect="auto", cmap="viridis", vmin=vmin, vmax=vmax)
    for i, a in enumerate(alphas):
        for j, b in enumerate(blocks):
            v = grid.get((a, b), math.nan)
            if math.isnan(v):
                continue
            text = f"{v:.3f}"
            if lo is not None and hi is not None and not math.isnan(lo.get((a, b), math.nan)):
                text += f"\n[{lo[(a, b)]:.2f}, {hi[(a, b)]:.2f}]"
            light = vmax > vmin and (v - vmin) / (vmax - vmin) > 0.6  # viridis is yellow at the top
            ax.text(j, i, text, ha="center", va="center", fontsize=7, color="black" if light else "white")
    ax.set_xticks(range(len(blocks)), [f"{b:g}" for b in blocks])
    ax.set_yticks(range(len(alphas)), [f"{a:g}" for a in alphas])
    ax.set_xlabel("block size B")
    ax.set_ylabel("alpha")
    fig.colorbar(image, ax=ax, shrink=0.85)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("sweep_dir", help="a psamp sweep --out folder (holds results.csv)")
    ap.add_argument("prefix", help="writes PREFIX.png and PREFIX.svg")
    ap.add_argument("--value", default="pass_at_1", help="the column to show (default pass_at_1)")
    args = ap.parse_args()
    path = os.path.join(args.sweep_dir, "results.csv")
    if not os.path.exists(path):
        sys.exit(f"plot_heatmap.py: {path} does not exist (run psamp sweep, or --merge its shards)")
    df = pd.read_csv(path)
    if args.value not in df:
        sys.exit(f"plot_heatmap.py: {path} has no column '{args.value}'")
    df = df.dropna(subset=["alpha", "block_size", args.value])
    if df.empty:
        sys.exit(f"plot_heatmap.py: {path}: no power point with an alpha, a block size and a {args.value}")
    keys = panel_keys(df)
    groups = list(df.groupby(keys, dropna=False)) if keys else [((), df)]
    if len(groups) > MAX_PANELS:
        sys.exit(f"plot_heatmap.py: {len(groups)} panels ({', '.join(keys)} vary); at most {MAX_PANELS}: "
                 "sweep fewer settings or filter results.csv first")
    cols = min(3, len(groups))
    rows = math.ceil(len(groups) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.6 * cols, 3.6 * rows + 0.6), squeeze=False)
    for ax, (combo, part) in zip(axes.flat, groups):
        combo = combo if isinstance(combo, tuple) else (combo,)
        draw_panel(ax, part, args.value, fig, df[args.value].min(), df[args.value].max())
        ax.set_title(panel_label(keys, combo), fontsize=8)
    for ax in list(axes.flat)[len(groups):]:
        ax.axis("off")
    fig.suptitle(title(df, args.value), fontsize=9)
    fig.tight_layout()
    save_figure(fig, args.prefix, dpi=120)
    print(f"wrote {args.prefix}.png and {args.prefix}.svg")


if __name__ == "__main__":
    main()
