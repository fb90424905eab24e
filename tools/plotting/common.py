"""What every chart of tools/plot shares: matplotlib without a display, reproducible files."""

import os
import sys

# tools/plot's exit status when matplotlib is missing: riosp-load and perf-gate tell it apart
# from a real failure and print how to install it instead of failing their own run.
EXIT_NO_MATPLOTLIB = 3
INSTALL_HINT = "install it with: tools/install-deps --plots (Debian's python3-matplotlib)"

# riosp's colours: the provider in one, the baseline in the other, the same in every chart.
RIOSP = "#1f77b4"
BASELINE = "#7f7f7f"
REGRESSION = "#d62728"
FASTER = "#2ca02c"


class MissingMatplotlib(Exception):
    pass


def pyplot():
    """matplotlib.pyplot on the Agg backend (no display needed: CI, ssh).

    The python3 first on PATH may be another installation (pyenv) without Debian's
    python3-matplotlib: the script then runs itself again under /usr/bin/python3, once.
    """
    try:
        import matplotlib
    except ImportError:
        system = "/usr/bin/python3"
        if (os.environ.get("RIOSP_PLOT_REEXEC") is None and os.path.realpath(sys.executable)
                != os.path.realpath(system) and os.access(system, os.X_OK)):
            os.environ["RIOSP_PLOT_REEXEC"] = "1"
            os.execv(system, [system, *sys.argv])
        raise MissingMatplotlib() from None
    matplotlib.use("Agg")
    # An SVG's element ids and a file's date would change on every run: fix them, so the same
    # JSON draws the same file (a checked-in chart changes only when its data does).
    matplotlib.rcParams["svg.hashsalt"] = "riosp"
    matplotlib.rcParams["svg.fonttype"] = "none"  # text stays text: smaller, searchable
    import matplotlib.pyplot as plt
    return plt


def save(fig, path):
    """The figure to path; the format follows the extension (.svg or .png)."""
    fmt = os.path.splitext(path)[1].lower().lstrip(".")
    metadata = {"Date": None} if fmt == "svg" else {"Software": None}
    fig.savefig(path, format=fmt, metadata=metadata, bbox_inches="tight",
                dpi=110 if fmt == "png" else None)
