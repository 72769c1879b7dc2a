#!/usr/bin/env python3
"""Draws docs/mix.svg from herald-bench's mix runs and a soak's samples.

Usage: scripts/mix-chart.py mix.jsonl [soak-samples.jsonl] > docs/mix.svg

mix.jsonl holds herald-bench's JSON lines (lines that are not JSON, and lines
whose scenario is not "mix", are skipped). A line may carry a hand-added
"label"; otherwise the row is named from its rate, flaky share, dead endpoints
and engine. The first panel shows each run's p50, p90 and p99
publish-to-receipt latency on a log scale, with deliveries per second and the
peak WAL size beside it. If a soak's samples are given (one JSON object per
line with t_s, rss_mib, open_fds, database_mib, wal_mib, deliveries_per_s),
four small line charts follow. Only the standard library is used.
"""

import json
import math
import sys
from html import escape

WIDTH, LEFT, BAR_W, BAR_H = 760, 240, 290, 11
COLOURS = {"sqlite": "#0a4fb4", "postgres": "#0f6b2f"}
GREY = "#666"


def json_lines(path):
    for line in open(path, encoding="utf-8"):
        line = line.strip()
        if line.startswith("{"):
            try:
                yield json.loads(line)
            except json.JSONDecodeError:
                pass


def number(v):
    return f"{v:,.0f}" if abs(v) >= 100 or v == int(v) else f"{v:,.1f}" if abs(v) >= 10 else f"{v:,.2f}"


def label(run):
    if run.get("label"):
        return run["label"]
    c = run.get("context", {})
    parts = [f'{number(c.get("rate_per_s", 0))} events/s']
    if c.get("flaky_percent"):
        parts.append(f'{number(c["flaky_percent"])}% flaky')
    if c.get("dead"):
        parts.append(f'{c["dead"]} dead')
    return ", ".join(parts + [run.get("engine", "?")])


def mix_panel(runs, top_y):
    """Per run three log-scale bars (p50, p90, p99) and a column of totals."""
    values = [r["latency_ms"][p] for r in runs for p in ("p50", "p90", "p99") if r["latency_ms"].get(p, 0) > 0]
    lo = 10 ** math.floor(math.log10(min(values, default=1)))
    hi = 10 ** math.ceil(math.log10(max(values, default=10)))
    hi = hi * 10 if hi <= lo else hi
    span = math.log10(hi) - math.log10(lo)

    def length(v):
        return 0 if v <= lo else BAR_W * (math.log10(v) - math.log10(lo)) / span

    stats_x = LEFT + BAR_W + 90
    out = [
        f'<text x="10" y="{top_y}" font-size="15" font-weight="700">'
        "Mix: publish-to-receipt latency (lower is better)</text>",
        f'<text x="{stats_x}" y="{top_y + 22}" font-size="11" fill="{GREY}">deliveries/s · peak WAL</text>',
    ]
    y = top_y + 30
    group = 3 * (BAR_H + 2) + 12
    bottom = y + group * len(runs)
    decade = lo
    while decade <= hi:  # decade grid lines, labelled below the panel
        x = LEFT + length(decade) if decade > lo else LEFT
        out.append(f'<line x1="{x:.1f}" y1="{y - 4}" x2="{x:.1f}" y2="{bottom - 6}" stroke="#ddd"/>')
        out.append(f'<text x="{x:.1f}" y="{bottom + 6}" font-size="10" fill="{GREY}" text-anchor="middle">{number(decade)} ms</text>')
        decade *= 10
    for run in runs:
        colour = COLOURS.get(run.get("engine"), "#555")
        lines = [""]
        for part in label(run).split(", "):  # wrap long labels at commas, up to three lines
            if lines[-1] and len(lines[-1] + part) > 24:
                lines[-1] += ","
                lines.append(part)
            else:
                lines[-1] += (", " if lines[-1] else "") + part
        for i, text in enumerate(lines[:3]):
            ty = y + (i + 1.5 - len(lines[:3]) / 2) * (BAR_H + 2) + BAR_H - 1
            out.append(f'<text x="{LEFT - 34}" y="{ty:.0f}" font-size="12" text-anchor="end">{escape(text)}</text>')
        for i, p in enumerate(("p50", "p90", "p99")):
            v = run["latency_ms"].get(p, 0)
            by = y + i * (BAR_H + 2)
            w = length(v)
            out.append(f'<text x="{LEFT - 6}" y="{by + BAR_H - 2}" font-size="10" fill="{GREY}" text-anchor="end">{p}</text>')
            out.append(f'<rect x="{LEFT}" y="{by}" width="{w:.1f}" height="{BAR_H}" fill="{colour}" fill-opacity="{0.55 + 0.2 * i:.2f}"/>')
            out.append(f'<text x="{LEFT + w + 5:.1f}" y="{by + BAR_H - 1}" font-size="11">{number(v)} ms</text>')
        stats = f'{number(run.get("deliveries_per_s", 0))}/s'
        if run.get("peak_wal_mib") is not None:
            stats += f' · {number(run["peak_wal_mib"])} MiB'
        out.append(f'<text x="{stats_x}" y="{y + BAR_H + 11}" font-size="12">{stats}</text>')
        bad = [f"{run[k]} {k}" for k in ("lost", "duplicated") if run.get(k)]
        if bad:
            out.append(f'<text x="{stats_x}" y="{y + 2 * BAR_H + 15}" font-size="11" fill="#b00">{", ".join(bad)}</text>')
        y += group
    return out, bottom + 26


