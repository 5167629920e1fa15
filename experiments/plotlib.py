"""What every experiment's plot script shares: matplotlib without a display, JSON nulls as
NaN, the `RESULTS OUTDIR [--name NAME]` command line, and a figure saved as PNG and SVG.

A script in experiments/<name>/ imports it with

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    from plotlib import plt, ...  # noqa: E402
"""
import argparse
import json
import math
import os

import matplotlib

matplotlib.use("Agg")
matplotlib.rcParams["svg.fonttype"] = "none"  # text stays text: smaller SVGs
import matplotlib.pyplot as plt  # noqa: E402,F401  (the scripts take plt from here)


def nan_if_none(value):
    """A JSON null as NaN, which matplotlib leaves as a gap."""
    return math.nan if value is None else value


def clean(values):
    """A list with its JSON nulls as NaN."""
    return [nan_if_none(v) for v in values]


def read_results(doc, input_name, name_option, default_name):
    """Parses `INPUT OUTDIR [--NAME_OPTION NAME]` (the script's docstring's first line as the
    description) and reads INPUT's JSON; returns (the JSON, the parsed arguments)."""
    ap = argparse.ArgumentParser(description=doc.splitlines()[0])
    ap.add_argument(input_name)
    ap.add_argument("outdir")
    ap.add_argument(f"--{name_option}", default=default_name)
    args = ap.parse_args()
    with open(getattr(args, input_name)) as f:
        return json.load(f), args


def display_name(path):
    """A model or file path as a title shows it: its last part, `..` and `.` resolved
    (`experiments/h1/../toy/greedy_trap.json` -> `greedy_trap.json`)."""
    return os.path.basename(os.path.normpath(path)) if path else path


def save_figure(fig, stem, dpi=90):
    """Writes stem.png and stem.svg, making stem's folder if need be; returns both paths."""
    folder = os.path.dirname(stem)
    if folder:
        os.makedirs(folder, exist_ok=True)
    paths = []
    for ext in ("png", "svg"):
        path = f"{stem}.{ext}"
        fig.savefig(path, dpi=dpi)
        paths.append(path)
    return paths
