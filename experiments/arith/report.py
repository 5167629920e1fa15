#!/usr/bin/env python3
"""The arithmetic comparison's table and figures, from `psamp passk --out` files.

    py="$(scripts/pyenv.sh plot)/bin/python"
    $py experiments/arith/report.py RESULTS_DIR OUTDIR --hardware "TEXT"

RESULTS_DIR holds FAMILY_base.json and FAMILY_rl.json for FAMILY in add, expr, mod (what
experiments/arith/run.sh writes) and, optionally, hyper.json (the hyperparameter axes on one
family). Writes OUTDIR/arith_passk.{png,svg} (pass@k per family, every method, 95 % bands),
OUTDIR/arith_table.md (pass@1 and pass@k_max with intervals, tokens decoded per problem) and,
with hyper.json, OUTDIR/arith_hyper.{png,svg} and a second table. Figures and tables name the
models, the task split and the hardware.

--against OTHER_DIR (a run of the same size with one thing changed, for example the CUDA
engine's fp8 KV cache against its default cache) adds a table of each method's difference
RESULTS_DIR − OTHER_DIR at pass@1 and pass@k_max, paired over the same problems.
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from plotlib import clean, display_name, plt, save_figure  # noqa: E402

FAMILIES = ["add", "expr", "mod"]
# The methods drawn with their 95 % band (all bands at once hide the lines); the table has every interval.
BANDED = ["base T=1", "power a=4", "RL T=1"]


def load_family(results, family):
    """The base file's methods followed by the RL file's, after checking both ran the same
    problems with the same n and k."""
    base = json.load(open(os.path.join(results, f"{family}_base.json")))
    rl_path = os.path.join(results, f"{family}_rl.json")
    methods = [dict(m, model=display_name(base["problems"][0]["model"])) for m in base["methods"]]
    if os.path.exists(rl_path):
        rl = json.load(open(rl_path))
        if [p["id"] for p in rl["problems"]] != [p["id"] for p in base["problems"]] or rl["k"] != base["k"] \
                or rl["samples"] != base["samples"]:
            sys.exit(f"{rl_path}: not the problems, k and samples of {family}_base.json")
        methods += [dict(m, model=display_name(rl["problems"][0]["model"])) for m in rl["methods"]]
    return base, methods


def ci_text(v, lo, hi):
    return f"{100 * v:.1f} [{100 * lo:.1f}, {100 * hi:.1f}]"


def passk_table(results, families):
    lines = []
    for family in families:
        base, methods = load_family(results, family)
        n, ks, problems = base["samples"], base["k"], len(base["problems"])
        kmax = ks[-1]
        lines += [f"**{family}** ({problems} test problems, n = {n} samples each; % with 95 % interval)", "",
                  f"| method | model | pass@1 | pass@{kmax} | tokens decoded per problem |", "|---|---|---|---|---|"]
        for m in methods:
            i1, ik = ks.index(1), len(ks) - 1
            p1 = ci_text(m["pass_at_k"][i1], m["pass_at_k_lo"][i1], m["pass_at_k_hi"][i1])
            pk = ci_text(m["pass_at_k"][ik], m["pass_at_k_lo"][ik], m["pass_at_k_hi"][ik])
            per_problem = m["tokens_decoded"] / problems
            lines.append(f"| {m['label']} | {m['model']} | {p1} | {pk} | {per_problem:,.0f} |")
        lines.append("")
    return lines


def passk_figure(results, families, hardware, stem):
    fig, axes = plt.subplots(1, len(families), figsize=(5.2 * len(families), 4.6), squeeze=False)
    models = set()
    for ax, family in zip(axes[0], families):
        base, methods = load_family(results, family)
        for m in methods:
            models.add(m["model"])
            is_base = m["method"] == "temp" and m.get("temperature") == 1 and "rl" not in m["model"]
            style = dict(color="black", linestyle="--", linewidth=1.8) if is_base else dict(linewidth=1.2)
            line, = ax.plot(base["k"], clean(m["pass_at_k"]), marker="o", markersize=3,
                            label=f"{m['label']} ({m['model']})", **style)
            if m["label"] in BANDED:
                ax.fill_between(base["k"], clean(m["pass_at_k_lo"]), clean(m["pass_at_k_hi"]),
                                color=line.get_color(), alpha=0.15, linewidth=0)
        ax.set_xscale("log", base=2)
        ax.set_xticks(base["k"])
        ax.set_xticklabels([str(k) for k in base["k"]])
        ax.set_ylim(-0.02, 1.02)
        ax.set_xlabel("k")
        ax.set_title(f"{family}: {len(base['problems'])} test problems, n={base['samples']}", fontsize=9)
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel(f"pass@k (unbiased; bands: 95% interval of {', '.join(BANDED)})", fontsize=7)
    axes[0][-1].legend(fontsize=6.5, loc="lower right")
    fig.suptitle(f"pass@k on the arithmetic tasks: {', '.join(sorted(models))}; {hardware}", fontsize=10)
    fig.tight_layout()
    save_figure(fig, stem, dpi=120)


AXES = [("alpha", "α"), ("block_size", "block size"), ("mcmc_steps", "MH steps per block"),
        ("proposal_temp", "proposal temperature")]
CENTRE = {"alpha": 4, "block_size": 10, "mcmc_steps": 10, "proposal_temp": 0.25}


def hyper_points(d):
    """(settings, pass@1, lo, hi, tokens per problem) of every method of the hyperparameter run."""
    i1 = d["k"].index(1)
    out = []
    for m in d["methods"]:
        settings = {a: m.get(a) for a, _ in AXES}
        out.append((settings, m["pass_at_k"][i1], m["pass_at_k_lo"][i1], m["pass_at_k_hi"][i1],
                    m["tokens_decoded"] / len(d["problems"])))
    return out


def on_axis(settings, axis):
    """True when every setting but axis is at the centre (α's proposal temperature is 1/α)."""
    for a, _ in AXES:
        if a == axis:
            continue
        want = 1 / settings["alpha"] if a == "proposal_temp" and axis == "alpha" else CENTRE[a]
        if settings[a] is None or abs(settings[a] - want) > 1e-9:
            return False
    return True


def hyper_figure(d, hardware, stem):
    points = hyper_points(d)
    fig, axes = plt.subplots(1, len(AXES), figsize=(4.0 * len(AXES), 3.8), squeeze=False)
    for ax, (axis, name) in zip(axes[0], AXES):
        row = sorted((s[axis], v, lo, hi) for s, v, lo, hi, _ in points if on_axis(s, axis))
        if row:
            x = [r[0] for r in row]
            ax.errorbar(x, [r[1] for r in row], yerr=[[r[1] - r[2] for r in row], [r[3] - r[1] for r in row]],
                        marker="o", capsize=3)
            ax.set_xscale("log", base=2)
            ax.set_xticks(x)
            ax.set_xticklabels([f"{v:g}" for v in x])
        ax.set_xlabel(name)
        ax.set_ylim(-0.02, 1.02)
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("pass@1 (95% interval)", fontsize=8)
    model = display_name(d["problems"][0]["model"])
    fig.suptitle(f"power sampling pass@1 against its settings: {model}, arith mod, {len(d['problems'])} test problems, "
                 f"n={d['samples']}; centre α 4, B 10, N 10, q 1/α; {hardware}", fontsize=9)
    fig.tight_layout()
    save_figure(fig, stem, dpi=120)


# Paired comparisons: (method A, method B, which k: 1 or the largest), A - B per problem.
PAIRS = [("power a=4", "base T=1", "1"), ("power a=4", "T=1/4", "1"), ("power a=4", "best of 8", "1"),
         ("power a=4", "RL T=1", "1"), ("power a=4", "base T=1", "max"), ("power a=4", "RL T=1", "max")]


def pass_at_k_one(c, n, k):
    """The unbiased estimator for one problem: 1 - C(n - c, k) / C(n, k), as a product."""
    if n - c < k:
        return 1.0
    p = 1.0
    for i in range(n - c + 1, n + 1):
        p *= 1.0 - k / i
    return 1.0 - p


def paired_cell(a, b, n, k):
    """Mean over problems of pass@k(a) − pass@k(b) in points, with its 95 % normal interval."""
    d = [pass_at_k_one(x, n, k) - pass_at_k_one(y, n, k) for x, y in zip(a, b)]
    mean = sum(d) / len(d)
    sd = (sum((x - mean) ** 2 for x in d) / (len(d) - 1)) ** 0.5 if len(d) > 1 else 0.0
    half = 1.96 * sd / len(d) ** 0.5
    return f"{100 * mean:+.1f} [{100 * (mean - half):+.1f}, {100 * (mean + half):+.1f}]"


def paired_table(results, families):
    """Differences between two methods on the same problems: the mean over problems of
    pass@k(A) - pass@k(B) with a 95 % normal interval of the paired differences (tighter
    than comparing the two methods' own intervals, which ignore that the problems are shared)."""
    lines = ["| difference (A - B) | k | " + " | ".join(families) + " |",
             "|---|---|" + "---|" * len(families)]
    cells = {}
    for family in families:
        base, methods = load_family(results, family)
        by_label = {m["label"]: m for m in methods}
        n, k_max = base["samples"], base["k"][-1]
        for a, b, which in PAIRS:
            if a not in by_label or b not in by_label:
                continue
            k = 1 if which == "1" else k_max
            cells[(a, b, which, family)] = paired_cell(by_label[a]["correct"], by_label[b]["correct"], n, k)
            cells[(a, b, which, "k")] = str(k)
    for a, b, which in PAIRS:
        if (a, b, which, "k") in cells:
            row = [cells.get((a, b, which, f), "") for f in families]
            lines.append(f"| {a} − {b} | {cells[(a, b, which, 'k')]} | " + " | ".join(row) + " |")
    return lines + [""]


def against_table(results, other, families):
    """Each method in `results` minus the same method in `other` (same problems, n and k)."""
    lines = ["| method | k | " + " | ".join(families) + " |", "|---|---|" + "---|" * len(families)]
    rows = {}
    for family in families:
        base, methods = load_family(results, family)
        obase, omethods = load_family(other, family)
        if [p["id"] for p in obase["problems"]] != [p["id"] for p in base["problems"]] \
                or obase["samples"] != base["samples"] or obase["k"] != base["k"]:
            sys.exit(f"{other}: {family}: not the problems, k and samples of {results}")
        by_label = {m["label"]: m for m in omethods}
        n, k_max = base["samples"], base["k"][-1]
        for m in methods:
            if m["label"] not in by_label:
                continue
            for k in (1, k_max):
                rows.setdefault((m["label"], k), {})[family] = paired_cell(m["correct"], by_label[m["label"]]["correct"], n, k)
    for (label, k), cells in rows.items():
        lines.append(f"| {label} | {k} | " + " | ".join(cells.get(f, "") for f in families) + " |")
    return lines + [""]


def hyper_table(d):
    lines = [f"| α | block size | MH steps | proposal temp | pass@1 (%, 95 % interval) | tokens per problem |",
             "|---|---|---|---|---|---|"]
    for s, v, lo, hi, tokens in hyper_points(d):
        lines.append(f"| {s['alpha']:g} | {s['block_size']} | {s['mcmc_steps']} | {s['proposal_temp']:g} | "
                     f"{ci_text(v, lo, hi)} | {tokens:,.0f} |")
    return lines + [""]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("results")
    ap.add_argument("outdir")
    ap.add_argument("--hardware", required=True, help="the machine the runs were made on, for titles and tables")
    ap.add_argument("--against", metavar="OTHER_DIR", help="a run of the same size to subtract, method by method")
    args = ap.parse_args()
    families = [f for f in FAMILIES if os.path.exists(os.path.join(args.results, f"{f}_base.json"))]
    if not families:
        sys.exit(f"{args.results}: no FAMILY_base.json (run experiments/arith/run.sh first)")
    os.makedirs(args.outdir, exist_ok=True)
    lines = [f"Hardware: {args.hardware}.", ""] + passk_table(args.results, families)
    lines += ["**Paired differences** (pass@k points, A − B over the same problems; 95 % interval)", ""]
    lines += paired_table(args.results, families)
    if args.against:
        lines += [f"**Against {args.against}** (pass@k points, this run − that run, same method and problems; "
                  "95 % interval)", ""]
        lines += against_table(args.results, args.against, families)
    passk_figure(args.results, families, args.hardware, os.path.join(args.outdir, "arith_passk"))
    hyper_path = os.path.join(args.results, "hyper.json")
    if os.path.exists(hyper_path):
        d = json.load(open(hyper_path))
        hyper_figure(d, args.hardware, os.path.join(args.outdir, "arith_hyper"))
        lines += [f"**Hyperparameters** (power sampling, `mod`: {len(d['problems'])} test problems, "
                  f"n = {d['samples']} samples each)", ""] + hyper_table(d)
    with open(os.path.join(args.outdir, "arith_table.md"), "w") as f:
        f.write("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
