#!/usr/bin/env python3
"""tools/plot on fabricated riosp-load --json output: a valid SVG or PNG for a tcp and a udp run
(with and without a baseline), exit 2 on bad input, exit 3 with the install hint when matplotlib
is missing. (perf_gate_test.py covers the perf-gate verdict charts.)

usage: plot_test.py PLOT [CASE...]   (no CASE: all of them)
Exit 77 (CTest: skipped) when no python3 here has matplotlib: tools/install-deps --plots.
"""

import json
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

PLOT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(os.path.realpath(__file__)), "..", "..", "tools", "plot")
CASES = sys.argv[2:]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def latency(p50_ns, count):
    """A small distribution around p50 in the JSON's bucket form."""
    buckets = [[p50_ns // 2, count // 4], [p50_ns, count // 2], [p50_ns * 4, count - 3 * (count // 4)],
               [p50_ns * 40, count // 4]]
    return {"count": sum(c for _, c in buckets), "p50": p50_ns, "p99": p50_ns * 40,
            "p999": p50_ns * 40, "max": p50_ns * 40, "mean": p50_ns, "buckets": buckets}


def run(transport, protocol, rate):
    done = "datagrams" if protocol == "udp" else "connections"
    ends = [1.0, 2.0, 3.0, 3.02]
    per = [rate, rate * 1.1, rate * 0.9, rate // 50]
    r = {"transport": transport, "elapsed_s": 3.02, done: sum(per),
         "bytes_sent": sum(per) * 4096, "bytes_received": sum(per) * 4096,
         "latency_ns": {"round_trip": latency(60_000, 1000)},
         "per_second": {"end_s": ends, done: per, "bytes_sent": [n * 4096 for n in per],
                        "bytes_received": [n * 4096 for n in per]}}
    if protocol == "tcp":
        r["latency_ns"]["connection"] = latency(1_400_000, 400)
        r["latency_ns"]["connect"] = latency(40_000, 400)
    return r


def report(protocol, baseline=True):
    j = {"tool": "riosp-load", "protocol": protocol, "role": "embedded",
         "target": "127.0.0.1:0", "message_size": 4096, "concurrency": 4}
    if protocol == "udp":
        j.update(flows=4, window=4)
    else:
        j.update(pattern="pingpong", shutdown="random")
    j["runs"] = [run("riosp", protocol, 2800)] + ([run("bsd", protocol, 3000)] if baseline else [])
    if baseline:
        key = "datagrams_per_s" if protocol == "udp" else "connections_per_s"
        j["ratios"] = {key: 0.93, "round_trip_p50": 1.05}
    return j


def plot(tmp, data, out, env=None):
    src = os.path.join(tmp, "in.json")
    with open(src, "w") as f:
        f.write(data if isinstance(data, str) else json.dumps(data))
    path = os.path.join(tmp, out)
    if os.path.exists(path):
        os.remove(path)
    proc = subprocess.run([PLOT, src, path], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, timeout=120, env=env)
    return proc.returncode, proc.stdout, path


failures = []


def check(label, ok, detail=""):
    if not ok:
        failures.append(f"{label}: {detail}")


def check_svg(label, path, words):
    with open(path, "rb") as f:
        body = f.read()
    check(label, len(body) > 1000, f"only {len(body)} bytes")
    root = ET.fromstring(body)  # raises on a broken document
    check(label, root.tag.endswith("svg"), f"root element {root.tag}")
    text = body.decode()
    for word in words:  # text stays text (svg.fonttype none): the labels are searchable
        check(label, word in text, f"'{word}' not in the SVG")


def check_png(label, path):
    with open(path, "rb") as f:
        body = f.read()
    check(label, body.startswith(PNG_SIGNATURE), "no PNG signature")
    check(label, len(body) > 1000, f"only {len(body)} bytes")


def case_tcp(tmp):
    rc, out, path = plot(tmp, report("tcp"), "tcp.svg")
    check("tcp svg", rc == 0, out)
    if rc == 0:
        check_svg("tcp svg", path, ["riosp", "bsd", "connections per second", "connect",
                                    "round trip", "riosp/bsd"])
    rc, out, path = plot(tmp, report("tcp"), "tcp.png")
    check("tcp png", rc == 0, out)
    if rc == 0:
        check_png("tcp png", path)


def case_udp(tmp):
    rc, out, path = plot(tmp, report("udp"), "udp.svg")
    check("udp svg", rc == 0, out)
    if rc == 0:
        check_svg("udp svg", path, ["riosp", "bsd", "datagrams per second", "round trip"])


def case_one_run(tmp):
    rc, out, path = plot(tmp, report("tcp", baseline=False), "alone.svg")
    check("one run", rc == 0, out)
    if rc == 0:
        check_svg("one run", path, ["riosp", "connections per second"])


def case_bad_input(tmp):
    for label, data, out in (("not JSON", "{", "x.svg"),
                             ("no tool key", {"runs": []}, "x.svg"),
                             ("another tool's JSON", {"tool": "something"}, "x.svg"),
                             ("no runs", dict(report("tcp"), runs=[]), "x.svg"),
                             ("wrong extension", report("tcp"), "x.pdf")):
        rc, text, path = plot(tmp, data, out)
        check(label, rc == 2, f"exit {rc}: {text}")
        check(label, text.startswith("plot: "), f"no one-line message: {text}")
        check(label, not os.path.exists(path), "a file was written")


def case_no_matplotlib(tmp):
    # A module named matplotlib that fails to import, and no second try under /usr/bin/python3.
    fake = os.path.join(tmp, "fake")
    os.makedirs(os.path.join(fake, "matplotlib"), exist_ok=True)
    with open(os.path.join(fake, "matplotlib", "__init__.py"), "w") as f:
        f.write("raise ImportError('simulated')\n")
    env = dict(os.environ, PYTHONPATH=fake, RIOSP_PLOT_REEXEC="1")
    rc, out, path = plot(tmp, report("tcp"), "x.svg", env)
    check("no matplotlib", rc == 3, f"exit {rc}: {out}")
    check("no matplotlib", "tools/install-deps --plots" in out, out)
    check("no matplotlib", not os.path.exists(path), "a file was written")


def matplotlib_somewhere():
    for py in ("python3", "/usr/bin/python3"):
        try:
            if subprocess.run([py, "-c", "import matplotlib"], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL).returncode == 0:
                return True
        except OSError:
            pass
    return False


def main():
    cases = {name[5:]: fn for name, fn in globals().items() if name.startswith("case_")}
    chosen = CASES or list(cases)
    if not matplotlib_somewhere() and any(c != "bad_input" for c in chosen):
        print("plot_test: matplotlib is not installed (tools/install-deps --plots): skipped")
        return 77
    with tempfile.TemporaryDirectory() as tmp:
        for name in chosen:
            cases[name](tmp)
    for f in failures:
        print("FAIL", f)
    print(f"plot_test: {len(chosen)} case(s), {len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
