"""riosp-load --json drawn: the run second by second and its latency distributions.

Top row: connections/s (udp: datagrams/s) and received MB/s over the run, one line per
transport (riosp, then the baseline). Bottom row: one CDF per latency riosp-load measures
(round trip; tcp also connection and connect), on a log time axis, one line per transport.
Every figure comes from the JSON's own series (runs[].per_second, runs[].latency_ns.*.buckets),
so the chart shows exactly what the file holds.
"""

from plotting.common import BASELINE, RIOSP

LATENCIES = {  # key in latency_ns -> panel title
    "round_trip": "round trip",
    "connection": "connection (connect to close)",
    "connect": "connect",
}


def style(index):
    """riosp solid in its colour; the baseline (and any further run) dashed in grey."""
    return {"color": RIOSP, "linestyle": "-"} if index == 0 else \
        {"color": BASELINE, "linestyle": "--"}


def rates(series, key):
    """Step coordinates of the per-second rate: each interval's count over its own length,
    held from its start to its end. The last interval ends with the run; shorter than half a
    second it is folded into the one before it (a few connections over 20 ms is no rate)."""
    intervals, start = [], 0.0
    for end, added in zip(series["end_s"], series[key]):
        if intervals and end - start < 0.5 and end == series["end_s"][-1]:
            first, _, count = intervals.pop()
            intervals.append((first, end, count + added))
        elif end > start:
            intervals.append((start, end, added))
        start = end
    if not intervals:
        return [], []
    # A step line "pre": each y holds from the x before it, so the first rate appears twice.
    xs = [intervals[0][0]] + [end for _, end, _ in intervals]
    ys = [count / (end - first) for first, end, count in intervals]
    return xs, ys[:1] + ys


def cdf(buckets):
    """(microseconds, cumulative fraction) from [[ns, samples], ...]."""
    total = sum(samples for _, samples in buckets)
    xs, ys, seen = [], [], 0
    for ns, samples in buckets:
        seen += samples
        xs.append(max(ns, 1) / 1e3)
        ys.append(seen / total)
    return xs, ys


def title(data):
    protocol = data["protocol"]
    parts = [f"riosp-load {protocol}", data["role"]]
    if protocol == "udp":
        parts.append(f"{data['flows']} flows, window {data['window']}")
    else:
        parts.append(f"{data['pattern']}, shutdown {data['shutdown']}")
    parts.append(f"concurrency {data['concurrency']}, {data['message_size']} B messages")
    text = ", ".join(parts)
    ratios = data.get("ratios")
    if ratios:
        rate_key = "datagrams_per_s" if protocol == "udp" else "connections_per_s"
        shown = [(rate_key.replace("_per_s", "/s"), ratios.get(rate_key)),
                 ("round-trip p50", ratios.get("round_trip_p50"))]
        runs = data["runs"]
        over = f"{runs[0]['transport']}/{runs[1]['transport']}"
        text += "\n" + over + ": " + ", ".join(
            f"{name} {value:.2f}" for name, value in shown if value is not None)
    return text


def draw(plt, data):
    runs = data["runs"]
    if not runs:
        raise ValueError("no runs")
    udp = data["protocol"] == "udp"
    done_key = "datagrams" if udp else "connections"
    latencies = [k for k in LATENCIES if k in runs[0]["latency_ns"]]

    fig = plt.figure(figsize=(12, 7.5))
    # Two panels on top, up to three below: a 6-column grid holds both rows evenly.
    grid = fig.add_gridspec(2, 6, hspace=0.35, wspace=0.9)
    top = [fig.add_subplot(grid[0, 0:3]), fig.add_subplot(grid[0, 3:6])]
    width = 6 // len(latencies)
    bottom = [fig.add_subplot(grid[1, i * width:(i + 1) * width]) for i in range(len(latencies))]

    for index, run in enumerate(runs):
        label = run["transport"]
        series = run["per_second"]
        xs, ys = rates(series, done_key)
        top[0].step(xs, ys, where="pre", label=label, **style(index))
        xs, ys = rates(series, "bytes_received")
        top[1].step(xs, [y / 1e6 for y in ys], where="pre", label=label, **style(index))
        for ax, key in zip(bottom, latencies):
            buckets = run["latency_ns"][key]["buckets"]
            if buckets:
                xs, ys = cdf(buckets)
                p50 = run["latency_ns"][key]["p50"] / 1e3
                ax.step(xs, ys, where="post", label=f"{label} (p50 {p50:.0f} µs)",
                        **style(index))

    top[0].set_title(f"{done_key} per second")
    top[0].set_ylabel(f"{done_key}/s")
    top[1].set_title("bytes received per second")
    top[1].set_ylabel("MB/s")
    for ax in top:
        ax.set_xlabel("seconds into the run")
        ax.set_xlim(left=0)
        ax.set_ylim(bottom=0)
        ax.grid(True, alpha=0.3)
        ax.legend(loc="lower right", fontsize="small")
    for ax, key in zip(bottom, latencies):
        ax.set_title(LATENCIES[key], fontsize="medium")
        ax.set_xscale("log")
        ax.set_xlabel("µs (log)")
        ax.set_ylim(0, 1.01)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(loc="lower right", fontsize="x-small")
    bottom[0].set_ylabel("fraction of samples ≤ x")
    fig.suptitle(title(data), fontsize="medium")
    return fig
