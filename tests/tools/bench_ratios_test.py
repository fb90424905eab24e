#!/usr/bin/env python3
"""tools/bench-ratios on fabricated riosp-bench and riosp-load JSON.

A run that meets every target prints PASS rows and exits 0 with --strict; the same run with a
churn figure and a riosp-load ratio made worse names those rows MISS and exits 1 with --strict
(0 without); a missing figure is MISSING. Needs no benchmark binary, so it runs in every build.
"""

import json
import os
import subprocess
import sys
import tempfile

# usage: bench_ratios_test.py TOOL [CASE...]   (no CASE: all of them)
TOOL = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(os.path.realpath(__file__)), "..", "..", "tools", "bench-ratios")
CASES = sys.argv[2:]


def row(name, **fields):
    return {"name": name, "run_name": name, "run_type": "iteration", "real_time": 1000.0,
            "time_unit": "ns", **fields}


def bench(churn_provider=20000.0):
    rows = []
    for c in (1, 16, 256):
        rows.append(row(f"BM_Churn_Provider/{c}/iterations:4/real_time", conns_per_s=churn_provider))
        rows.append(row(f"BM_Churn_RawBlocking/{c}/iterations:4/real_time", conns_per_s=19000.0))
        rows.append(row(f"BM_Churn_RawUring/{c}/iterations:4/real_time", conns_per_s=18000.0))
    rows += [
        row("BM_DisconnectPaired_CloseSocket/iterations:1000/manual_time", provider_ns=6500.0,
            raw_ns=6400.0),
        row("BM_DisconnectPaired_SendDisconnect/iterations:1000/manual_time", provider_ns=4500.0,
            raw_ns=4400.0),
        row("BM_Disconnect_ProviderCloseSocket/iterations:1000/manual_time", allocs_per_op=0),
        row("BM_Disconnect_RawClose/iterations:1000/manual_time"),
        row("BM_Disconnect_ProviderSendDisconnect/iterations:1000/manual_time", allocs_per_op=0),
        row("BM_Disconnect_RawShutdownWr/iterations:1000/manual_time"),
        row("BM_Disconnect_ProviderSendDisconnectBusyPoll/iterations:1000/manual_time",
            real_time=200.0, allocs_per_op=0),
        row("BM_PingPong64_Provider/manual_time", p50_us=20.0, p99_us=30.0),
        row("BM_PingPong64_ProviderBusyPoll/manual_time", p50_us=9.0, p99_us=20.0),
        row("BM_PingPong64_RawBlockingPct/manual_time", p50_us=20.0, p99_us=30.0),
        row("BM_Stream64K_Provider/real_time", bytes_per_second=3e9),
        row("BM_Stream64K_RawBlocking/real_time", bytes_per_second=3e9),
        row("BM_UdpRate64_Provider/manual_time", items_per_second=5.5e5),
        row("BM_UdpRate64_RawBlocking/manual_time", items_per_second=5e5),
        row("BM_UdpRate64_RioDefer32/manual_time", items_per_second=1.2e6),
        row("BM_UdpRate64_RawMmsg32/manual_time", items_per_second=1e6),
        row("BM_UdpPingPong64_Provider/manual_time", p50_us=3.0, p99_us=6.0),
        row("BM_UdpPingPong64_RawBlocking/manual_time", p50_us=3.2, p99_us=4.0),
        row("BM_PingPong64_RioUring_Poll/real_time", items_per_second=3.3e4),
        row("BM_PingPong64_RioUring_PollOwner/real_time", items_per_second=3.4e4),
        row("BM_PingPong64_RioEpoll_Poll/real_time", items_per_second=3.2e4),
        row("BM_PingPong64_RioUring_Notify/real_time", items_per_second=2.6e4),
        row("BM_PingPong64_RawBlocking/real_time", items_per_second=2.5e4),
        row("BM_Stream64K_RioUring_Poll/real_time", bytes_per_second=4e9),
        row("BM_Stream64K_RioEpoll_Poll/real_time", bytes_per_second=4e9),
    ]
    return {"context": {"date": "2026-01-01", "num_cpus": 2, "library_build_type": "release"},
            "benchmarks": rows}


def load(ratio):
    runs = [{"transport": t, "connections_per_s": c,
             "latency_ns": {"round_trip": {"p50": 70000}}}
            for t, c in (("riosp", 3000 * ratio), ("bsd", 3000))]
    return {"runs": runs, "ratios": {"connections_per_s": ratio, "round_trip_p50": 1.0}}


def run(tmp, bench_doc, load_doc, *extra):
    paths = {}
    for name, doc in (("bench", bench_doc), ("epoll", bench_doc), ("load", load_doc)):
        paths[name] = os.path.join(tmp, name + ".json")
        with open(paths[name], "w") as f:
            json.dump(doc, f)
    proc = subprocess.run(
        [TOOL, paths["bench"], "--epoll", paths["epoll"], "--load", paths["load"],
         "--load-epoll", paths["load"], *extra],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=60)
    return proc.returncode, proc.stdout


def verdict(output, figure):
    for line in output.splitlines():
        if line.startswith("| " + figure):
            return line.rstrip(" |").rsplit("|", 1)[-1].strip()
    return None


def row_of(output, figure):
    return next((l for l in output.splitlines() if l.startswith("| " + figure)), "")


failures = []


def check(label, ok, output):
    if not ok:
        failures.append(f"{label}\n{output}")


def case_met():
    with tempfile.TemporaryDirectory() as tmp:
        rc, out = run(tmp, bench(), load(1.05), "--strict")
        check("a run meeting every target exits 0 with --strict", rc == 0, out)
        check("churn @16 passes", verdict(out, "churn @16 conns/s") == "PASS", out)
        check("riosp-load passes", verdict(out, "riosp-load conns/s / raw BSD (") == "PASS", out)
        # UDP figures: paired by name, ratio shown, judged against issue 14's targets.
        check("UDP rate paired", "| 1.1 " in row_of(out, "UDP datagrams/s / raw blocking"), out)
        check("UDP rate passes", verdict(out, "UDP datagrams/s / raw blocking") == "PASS", out)
        check("UDP batched vs per call", verdict(out, "RIOSendEx DEFER x32 datagrams/s / raw blocking") == "PASS", out)
        check("UDP p50 passes", verdict(out, "UDP ping-pong 64 B p50") == "PASS", out)
        check("UDP p99 is info", verdict(out, "UDP ping-pong 64 B p99") == "info", out)


def case_missed():
    with tempfile.TemporaryDirectory() as tmp:
        rc, out = run(tmp, bench(churn_provider=15000.0), load(0.8), "--strict")
        check("a missed target exits 1 with --strict", rc == 1, out)
        check("churn @16 is named", verdict(out, "churn @16 conns/s") == "MISS", out)
        check("riosp-load is named", verdict(out, "riosp-load conns/s / raw BSD (") == "MISS", out)
        rc, out = run(tmp, bench(churn_provider=15000.0), load(0.8))
        check("without --strict a miss exits 0", rc == 0, out)


def case_missing():
    with tempfile.TemporaryDirectory() as tmp:
        doc = bench()
        doc["benchmarks"] = [b for b in doc["benchmarks"] if "Stream64K" not in b["name"]]
        rc, out = run(tmp, doc, load(1.05), "--strict")
        check("a missing figure is MISSING", verdict(out, "stream 64 KiB") == "MISSING", out)
        check("and fails --strict", rc == 1, out)


ALL = {"met": case_met, "missed": case_missed, "missing": case_missing}
for name in CASES or ALL:
    ALL[name]()
if failures:
    print("\n\n".join(failures))
    sys.exit(1)
print("ok")
