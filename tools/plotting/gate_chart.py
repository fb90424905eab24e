"""tools/perf-gate's verdicts as a chart: the change per benchmark, the threshold drawn in.

perf-gate --plot FILE writes its verdicts to a temporary JSON file and runs tools/plot on it.
The verdicts JSON:

  {"tool": "perf-gate",
   "statistic": "median",        the aggregate compared: "median" or "mean"
   "time": "real",               "real" (wall) or "cpu" time
   "threshold_pct": 10.0,        slower by more than this many percent ...
   "alpha": 0.05,                ... with a U-test p-value below alpha is a regression
   "verdict": "PASS"|"FAIL",     FAIL: at least one benchmark's verdict is REGRESSION
   "benchmarks": [               in compare.py's order
     {"name": "BM_Connect",
      "unit": "ns",              the unit of baseline and contender (Google Benchmark's time_unit)
      "baseline": float,         the statistic's time in the baseline run ...
      "contender": float,        ... and in the new run
      "change_pct": float,       (contender - baseline) / baseline, in percent (compare.py's)
      "pvalue": float|null,      the U test's p-value; null: no U test (too few repetitions)
      "verdict": "REGRESSION"|"faster"|"ok"|"slower, not significant"|"slower, no U test"}]}

Benchmarks of the baseline missing from the new run have no row (nothing to draw).
"""

from . import common

# A regression in the regression colour, a significant speed-up in the faster one, anything
# within the threshold or not significant in riosp's colour: the eye goes to what failed.
COLOURS = {"REGRESSION": common.REGRESSION, "faster": common.FASTER, "ok": common.RIOSP,
           "slower, not significant": common.RIOSP, "slower, no U test": common.RIOSP}
LEGEND = (("REGRESSION", "regression"), ("faster", "faster, significant"),
          ("ok", "within the threshold, or not significant"))


def draw(plt, data):
    from matplotlib.patches import Patch  # here: tools/plot imports matplotlib only when drawing

    rows = data["benchmarks"]
    if not rows:
        raise ValueError("no benchmarks")
    threshold = float(data["threshold_pct"])
    changes = [float(r["change_pct"]) for r in rows]
    colours = [COLOURS[r["verdict"]] for r in rows]  # an unknown verdict: KeyError, bad input

    # Horizontal bars: benchmark names are long (BM_PingPong/riosp/iouring/threads:2), so they go
    # on the y axis, one row each; the figure grows with the number of benchmarks and the
    # length of the names.
    longest = max(len(r["name"]) for r in rows)
    fig, ax = plt.subplots(figsize=(6 + 0.07 * longest, 1.6 + 0.3 * len(rows)))
    y = list(range(len(rows)))
    ax.barh(y, changes, height=0.6, color=colours)
    ax.set_yticks(y, [r["name"] for r in rows])
    ax.invert_yaxis()  # the first benchmark on top, as in perf-gate's tables
    ax.axvline(0, color="black", linewidth=0.8)
    ax.axvline(threshold, color=common.REGRESSION, linestyle="--", linewidth=1)
    ax.axvline(-threshold, color=common.BASELINE, linestyle=":", linewidth=1)
    lo, hi = min(changes + [-threshold, 0.0]), max(changes + [threshold, 0.0])
    pad = 0.08 * (hi - lo or 1.0)
    ax.set_xlim(lo - pad, hi + pad)  # both threshold lines always in view

    # The figures in a column on the right (a twin y axis) rather than beside the bars, where
    # they would run into each other, the axes' frame or the legend.
    right = ax.twinx()
    right.set_ylim(ax.get_ylim())
    right.set_yticks(y, [figures(r) for r in rows])
    for axis in (ax, right):
        axis.tick_params(axis="y", length=0)
        for label, row in zip(axis.get_yticklabels(), rows):
            if row["verdict"] == "REGRESSION":
                label.set_color(common.REGRESSION)
                label.set_fontweight("bold")

    ax.xaxis.set_major_formatter(lambda value, _: f"{value:+g}%" if value else "0%")
    ax.locator_params(axis="x", nbins=6)  # "+10%" labels are wide: fewer of them
    ax.grid(axis="x", alpha=0.3)
    ax.set_axisbelow(True)
    ax.set_xlabel(f"change of the {data['statistic']} {data['time']} time, new run against "
                  "the baseline (right: slower)")
    verdict = data["verdict"]
    ax.set_title(f"perf-gate {verdict}: threshold +{threshold:g}%, alpha {data['alpha']:g}",
                 color=common.REGRESSION if verdict == "FAIL" else "black", loc="left")
    fig.tight_layout()
    handles = [Patch(color=COLOURS[key], label=text) for key, text in LEGEND]
    handles += [plt.Line2D([], [], color=common.REGRESSION, linestyle="--",
                           label=f"+{threshold:g}%: the threshold"),
                plt.Line2D([], [], color=common.BASELINE, linestyle=":",
                           label=f"-{threshold:g}%: faster beyond")]
    # Under the figure, after the layout: save()'s tight bounding box takes it in.
    fig.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0), ncol=3,
               fontsize=8, frameon=False)
    return fig


def figures(row):
    """The right-hand column: the change, and the p-value that decided the verdict."""
    pvalue = "no U test" if row["pvalue"] is None else f"p {row['pvalue']:.2g}"
    return f"{float(row['change_pct']):+.1f}%  {pvalue}"
