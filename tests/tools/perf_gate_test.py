#!/usr/bin/env python3
"""tools/perf-gate in compare-two-files mode on fabricated Google Benchmark JSON.

Passes on an identical run, fails (exit 1) on a deliberately slowed one, passes when the slowdown
is under the threshold, and reports bad input with exit 2. Needs compare.py and scipy, not
riosp-bench, so it runs in every build (sanitizer presets have no benchmarks).
The --markdown summary and the --plot chart (tools/plot on perf-gate's verdicts) are checked on
the same runs; the chart's case exits 77 (CTest's SKIP_RETURN_CODE) without matplotlib.
"""

import json
import os
import random
import stat
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

# usage: perf_gate_test.py GATE [CASE...]   (no CASE: all of them)
GATE = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(os.path.realpath(__file__)), "..", "..", "tools", "perf-gate")
CASES = sys.argv[2:]
PLOT = os.path.join(os.path.dirname(GATE), "plot")
REPETITIONS = 9
SKIP = 77


def bench_json(times_by_name, seed):
    """Google Benchmark's JSON format: one row per repetition, then the aggregates."""
    rng = random.Random(seed)
    rows = []
    for family, (name, base_ns) in enumerate(times_by_name.items()):
        samples = []
        for rep in range(REPETITIONS):
            t = base_ns * (1 + rng.uniform(-0.01, 0.01))
            samples.append(t)
            rows.append({"name": name, "family_index": family, "per_family_instance_index": 0,
                         "run_name": name, "run_type": "iteration", "repetitions": REPETITIONS,
                         "repetition_index": rep, "threads": 1, "iterations": 1000,
                         "real_time": t, "cpu_time": t * 0.9, "time_unit": "ns"})
        ordered = sorted(samples)
        mean = sum(samples) / len(samples)
        for agg, value in (("mean", mean), ("median", ordered[len(ordered) // 2])):
            rows.append({"name": f"{name}_{agg}", "family_index": family,
                         "per_family_instance_index": 0, "run_name": name,
                         "run_type": "aggregate", "repetitions": REPETITIONS, "threads": 1,
                         "aggregate_name": agg, "aggregate_unit": "time", "iterations": REPETITIONS,
                         "real_time": value, "cpu_time": value * 0.9, "time_unit": "ns"})
    return {"context": {"date": "2026-01-01T00:00:00+00:00", "host_name": "test",
                        "executable": "riosp-bench", "num_cpus": 2, "mhz_per_cpu": 2000,
                        "cpu_scaling_enabled": False, "caches": [], "load_avg": [0, 0, 0],
                        "library_build_type": "release"},
            "benchmarks": rows}


def run(*cmd, env=None):
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=120, env=env)
    return proc.returncode, proc.stdout


def gate(*args, env=None):
    return run(GATE, *args, env=env)


def plot(*args):
    # tools/plot under this interpreter: it runs itself again under /usr/bin/python3 when this
    # one has no matplotlib, as it does when perf-gate runs it.
    return run(sys.executable, PLOT, *args)


def has_matplotlib():
    """What tools/plot can draw with: this interpreter's matplotlib or /usr/bin/python3's."""
    probe = "import importlib.util, sys; sys.exit(importlib.util.find_spec('matplotlib') is None)"
    for py in dict.fromkeys([sys.executable, "/usr/bin/python3"]):
        try:
            if subprocess.run([py, "-c", probe]).returncode == 0:
                return True
        except OSError:
            pass
    return False


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def table_rows(summary):
    """The Markdown table's rows as lists of cells, the header and the alignment row left out."""
    rows = [[c.strip() for c in line.strip().strip("|").split("|")]
            for line in summary.splitlines() if line.startswith("|")]
    return [r for r in rows if r[0] != "benchmark" and not r[0].startswith(":--")]


failures = []
skipped = set()


def check(label, got, want, output):
    if got != want:
        failures.append(label)
        print(f"FAIL {label}: exit {got}, expected {want}\n{output}")
    else:
        print(f"ok   {label}")


def expect(label, condition, output):
    if condition:
        print(f"ok   {label}")
    else:
        failures.append(label)
        print(f"FAIL {label}\n{output}")


def wanted(case):
    return not CASES or case in CASES


with tempfile.TemporaryDirectory() as tmp:
    base_times = {"BM_SendRecv/64": 1000.0, "BM_Connect": 50000.0, "BM_HalfClose": 20000.0}
    paths = {}
    for label, times, seed in (
            ("base", base_times, 1),
            ("same", base_times, 1),
            ("noise", base_times, 2),
            ("slow", {**base_times, "BM_HalfClose": 20000.0 * 1.25}, 3),
            ("slightly_slow", {**base_times, "BM_HalfClose": 20000.0 * 1.05}, 4),
            ("other", {"BM_Other": 1000.0}, 5)):
        paths[label] = os.path.join(tmp, f"{label}.json")
        with open(paths[label], "w") as f:
            json.dump(bench_json(times, seed), f)

    if wanted("identical"):
        rc, out = gate("--compare", paths["base"], paths["same"])
        check("identical JSON passes", rc, 0, out)
    if wanted("noise"):
        rc, out = gate("--compare", paths["base"], paths["noise"])
        check("1% noise passes", rc, 0, out)
    if wanted("slowed"):
        rc, out = gate("--compare", paths["base"], paths["slow"])
        check("25% slower fails", rc, 1, out)
        if rc == 1 and "BM_HalfClose" not in out.split("FAIL:")[-1]:
            failures.append("the failure names the slowed benchmark")
            print(out)
    if wanted("threshold"):
        rc, out = gate("--compare", paths["base"], paths["slightly_slow"])
        check("5% slower passes the default 10% threshold", rc, 0, out)
        rc, out = gate("--threshold", "3", "--compare", paths["base"], paths["slightly_slow"])
        check("5% slower fails a 3% threshold", rc, 1, out)
    if wanted("bad_input"):
        rc, out = gate("--compare", paths["base"], os.path.join(tmp, "missing.json"))
        check("a missing file is exit 2", rc, 2, out)
        rc, out = gate()
        check("no arguments is exit 2", rc, 2, out)

    if wanted("markdown"):
        summary = os.path.join(tmp, "summary.md")
        rc, out = gate("--markdown", summary, "--compare", paths["base"], paths["slow"])
        check("25% slower with --markdown still fails", rc, 1, out)
        text = read(summary)
        verdicts = {r[0]: r[-1] for r in table_rows(text)}
        expect("the summary's heading says FAIL", text.startswith("### ") and
               "FAIL" in text.splitlines()[0], text)
        expect("the slowed benchmark's row says REGRESSION",
               "REGRESSION" in verdicts.get("`BM_HalfClose`", ""), text)
        expect("the others' rows do not", sum("REGRESSION" in v for v in verdicts.values()) == 1
               and len(verdicts) == 3, text)
        rc, out = gate("--markdown", summary, "--compare", paths["base"], paths["same"])
        check("an identical run with --markdown passes", rc, 0, out)
        second = read(summary)[len(text):]
        expect("appended: the first summary is kept", read(summary).startswith(text), second)
        expect("the identical run's summary says PASS, no REGRESSION row",
               "PASS" in second.splitlines()[0] and "REGRESSION" not in second
               and len(table_rows(second)) == 3, second)
        rc, out = gate("--markdown", "-", "--compare", paths["base"], paths["same"])
        check("--markdown - passes", rc, 0, out)
        expect("--markdown - writes the summary to stdout", "| `BM_Connect` |" in out, out)
        judged = read(summary)
        rc, out = gate("--markdown", summary, "--compare", paths["base"], paths["other"])
        check("no benchmark in common is exit 2", rc, 2, out)
        expect("the summary says the gate could not judge, and no verdict",
               "could not judge" in read(summary)[len(judged):] and "PASS" not in out, out)

        # Unwritable summary or unknown chart format: exit 2 before the benchmark binary runs
        # (a stand-in that leaves a mark).
        mark = os.path.join(tmp, "bench-ran")
        fake_bench = os.path.join(tmp, "fake-bench")
        with open(fake_bench, "w") as f:
            f.write(f"#!{sys.executable}\nopen({mark!r}, 'w').close()\n")
        os.chmod(fake_bench, os.stat(fake_bench).st_mode | stat.S_IXUSR)
        for label, option in (("an unwritable --markdown FILE",
                               ["--markdown", os.path.join(tmp, "no", "such", "dir.md")]),
                              ("--plot FILE.pdf", ["--plot", os.path.join(tmp, "chart.pdf")])):
            rc, out = gate(*option, "--bench", fake_bench, "--out", os.path.join(tmp, "o.json"),
                           paths["base"])
            check(f"{label} is exit 2", rc, 2, out)
            expect(f"{label}: no benchmark ran", not os.path.exists(mark), out)

    if wanted("plot"):
        if not has_matplotlib():
            print("skip plot: no matplotlib (tools/install-deps --plots)")
            skipped.add("plot")
        else:
            for ext in ("svg", "png"):
                for label, contender, want in (("slowed", "slow", 1), ("identical", "same", 0)):
                    chart = os.path.join(tmp, f"{label}.{ext}")
                    rc, out = gate("--plot", chart, "--compare", paths["base"], paths[contender])
                    check(f"--plot {ext}, {label}: the gate's exit status", rc, want, out)
                    if not os.path.isfile(chart) or os.path.getsize(chart) == 0:
                        expect(f"--plot {ext}, {label}: a chart is written", False, out)
                        continue
                    if ext == "svg":
                        try:
                            root = ET.parse(chart).getroot().tag
                        except ET.ParseError as e:
                            root = f"not XML: {e}"
                        expect(f"--plot svg, {label}: valid SVG", root.endswith("svg"), root)
                    else:
                        with open(chart, "rb") as f:
                            magic = f.read(8)
                        expect(f"--plot png, {label}: a PNG", magic == b"\x89PNG\r\n\x1a\n",
                               repr(magic))

    if wanted("plot_no_matplotlib"):
        # A matplotlib that cannot be imported, first on the path of every interpreter tools/plot
        # tries: tools/plot exits 3, and the gate says so in one line and judges as before.
        hidden = os.path.join(tmp, "hidden", "matplotlib")
        os.makedirs(hidden)
        with open(os.path.join(hidden, "__init__.py"), "w") as f:
            f.write("raise ImportError('hidden by perf_gate_test.py')\n")
        env = {**os.environ, "PYTHONPATH": os.path.dirname(hidden)}
        chart = os.path.join(tmp, "none.svg")
        rc, out = gate("--plot", chart, "--compare", paths["base"], paths["slow"], env=env)
        check("no matplotlib: the gate still fails the slowed run", rc, 1, out)
        expect("no matplotlib: one line with the install hint, no chart",
               "tools/install-deps --plots" in out and "Traceback" not in out
               and not os.path.exists(chart), out)

    if wanted("plot_bad_input"):
        good = {"tool": "perf-gate", "statistic": "median", "time": "real", "threshold_pct": 10.0,
                "alpha": 0.05, "verdict": "PASS",
                "benchmarks": [{"name": "BM_Connect", "unit": "ns", "baseline": 1.0,
                                "contender": 1.0, "change_pct": 0.0, "pvalue": 0.5,
                                "verdict": "ok"}]}
        bad_row = {**good["benchmarks"][0], "verdict": "dunno"}
        inputs = {"not_json": "{ nope",
                  "no_tool": json.dumps({k: v for k, v in good.items() if k != "tool"}),
                  "good": json.dumps(good),
                  "no_benchmarks": json.dumps({k: v for k, v in good.items()
                                               if k != "benchmarks"}),
                  "bad_verdict": json.dumps({**good, "benchmarks": [bad_row]})}
        for name, text in inputs.items():
            with open(os.path.join(tmp, f"{name}.json"), "w") as f:
                f.write(text)
        cases = [("not JSON", "not_json.json", "out.svg"),
                 ("no 'tool' key", "no_tool.json", "out.svg"),
                 ("a .pdf chart", "good.json", "out.pdf")]
        if has_matplotlib():  # the chart itself finds these
            cases += [("no 'benchmarks'", "no_benchmarks.json", "out.svg"),
                      ("an unknown verdict", "bad_verdict.json", "out.svg")]
        for label, source, out_name in cases:
            rc, out = plot(os.path.join(tmp, source), os.path.join(tmp, out_name))
            check(f"tools/plot on verdicts, {label}: exit 2", rc, 2, out)

if failures:
    sys.exit(1)
# Only skipped cases asked for: CTest reports a skip, not a pass.
sys.exit(SKIP if skipped and CASES and set(CASES) <= skipped else 0)
