#!/usr/bin/env python3
"""tools/perf-gate in compare-two-files mode on fabricated Google Benchmark JSON.

Passes on an identical run, fails (exit 1) on a deliberately slowed one, passes when the slowdown
is under the threshold, and reports bad input with exit 2. Needs compare.py and scipy, not
riosp-bench, so it runs in every build (sanitizer presets have no benchmarks).
"""

import json
import os
import random
import subprocess
import sys
import tempfile

# usage: perf_gate_test.py GATE [CASE...]   (no CASE: all of them)
GATE = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(os.path.realpath(__file__)), "..", "..", "tools", "perf-gate")
CASES = sys.argv[2:]
REPETITIONS = 9


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


def gate(*args):
    proc = subprocess.run([GATE, *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, timeout=120)
    return proc.returncode, proc.stdout


failures = []


def check(label, got, want, output):
    if got != want:
        failures.append(label)
        print(f"FAIL {label}: exit {got}, expected {want}\n{output}")
    else:
        print(f"ok   {label}")


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
            ("slightly_slow", {**base_times, "BM_HalfClose": 20000.0 * 1.05}, 4)):
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

sys.exit(1 if failures else 0)
