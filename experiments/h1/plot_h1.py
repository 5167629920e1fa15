#!/usr/bin/env python3
"""Figure of `psamp h1` results (power vs temperature), PNG and SVG.

    "$(scripts/pyenv.sh plot)/bin/python" experiments/h1/plot_h1.py RESULTS.json OUTDIR [--name h1]

One scatter per temperature T: each pair's sequence log-likelihood gap D against its gap
under temperature T, with power's line alpha * D (alpha = 1/T, exact by definition) and
the least-squares fit; a last panel summarises slope * T and R^2 per T. Scatter points are
rasterised inside the SVG so that it stays small.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from plotlib import display_name, nan_if_none as nan, plt, read_results, save_figure  # noqa: E402


def main():
    r, args = read_results(__doc__, "results", "name", "h1")
    fits, pairs = r["fits"], r["pairs"]
    n = len(fits) + 1
    cols = min(n, 3)
    rows = (n + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(5 * cols, 4.4 * rows), squeeze=False)
    flat = [a for row in axes for a in row]
    d = [nan(v) for v in pairs["d"]]
    lo, hi = min(d), max(d)
    for t, fit in enumerate(fits):
        ax = flat[t]
        gap = [nan(v) for v in pairs["gap"][t]]
        ax.scatter(d, gap, s=4, alpha=0.35, c="C1", rasterized=True, label="pairs")
        alpha = fit["alpha"]
        ax.plot([lo, hi], [alpha * lo, alpha * hi], "-", c="C0", lw=1.5, label=f"power α = 1/T = {alpha:.3g}: α·D")
        if fit["slope"] is not None:
            ax.plot([lo, hi], [fit["slope"] * lo + fit["intercept"], fit["slope"] * hi + fit["intercept"]], "--",
                    c="k", lw=1, label=f"fit: slope {fit['slope']:.3g}")
        r2 = nan(fit["r2"])
        ax.set_title(f"T = {fit['temperature']:.3g}: slope·T {nan(fit['slope_over_alpha']):.3f}, R² {r2:.3f},\n"
                     f"residual sd {nan(fit['residual_std']):.3g}, rms(gap − α·D) {fit['dev_rms']:.3g}", fontsize=9)
        ax.set_xlabel("D = log p(x) − log p(y)")
        ax.set_ylabel(f"gap under temperature {fit['temperature']:.3g}")
        ax.legend(fontsize=7)
    ax = flat[len(fits)]
    temps = [f["temperature"] for f in fits]
    ax.plot(temps, [nan(f["slope_over_alpha"]) for f in fits], "o-", c="C1", label="temperature: slope · T")
    ax.plot(temps, [nan(f["r2"]) for f in fits], "s-", c="C2", label="temperature: R²")
    ax.axhline(1.0, c="C0", lw=1.5, label="power: slope/α = 1, R² = 1")
    ax.set_xscale("log")
    ax.set_xlabel("T (α = 1/T)")
    ax.set_title("summary per T")
    ax.legend(fontsize=7)
    for extra in flat[len(fits) + 1:]:
        extra.axis("off")
    fig.suptitle(f"H1 on {display_name(r['model'])}: {r['n_pairs']} pairs, {r['n_prompts']} prompt(s) × "
                 f"{r['samples_per_prompt']} samples, ≤ {r['max_new_tokens']} new tokens", fontsize=10)
    fig.tight_layout()
    for path in save_figure(fig, os.path.join(args.outdir, args.name)):
        print(path)


if __name__ == "__main__":
    main()
