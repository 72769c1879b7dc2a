#!/usr/bin/env python3
"""Draws docs/benchmarks.svg from herald-bench's JSON lines.

Usage: scripts/bench-chart.py results.jsonl > docs/benchmarks.svg

Each input line is one JSON object as herald-bench prints it last (lines that
are not JSON are skipped). The chart has two panels: deliveries per second of
each scenario on each engine, and publish-to-receipt latency (p50 and p99) of
the latency and isolation runs. Only the standard library is used.
"""

import json
import sys
from html import escape

WIDTH, ROW, LEFT = 760, 26, 220
COLOURS = {"sqlite": "#0a4fb4", "postgres": "#0f6b2f"}


def bars(title, rows, unit, top_y):
    """A horizontal bar panel: rows are (label, engine, value)."""
    peak = max((v for _, _, v in rows), default=1) or 1
    out = [f'<text x="10" y="{top_y}" font-size="15" font-weight="700">{escape(title)}</text>']
    y = top_y + 14
    for label, engine, value in rows:
        width = (WIDTH - LEFT - 90) * value / peak
        out.append(f'<text x="{LEFT - 8}" y="{y + 15}" font-size="12" text-anchor="end">{escape(label)}</text>')
        out.append(
            f'<rect x="{LEFT}" y="{y + 3}" width="{width:.1f}" height="{ROW - 8}" fill="{COLOURS.get(engine, "#555")}"/>'
        )
        out.append(f'<text x="{LEFT + width + 6:.1f}" y="{y + 15}" font-size="12">{value:,.2f} {unit}</text>'.replace(".00 ", " "))
        y += ROW
    return out, y + 18


def main():
    runs = []
    for line in open(sys.argv[1], encoding="utf-8"):
        line = line.strip()
        if line.startswith("{"):
            runs.append(json.loads(line))
    rate_rows = [
        (f'{r["scenario"]} ({r["engine"]})', r["engine"], r["deliveries_per_s"])
        for r in runs
        if r.get("scenario") in ("throughput", "batch", "fanout", "backlog")
    ]
    latency_rows = []
    for r in runs:
        if r.get("scenario", "").startswith(("latency", "isolation")):
            for p in ("p50", "p99"):
                latency_rows.append((f'{r["scenario"]} {p} ({r["engine"]})', r["engine"], r["latency_ms"][p]))
    svg, y = bars("Deliveries per second (higher is better)", rate_rows, "/s", 24)
    more, y = bars("Publish-to-receipt latency (lower is better)", latency_rows, "ms", y + 10)
    svg += more
    legend = [
        f'<rect x="{LEFT + i * 120}" y="{y}" width="12" height="12" fill="{c}"/>'
        f'<text x="{LEFT + i * 120 + 18}" y="{y + 11}" font-size="12">{e}</text>'
        for i, (e, c) in enumerate(COLOURS.items())
    ]
    height = y + 30
    print(
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" '
        f'font-family="system-ui, sans-serif" role="img" aria-label="Herald benchmark figures">'
    )
    print(f'<rect width="{WIDTH}" height="{height}" fill="#fff"/>')
    print("\n".join(svg + legend))
    print("</svg>")


if __name__ == "__main__":
    main()
