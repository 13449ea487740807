"""The geometry of the report charts, drawn as inline SVG by ``templates/reports/_charts.html``.

Server-rendered SVG: no script, no dependency, nothing the CSP (``style-src 'self'``) refuses
(only presentation attributes, no ``style``), no animation, and the drawing has its final size
before it loads (``viewBox`` with width and height: no layout shift). Each chart has a
``<title>`` and a ``<desc>``; its numbers are in the table under it, which is what a screen
reader reads. A series is told apart by its colour *and* its pattern (bars) or its dash and
marker (lines), and the legend names it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from flask_babel import format_decimal

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 14, 40  # the plot's margins (axis labels, legend space)
# Colours readable on white (contrast ≥ 3:1 for graphics), each with its own pattern.
PALETTE = ("#1f5fbf", "#b3261e", "#1e7d47", "#a35c00", "#6a3d9a", "#0f6b73", "#5d6677")
PATTERNS = ("solid", "stripes", "dots", "cross", "back", "grid", "dash")


@dataclass
class Series:
    key: str
    label: str
    colour: str
    pattern: str


@dataclass
class Rect:
    x: float
    y: float
    width: float
    height: float
    series: int
    text: str  # what it shows, e.g. "quality, week from 3 Nov: 4"


@dataclass
class Tick:
    position: float
    text: str


@dataclass
class Chart:
    id: str
    title: str
    description: str
    width: int = WIDTH
    height: int = HEIGHT
    series: list[Series] = field(default_factory=list)
    rects: list[Rect] = field(default_factory=list)
    lines: list[dict] = field(default_factory=list)  # {"series", "points", "markers"}
    x_ticks: list[Tick] = field(default_factory=list)
    y_ticks: list[Tick] = field(default_factory=list)
    labels: list[dict] = field(default_factory=list)  # values written on bars
    empty: bool = False

    @property
    def plot_bottom(self) -> float:
        return self.height - BOTTOM

    @property
    def plot_left(self) -> float:
        return LEFT

    @property
    def plot_right(self) -> float:
        return self.width - RIGHT


def _series(keys_and_labels) -> list[Series]:
    return [
        Series(key, str(label), PALETTE[n % len(PALETTE)], PATTERNS[n % len(PATTERNS)])
        for n, (key, label) in enumerate(keys_and_labels)
    ]


def _nice_max(value: float) -> float:
    """The axis top: 1, 2, 2.5 or 5 times a power of ten, at least the largest value."""
    if value <= 0:
        return 1
    power = 10 ** (len(str(int(value))) - 1) if value >= 1 else 1
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power


def _count_top(value: float) -> int:
    """A count axis's top: four equal whole steps (0, 2, 4, 6, 8; never 2.5 complaints)."""
    return 4 * max(1, math.ceil(_nice_max(value / 4)))


def _y(value: float, top: float, chart: Chart) -> float:
    return chart.plot_bottom - (value / top) * (chart.plot_bottom - TOP)


def _y_ticks(chart: Chart, top: float, fmt) -> None:
    chart.y_ticks = [Tick(_y(top * n / 4, top, chart), fmt(top * n / 4)) for n in range(5)]


def _slots(chart: Chart, count: int) -> tuple[float, float]:
    """The x of the first slot's centre and the slot width."""
    width = (chart.plot_right - chart.plot_left) / max(count, 1)
    return chart.plot_left + width / 2, width


