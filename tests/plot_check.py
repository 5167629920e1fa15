#!/usr/bin/env python3
"""plot_check.py KIND SCRIPT ARGS...: runs an experiment's plot script (experiments/*/plot_*.py)
with its figure captured instead of saved only, then checks what a reader needs of it:
- every title names files by their last part (no `/`, no `..`);
- h2: the "off the greedy first token" curve stays visible beside "correct" (another line
  style and markers);
- h3: methods are categories (no line joins them), the likelihood bars carry their standard
  deviation as error bars, and no legend covers a data marker.
Exit 0 when all hold; each failure is printed."""
import os
import runpy
import sys

kind, script, args = sys.argv[1], sys.argv[2], sys.argv[3:]
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(script)), ".."))
import plotlib  # noqa: E402

figures = []
saver = plotlib.save_figure


def capture(fig, stem, dpi=90):
    figures.append(fig)
    return saver(fig, stem, dpi)


plotlib.save_figure = capture
sys.argv = [script] + args
runpy.run_path(script, run_name="__main__")
problems = []
if not figures:
    sys.exit(f"plot_check: {script} saved no figure")
fig = figures[0]
titles = [f._suptitle.get_text() for f in figures if f._suptitle]
titles += [ax.get_title() for f in figures for ax in f.axes]
for t in titles:
    if "/" in t or ".." in t:
        problems.append(f"title shows a raw path: {t!r}")


def legend_covers_marker(ax):
    leg = ax.get_legend()
    if leg is None:
        return False
    fig.canvas.draw()
    box = leg.get_window_extent()
    for line in ax.lines:
        if line.get_marker() in (None, "None", "", " "):
            continue
        for x, y in ax.transData.transform(line.get_xydata()):
            if box.x0 <= x <= box.x1 and box.y0 <= y <= box.y1:
                return True
    return False


if kind == "h2":
    ax = [a for a in fig.axes if a.get_title() == "escaping the greedy trap"]
    if not ax:
        problems.append("no 'escaping the greedy trap' panel")
    else:
        lines = {ln.get_label(): ln for ln in ax[0].lines}
        off = [ln for label, ln in lines.items() if label.startswith("off the greedy")]
        correct = lines.get("on a correct path")
        if not off or correct is None:
            problems.append(f"curves missing: {list(lines)}")
        elif (off[0].get_linestyle(), off[0].get_marker(), off[0].get_linewidth()) == \
                (correct.get_linestyle(), correct.get_marker(), correct.get_linewidth()):
            problems.append("'off greedy' and 'correct' are drawn alike: one hides the other")
if kind == "h3":
    likelihood, diversity, repetition = fig.axes[:3]
    for ax in (diversity, repetition):
        for ln in ax.lines:
            if len(ln.get_xdata()) > 1 and ln.get_linestyle() not in ("None", "none", " ", ""):
                problems.append(f"{ax.get_title()}: a line joins the methods ({ln.get_label()})")
        if legend_covers_marker(ax):
            problems.append(f"{ax.get_title()}: the legend covers a marker")
    bars = [c for c in likelihood.containers if getattr(c, "errorbar", None) is not None]
    if not bars:
        problems.append("likelihood: the standard deviation is not drawn")
for p in problems:
    print(f"plot_check {kind}: {p}", file=sys.stderr)
sys.exit(1 if problems else 0)
