"""The statistics chart, drawn on the server as SVG: no script, no style attributes, no chart library.

A cumulative chart: for every time t (log scale, 1 s to 1 h), the share of the month's alerts that
were delivered / acknowledged within t, with BS 8484's alarm-centre figures (80 % within 10 s and
98.5 % within 40 s) marked as reference points. The page puts the same figures in a table beside it."""

from __future__ import annotations

import math

from markupsafe import Markup, escape

WIDTH, HEIGHT = 360, 210
LEFT, RIGHT, TOP, BOTTOM = 42, 14, 12, 26
X_MIN, X_MAX = 1.0, 3600.0
TICKS = ((1, "1 s"), (10, "10 s"), (40, "40 s"), (120, "2 min"), (600, "10 min"), (3600, "1 t"))
REFERENCES = ((10, 0.8), (40, 0.985))


def _x(seconds: float) -> float:
    clamped = min(max(seconds, X_MIN), X_MAX)
    span = math.log10(X_MAX) - math.log10(X_MIN)
    return LEFT + (WIDTH - LEFT - RIGHT) * (math.log10(clamped) - math.log10(X_MIN)) / span


def _y(share: float) -> float:
    return TOP + (HEIGHT - TOP - BOTTOM) * (1 - share)


def _steps(values: list[float]) -> str:
    """The cumulative share as a staircase polyline: flat until each value, then a step up."""
    n = len(values)
    points = [(_x(X_MIN), _y(0))]
    for i, value in enumerate(sorted(values), start=1):
        x = _x(value)
        points += [(x, _y((i - 1) / n)), (x, _y(i / n))]
    points.append((_x(X_MAX), _y(1 if n else 0)))
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in points)


def cumulative_chart(series: list[tuple[str, str, list[float]]], *, title: str, description: str,
                     hour_label: str, reference_label: str, chart_id: str = "alert-chart") -> Markup:
    """`series`: (css class, label, values in seconds). Accessible: a title and a description name the
    chart for screen readers; the page shows the legend and the numbers in a table beside it."""
    ticks = [(s, hour_label if s == 3600 else label) for s, label in TICKS]
    parts = [
        f'<svg class="stats-chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>',
    ]
    for share in (0, 0.5, 0.8, 1):
        y = _y(share)
        parts.append(f'<line class="chart-grid" x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}"/>')
        parts.append(f'<text class="chart-tick chart-tick-y" x="{LEFT - 6}" y="{y + 3.5:.1f}">{round(share * 100)} %</text>')
    for seconds, label in ticks:
        x = _x(seconds)
        parts.append(f'<line class="chart-grid" x1="{x:.1f}" y1="{TOP}" x2="{x:.1f}" y2="{HEIGHT - BOTTOM}"/>')
        parts.append(f'<text class="chart-tick" x="{x:.1f}" y="{HEIGHT - BOTTOM + 14}">{escape(label)}</text>')
    for css, _label, values in series:
        if values:
            parts.append(f'<polyline class="chart-line {css}" points="{_steps(values)}"/>')
    for seconds, share in REFERENCES:
        x, y = _x(seconds), _y(share)
        parts.append(f'<path class="chart-ref" d="M{x:.1f},{y - 5:.1f} l5,5 l-5,5 l-5,-5 z">'
                     f'<title>{escape(reference_label)}: {share * 100:g} % / {seconds} s</title></path>')
    parts.append("</svg>")
    return Markup("".join(parts))
