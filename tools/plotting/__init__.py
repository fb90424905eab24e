"""tools/plot's charts: common.py (matplotlib, saving), load_charts.py (riosp-load --json),
gate_chart.py (tools/perf-gate's verdicts)."""