def line_chart(title, samples, series, x0, y0, w, h):
    """A small line chart over minutes; series are (key, colour, legend)."""
    points = [(s["t_s"] / 60, s[k]) for s in samples for k, _, _ in series if s.get(k) is not None]
    out = [f'<text x="{x0}" y="{y0}" font-size="13" font-weight="700">{escape(title)}</text>']
    if not points:
        return out
    tmin, tmax = min(p[0] for p in points), max(p[0] for p in points)
    vmin, vmax = min(0, *(p[1] for p in points)), max(p[1] for p in points)  # from 0: no false drama
    tspan, vspan = (tmax - tmin) or 1, (vmax - vmin) or 1
    left, top, right, bottom = x0 + 44, y0 + 10, x0 + w, y0 + 10 + h

    def xy(t, v):
        return f"{left + (right - left) * (t - tmin) / tspan:.1f},{bottom - h * (v - vmin) / vspan:.1f}"

    busy = [s["t_s"] / 60 for s in samples if s.get("publishing")]
    if busy:  # shade the span while events were being published
        bx, ex = (left + (right - left) * (t - tmin) / tspan for t in (min(busy), max(busy)))
        out.append(f'<rect x="{bx:.1f}" y="{top}" width="{ex - bx:.1f}" height="{h}" fill="#f2f2f2"/>')
    out.append(f'<rect x="{left}" y="{top}" width="{right - left}" height="{h}" fill="none" stroke="#ccc"/>')
    for v, y in ((vmax, top + 4), (vmin, bottom)):
        out.append(f'<text x="{left - 4}" y="{y}" font-size="10" fill="{GREY}" text-anchor="end">{number(v)}</text>')
    for t, anchor in ((tmin, "start"), (tmax, "end")):
        x = left if anchor == "start" else right
        out.append(f'<text x="{x}" y="{bottom + 12}" font-size="10" fill="{GREY}" text-anchor="{anchor}">{number(t)} min</text>')
    for i, (key, colour, name) in enumerate(series):
        pts = " ".join(xy(s["t_s"] / 60, s[key]) for s in samples if s.get(key) is not None)
        out.append(f'<polyline points="{pts}" fill="none" stroke="{colour}" stroke-width="1.5"/>')
        if len(series) > 1:
            lx = right - 80 * (len(series) - i)
            out.append(f'<rect x="{lx}" y="{y0 - 9}" width="10" height="3" fill="{colour}"/>')
            out.append(f'<text x="{lx + 14}" y="{y0}" font-size="11">{escape(name)}</text>')
    return out


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    runs = [r for r in json_lines(sys.argv[1]) if r.get("scenario") == "mix" and "latency_ms" in r]
    svg, y = mix_panel(runs, 24)
    svg += [
        f'<rect x="{LEFT + i * 120}" y="{y - 12}" width="12" height="12" fill="{c}"/>'
        f'<text x="{LEFT + i * 120 + 18}" y="{y - 1}" font-size="12">{e}</text>'
        for i, (e, c) in enumerate(COLOURS.items())
    ]
    y += 10
    if len(sys.argv) == 3:
        samples = sorted((s for s in json_lines(sys.argv[2]) if "t_s" in s), key=lambda s: s["t_s"])
        svg.append(f'<text x="10" y="{y + 16}" font-size="15" font-weight="700">Soak (grey: while publishing)</text>')
        y += 44
        w, h = (WIDTH - 30) // 2 - 10, 110
        charts = [
            ("RSS (MiB)", [("rss_mib", "#0a4fb4", "RSS")]),
            ("Open file descriptors", [("open_fds", "#7a3db8", "fds")]),
            ("Database and WAL (MiB)", [("database_mib", "#0a4fb4", "database"), ("wal_mib", "#c05a00", "WAL")]),
            ("Deliveries per second", [("deliveries_per_s", "#0f6b2f", "deliveries/s")]),
        ]
        for i, (title, series) in enumerate(charts):
            svg += line_chart(title, samples, series, 10 + (i % 2) * (w + 20), y + (i // 2) * (h + 50), w, h)
        y += 2 * (h + 50)
    height = y + 10
    print(
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" '
        f'font-family="system-ui, sans-serif" role="img" aria-label="Herald mixed-load latency and soak figures">'
    )
    print(f'<rect width="{WIDTH}" height="{height}" fill="#fff"/>')
    print("\n".join(svg))
    print("</svg>")


if __name__ == "__main__":
    main()