def stacked_bars(chart_id, title, description, x_labels, keys, labels, counts, value_text) -> Chart:
    """Bars per x slot, stacked by key: ``counts[key][slot]``."""
    chart = Chart(chart_id, title, description)
    chart.series = _series((k, labels.get(k, k)) for k in keys)
    totals = [sum(counts[k][n] for k in keys) for n in range(len(x_labels))]
    top = _count_top(max(totals, default=0))
    chart.empty = not any(totals)
    _y_ticks(chart, top, format_decimal)
    centre, slot = _slots(chart, len(x_labels))
    bar = min(slot * 0.6, 56)
    for n, x_label in enumerate(x_labels):
        x = centre + n * slot
        chart.x_ticks.append(Tick(x, x_label))
        base = 0
        for s, key in enumerate(keys):
            value = counts[key][n]
            if not value:
                continue
            y_top = _y(base + value, top, chart)
            chart.rects.append(
                Rect(
                    x - bar / 2,
                    y_top,
                    bar,
                    _y(base, top, chart) - y_top,
                    s,
                    value_text(chart.series[s].label, x_label, value),
                )
            )
            base += value
        if totals[n]:
            chart.labels.append({"x": x, "y": _y(totals[n], top, chart) - 4, "text": totals[n]})
    return chart


def bars(chart_id, title, description, x_labels, values, *, top=None, fmt=str) -> Chart:
    """One bar per x slot (None: no bar), the value written above it."""
    chart = Chart(chart_id, title, description)
    chart.series = _series([("value", title)])
    known = [v for v in values if v is not None]
    top = top or _nice_max(max(known, default=0))
    chart.empty = not known
    _y_ticks(chart, top, fmt)
    centre, slot = _slots(chart, len(x_labels))
    bar = min(slot * 0.6, 56)
    for n, (x_label, value) in enumerate(zip(x_labels, values, strict=True)):
        x = centre + n * slot
        chart.x_ticks.append(Tick(x, x_label))
        if value is None:
            continue
        y_top = _y(value, top, chart)
        chart.rects.append(
            Rect(x - bar / 2, y_top, bar, chart.plot_bottom - y_top, 0, f"{x_label}: {fmt(value)}")
        )
        chart.labels.append({"x": x, "y": y_top - 4, "text": fmt(value)})
    return chart


def lines(chart_id, title, description, x_labels, series, *, top, fmt) -> Chart:
    """Lines over the x slots: ``series`` is ``[(key, label, values)]``; a None value breaks
    the line (a week without calls)."""
    chart = Chart(chart_id, title, description)
    chart.series = _series((key, label) for key, label, _ in series)
    _y_ticks(chart, top, fmt)
    centre, slot = _slots(chart, len(x_labels))
    chart.x_ticks = [Tick(centre + n * slot, label) for n, label in enumerate(x_labels)]
    chart.empty = all(v is None for _, _, values in series for v in values)
    for s, (_, label, values) in enumerate(series):
        runs, run, markers = [], [], []
        for n, value in enumerate(values):
            if value is None:
                if run:
                    runs.append(run)
                run = []
                continue
            point = (round(centre + n * slot, 1), round(_y(value, top, chart), 1))
            run.append(point)
            markers.append(
                {"x": point[0], "y": point[1], "text": f"{label}, {x_labels[n]}: {fmt(value)}"}
            )
        if run:
            runs.append(run)
        chart.lines.append(
            {
                "series": s,
                "paths": [" ".join(f"{x},{y}" for x, y in r) for r in runs],
                "markers": markers,
            }
        )
    return chart


def funnel(chart_id, title, description, steps) -> Chart:
    """Horizontal bars, widest first: ``steps`` is ``[(label, count, text)]``."""
    row = 30
    chart = Chart(chart_id, title, description, height=TOP + row * len(steps) + 8)
    chart.series = _series([("value", title)])
    widest = max((count for _, count, _ in steps), default=0) or 1
    left, right = 180, chart.width - 150
    chart.empty = not any(count for _, count, _ in steps)
    for n, (label, count, text) in enumerate(steps):
        y = TOP + n * row
        width = (right - left) * count / widest
        chart.rects.append(Rect(left, y, max(width, 1 if count else 0), row - 8, 0, text))
        chart.labels.append({"x": left - 8, "y": y + row / 2, "text": label, "anchor": "end"})
        chart.labels.append(
            {"x": left + width + 8, "y": y + row / 2, "text": text, "anchor": "start"}
        )
    return chart
