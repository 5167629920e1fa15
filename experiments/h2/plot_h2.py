#!/usr/bin/env python3
"""Figure of a `psamp h2` report (the correction tracker), PNG and SVG.

    "$(scripts/pyenv.sh plot)/bin/python" experiments/h2/plot_h2.py REPORT.json OUTDIR [--name h2]

Panels: proposals and accepts by resampled position; acceptance by relative position
idx / length; the chains' mean log p over MH decisions (block boundaries dotted, a few
chains' own trajectories thin); and, for a live run on a toy world, the fraction of chains
off the greedy first token and on a correct path, with the exact p^alpha values (for a
trace file, which has no tokens, the acceptance rate per decision instead).
"""
import math
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from plotlib import clean, display_name, plt, read_results, save_figure  # noqa: E402


def block_starts(steps):
    """Decision numbers where a new block begins (its first decision)."""
    out = []
    for d, s, b in zip(steps["decision"], steps["step"], steps["block"]):
        if s == 0 and b > 0:
            out.append(d - 0.5)
    return out


def main():
    r, args = read_results(__doc__, "report", "name", "h2")
    fig, ax = plt.subplots(2, 2, figsize=(13, 9))

    pos = r["by_position"]
    idx = list(range(pos["n"]))
    ax[0][0].bar(idx, pos["proposals"], color="lightgray", label="resampled (proposals)")
    ax[0][0].bar(idx, pos["accepted"], color="C0", label="accepted")
    ax[0][0].set_xlabel("resampled position idx (generated tokens)")
    ax[0][0].set_ylabel("MH steps")
    ax[0][0].set_title(f"where MH resampled: {r['proposals']} steps, accept rate {r['accept_rate']:.3f}")
    ax[0][0].legend(fontsize=8)

    rel = r["by_relative_position"]
    n = rel["n"]
    centres = [(i + 0.5) / n for i in range(n)]
    total = max(1, sum(rel["proposals"]))
    ax[0][1].bar(centres, [p / total for p in rel["proposals"]], width=0.9 / n, color="lightgray",
                 label="share of proposals")
    ax[0][1].plot(centres, clean(rel["accept_rate"]), "o-", c="C0", label="acceptance rate")
    ax[0][1].set_xlim(0, 1)
    ax[0][1].set_ylim(0, 1.02)
    ax[0][1].set_xlabel("relative position idx / current length")
    ax[0][1].set_title("acceptance by relative position")
    ax[0][1].legend(fontsize=8)

    st = r["steps"]
    d = st["decision"]
    for tr in r["trajectories"]:
        ax[1][0].plot(tr["decision"], clean(tr["logp"]), "-", lw=0.6, alpha=0.5)
    ax[1][0].plot(d, clean(st["logp_after"]), "-", c="k", lw=2, label=f"mean over {r['chains']} chains")
    for x in block_starts(st):
        ax[1][0].axvline(x, ls=":", c="gray", lw=0.8)
    ax[1][0].set_xlabel("MH decision (blocks dotted; a block's extension lowers log p)")
    ax[1][0].set_ylabel("log p of the chain's sequence")
    ax[1][0].set_title("log p over MH steps (thin: single chains)")
    ax[1][0].legend(fontsize=8)

    off = clean(st["off_greedy_after"])
    if any(not math.isnan(v) for v in off):
        first = r.get("greedy_first") or "?"
        # On the greedy trap every chain off the greedy first token is on a correct path: the
        # two curves coincide, so the correct one is drawn wide and below, the other dashed
        # with markers on top, and both stay visible.
        ax[1][1].plot(d, clean(st["correct_after"]), "-", c="C0", lw=4, alpha=0.45, zorder=2,
                      label="on a correct path")
        ax[1][1].plot(d, off, "--", c="C2", lw=1.4, marker="o", markersize=3.5,
                      markevery=max(1, len(d) // 25), zorder=3, label=f"off the greedy first token '{first}'")
        ex = r["exact"]
        if ex["off_greedy"] is not None:
            ax[1][1].axhline(ex["off_greedy"], ls="-.", c="C2", lw=1, label="exact p^α: off greedy")
        if ex["correct"] is not None:
            ax[1][1].axhline(ex["correct"], ls=(0, (1, 3)), c="C0", lw=2, label="exact p^α: correct")
        ax[1][1].set_ylabel("fraction of chains")
        ax[1][1].set_title("escaping the greedy trap")
    else:
        ax[1][1].plot(d, clean(st["accept_rate"]), "-", c="C0", label="acceptance rate")
        ax[1][1].set_ylabel("acceptance rate")
        ax[1][1].set_title("acceptance per MH decision")
    for x in block_starts(st):
        ax[1][1].axvline(x, ls=":", c="gray", lw=0.8)
    ax[1][1].set_ylim(0, 1.02)
    ax[1][1].set_xlabel("MH decision")
    ax[1][1].legend(fontsize=8)

    fig.suptitle(f"H2 correction tracker: {display_name(r['source'])}" +
                 (f" on {display_name(r['model'])}" if r.get("model") else ""))
    fig.tight_layout()
    for path in save_figure(fig, os.path.join(args.outdir, args.name)):
        print(path)


if __name__ == "__main__":
    main()
