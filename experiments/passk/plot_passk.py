#!/usr/bin/env python3
"""pass@k curves from `psamp passk --out FILE.json`: every method on one plot, k on a log
axis, with its 95 % band. Writes PREFIX.png and PREFIX.svg (PREFIX defaults to the JSON
file's name without .json).

    py="$(scripts/pyenv.sh plot)/bin/python"
    $py experiments/passk/plot_passk.py results.json [PREFIX]

- A method sampling at temperature 1 (the base model itself) is drawn as the reference:
  black, dashed, first in the legend.
- Bands: pass_at_k_lo .. pass_at_k_hi from the JSON (psamp's 95 % interval, named in its
  "interval" key); results from before bands existed are drawn without.
- Legend entries name the method and every setting it ran with ("power a=4 B=2 N=200
  q=0.25"), then the run's own label when that says something else, then the sample
  counts; two methods never share an entry's text.
- The y axis fits the curves and bands (padded), within [0, 1].
"""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from plotlib import clean, plt, save_figure  # noqa: E402


def settings_text(m):
    """The method and the settings it ran with, as psamp passk --out records them."""
    parts = [m["method"]]
    if "alpha" in m:
        parts.append(f"a={m['alpha']:g}")
    if "temperature" in m:
        parts.append(f"T={m['temperature']:g}")
    if "best_of" in m:
        parts.append(f"best of {m['best_of']}")
    if "block_size" in m:
        parts.append(f"B={m['block_size']}")
    if "mcmc_steps" in m:
        parts.append(f"N={m['mcmc_steps']}")
    if "proposal_temp" in m:
        parts.append(f"q={m['proposal_temp']:g}")
    return " ".join(parts)


def is_base(m):
    return m["method"] == "temp" and m.get("temperature") == 1


def legend_texts(methods):
    texts = []
    for m in methods:
        text = settings_text(m)
        if m["label"] not in (m["method"], text) and not (is_base(m) and m["label"].startswith("base")):
            text = f"{text} ({m['label']})"
        if is_base(m):
            text = f"base: {text}"
        runs = f"{m['chains_run']} run" if m["chains_run"] != m["samples_per_problem"] else f"n={m['samples_per_problem']}"
        texts.append(f"{text}; {runs}, {m['correct_total']} correct")
    # Same settings and same label (impossible from psamp, which refuses repeated labels): number them.
    for i, t in enumerate(texts):
        if texts.count(t) > 1:
            texts[i] = f"{t} #{i + 1}"
    return texts


def y_limits(values):
    finite = [v for v in values if v == v]
    if not finite:
        return -0.02, 1.02
    lo, hi = min(finite), max(finite)
    pad = max(0.02, 0.06 * (hi - lo))
    return max(-0.02, lo - pad), min(1.02, hi + pad)


def title(d):
    models = sorted({os.path.basename(p["model"].rstrip("/")) for p in d["problems"]})
    return (f"pass@k: {', '.join(models)}; {len(d['problems'])} problem(s), {d['samples']} samples per problem "
            f"and method")


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit("usage: plot_passk.py RESULTS.json [PREFIX]")
    path = sys.argv[1]
    prefix = sys.argv[2] if len(sys.argv) == 3 else os.path.splitext(path)[0]
    d = json.load(open(path))
    methods = sorted(d["methods"], key=lambda m: not is_base(m))  # the base first: legend and bottom layer
    fig, ax = plt.subplots(figsize=(7.2, 4.8))
    shown = []
    for m, text in zip(methods, legend_texts(methods)):
        values = clean(m["pass_at_k"])
        style = dict(color="black", linestyle="--", linewidth=1.8) if is_base(m) else dict(linewidth=1.2)
        line, = ax.plot(d["k"], values, marker="o", markersize=3, label=text, **style)
        shown += values
        if "pass_at_k_lo" in m:
            lo, hi = clean(m["pass_at_k_lo"]), clean(m["pass_at_k_hi"])
            ax.fill_between(d["k"], lo, hi, color=line.get_color(), alpha=0.15, linewidth=0)
            shown += lo + hi
    ax.set_xscale("log", base=2)
    ax.set_ylim(*y_limits(shown))
    ax.set_xlabel("k")
    band = "; bands: 95% interval" if any("pass_at_k_lo" in m for m in methods) else ""
    ax.set_ylabel(f"pass@k (unbiased estimator{band})", fontsize=8)
    ax.set_title(title(d), fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=6.5)
    fig.tight_layout()
    save_figure(fig, prefix, dpi=130)
    print(f"wrote {prefix}.png and {prefix}.svg")


if __name__ == "__main__":
    main()
