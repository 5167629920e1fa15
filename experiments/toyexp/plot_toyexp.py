#!/usr/bin/env python3
"""Figures of `psamp toyexp`: one six-panel figure per toy world, PNG and SVG.

    "$(scripts/pyenv.sh plot)/bin/python" experiments/toyexp/plot_toyexp.py RESULTS.json OUTDIR [--prefix toyexp]

Panels: TV and KL to the exact p^alpha against MH steps per chain (one line per block
size, the exact-sampling floor dashed); success against alpha (power and temperature
1/alpha, sampled markers, exact lines); acceptance against alpha; success against tokens
decoded per chain; unique rate at k. Plotting only: every number comes from the JSON.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from plotlib import clean, plt, read_results, save_figure  # noqa: E402


def column(points, key):
    return clean([p[key] for p in points])


def positive_x(xs, ys):
    """Log axes cannot show 0 MH steps: plot them at 0.5 and say so in the label."""
    return [x if x > 0 else 0.5 for x in xs], ys


def panel_convergence(ax, conv, key, label):
    for series in conv["series"]:
        pts = series["points"]
        xs, ys = positive_x(column(pts, "mh_steps"), column(pts, key))
        ax.plot(xs, ys, "o-", ms=3, label=f"B = {series['block_size']} ({series['blocks']} blocks)")
    floor = conv["floor"][key]
    if floor is not None and floor > 0:
        ax.axhline(floor, ls="--", c="gray", lw=1, label=f"{conv['chains']} exact draws")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("MH steps per chain (0 plotted at 0.5)")
    ax.set_ylabel(label)
    ax.set_title(f"{label} to exact p^α, α = {conv['alpha']:g}")
    ax.legend(fontsize=7)


def panel_success_alpha(ax, sweep):
    pts = sweep["points"]
    a = column(pts, "alpha")
    ax.plot(a, column(pts, "power_success_exact"), "-", c="C0", label="power p^α, exact")
    ax.plot(a, column(pts, "power_success"), "o", c="C0",
            label=f"power, sampled (B={sweep['block_size']}, N={sweep['mcmc_steps']})")
    ax.plot(a, column(pts, "low_temp_success_exact"), "-", c="C3", label="temperature 1/α, exact")
    ax.plot(a, column(pts, "low_temp_success"), "s", c="C3", label="temperature 1/α, sampled")
    ax.set_xscale("log", base=2)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("α")
    ax.set_ylabel("success (mass on correct)")
    ax.set_title("success vs α")
    ax.legend(fontsize=7)


def panel_accept_alpha(ax, sweep):
    pts = sweep["points"]
    ax.plot(column(pts, "alpha"), column(pts, "accept_rate"), "o-", c="C0")
    ax.set_xscale("log", base=2)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("α")
    ax.set_ylabel("MH acceptance rate")
    ax.set_title(f"acceptance vs α (B={sweep['block_size']}, N={sweep['mcmc_steps']})")


def panel_budget(ax, budget):
    p = budget["power"]
    ax.plot(column(p, "tokens_per_chain"), column(p, "success"), "o-", c="C0",
            label=f"power α={budget['alpha']:g}, B={budget['block_size']} (N varies)")
    b = budget["best_of"]
    ax.plot(column(b, "tokens_per_chain"), column(b, "success"), "s-", c="C2", label="best-of-n, T=1")
    ax.plot(column(b, "tokens_per_chain"), column(b, "success_exact"), ":", c="C2", label="best-of-n, exact")
    for key, marker, colour, name in (("temperature", "^", "C1", "temperature 1"),
                                      ("low_temperature", "v", "C3", "temperature 1/α"),
                                      ("greedy", "x", "k", "greedy")):
        pt = budget[key]
        ax.plot([pt["tokens_per_chain"]], [pt["success"]], marker, c=colour, ms=8, label=name)
    ax.set_xscale("log")
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("tokens decoded per chain")
    ax.set_ylabel("success")
    ax.set_title("success vs token budget")
    ax.legend(fontsize=7)


def panel_diversity(ax, div):
    pts = div["points"]
    k = column(pts, "k")
    for key, colour, name in (("power", "C0", f"power α={div['alpha']:g}"), ("temperature", "C1", "temperature 1"),
                              ("low_temp", "C3", "temperature 1/α")):
        ax.plot(k, column(pts, key), "o", c=colour, label=f"{name}, sampled")
        ax.plot(k, column(pts, key + "_exact"), "-", c=colour, label=f"{name}, exact")
    ax.set_xscale("log", base=2)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("k")
    ax.set_ylabel("unique rate (distinct / k)")
    ax.set_title("diversity at k")
    ax.legend(fontsize=7)


def plot_world(world, outdir, prefix):
    fig, axes = plt.subplots(2, 3, figsize=(16, 9.5))
    panel_convergence(axes[0][0], world["convergence"], "tv", "TV")
    panel_convergence(axes[0][1], world["convergence"], "kl", "KL")
    panel_success_alpha(axes[0][2], world["alpha_sweep"])
    panel_accept_alpha(axes[1][0], world["alpha_sweep"])
    panel_budget(axes[1][1], world["budget"])
    panel_diversity(axes[1][2], world["diversity"])
    fig.suptitle(f"toy world {world['name']}: {world['n_sequences']:.0f} complete sequences, "
                 f"length {world['length']}, {world['convergence']['chains']} chains per point")
    fig.tight_layout()
    paths = save_figure(fig, os.path.join(outdir, f"{prefix}_{world['name']}"))
    plt.close(fig)
    return paths


def main():
    results, args = read_results(__doc__, "results", "prefix", "toyexp")
    for world in results["worlds"]:
        for path in plot_world(world, args.outdir, args.prefix):
            print(path)


if __name__ == "__main__":
    main()
