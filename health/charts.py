"""Geometry for small server-rendered SVG charts (no JavaScript). Pure: no Django, no database."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date

PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 34, 8, 8, 18


@dataclass
class Chart:
    width: int
    height: int
    lines: list[dict] = field(default_factory=list)  # {"d", "css", "label", "dashed"}
    bars: list[dict] = field(default_factory=list)  # {"x", "y", "w", "h", "title"}
    y_ticks: list[dict] = field(default_factory=list)  # {"y", "label"}
    x_ticks: list[dict] = field(default_factory=list)  # {"x", "label"}
    guides: list[dict] = field(default_factory=list)  # {"y", "css", "label"}
    empty: bool = True
    # The numbers drawn, for the table that goes with the chart (WCAG 1.1.1): one row per day with a value.
    columns: list[str] = field(default_factory=list)  # the series' labels
    rows: list[dict] = field(default_factory=list)  # {"day": date, "values": [str per column, "—" for none]}

    @property
    def plot_left(self) -> int:
        return PAD_LEFT

    @property
    def plot_right(self) -> int:
        return self.width - PAD_RIGHT

    @property
    def plot_bottom(self) -> int:
        return self.height - PAD_BOTTOM


def nice_max(value: float) -> float:
    """A round axis maximum at or above ``value`` (1, 2, 2.5, 5 x 10^n)."""
    if value <= 0 or math.isnan(value):
        return 1.0
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def _fmt(value: float) -> str:
    if value >= 1000:
        return f"{value / 1000:.0f}k" if value % 1000 == 0 else f"{value / 1000:.1f}k"
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def _frame(days: list[date], width: int, height: int, y_max: float) -> tuple[Chart, callable, callable]:
    chart = Chart(width=width, height=height)
    inner_w = width - PAD_LEFT - PAD_RIGHT
    inner_h = height - PAD_TOP - PAD_BOTTOM
    count = max(len(days) - 1, 1)

    def x_at(i: int) -> float:
        return round(PAD_LEFT + inner_w * i / count, 1)

    def y_at(v: float) -> float:
        return round(PAD_TOP + inner_h * (1 - min(max(v / y_max, 0.0), 1.0)), 1)

    for fraction in (0, 0.5, 1):
        chart.y_ticks.append({"y": y_at(y_max * fraction), "label": _fmt(y_max * fraction)})
    if days:
        for i in sorted({0, len(days) // 2, len(days) - 1}):
            chart.x_ticks.append({"x": x_at(i), "label": days[i].strftime("%b %-d")})
    return chart, x_at, y_at


def line_chart(
    days: list[date], series: list[dict], *, width: int = 640, height: int = 150, y_max: float | None = None
) -> Chart:
    """Lines for ``series`` ``[{"label", "values": [float | None per day], "css", "dashed"}]``; a gap
    (None) breaks the line."""
    peak = max((v for s in series for v in s["values"] if v is not None), default=0.0)
    chart, x_at, y_at = _frame(days, width, height, y_max or nice_max(peak * 1.05))
    for item in series:
        commands, pen_down = [], False
        for i, value in enumerate(item["values"]):
            if value is None:
                pen_down = False
                continue
            commands.append(f"{'L' if pen_down else 'M'}{x_at(i)} {y_at(value)}")
            pen_down = True
        if commands:
            chart.empty = False
            chart.lines.append({"d": " ".join(commands), "css": item.get("css", ""), "label": item["label"],
                                "dashed": item.get("dashed", False)})
    _tabulate(chart, days, [item["label"] for item in series], [item["values"] for item in series])
    return chart


def _tabulate(chart: Chart, days: list[date], labels: list[str], columns: list[list[float | None]]) -> None:
    chart.columns = list(labels)
    for i, day in enumerate(days):
        values = [column[i] if i < len(column) else None for column in columns]
        if any(v is not None for v in values):
            chart.rows.append({"day": day, "values": ["—" if v is None else _cell(v) for v in values]})


def _cell(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def bar_chart(days: list[date], values: list[float | None], *, label: str, width: int = 640, height: int = 110) -> Chart:
    peak = max((v for v in values if v is not None), default=0.0)
    chart, x_at, y_at = _frame(days, width, height, nice_max(peak * 1.05))
    slot = (width - PAD_LEFT - PAD_RIGHT) / max(len(days), 1)
    for i, value in enumerate(values):
        if value is None:
            continue
        chart.empty = False
        top = y_at(value)
        chart.bars.append({"x": round(x_at(i) - slot * 0.4, 1), "y": top, "w": round(max(slot * 0.8, 1), 1),
                           "h": round(chart.plot_bottom - top, 1),
                           "title": f"{days[i]:%Y-%m-%d}: {_fmt(value)} {label}"})
    _tabulate(chart, days, [label[:1].upper() + label[1:]], [values])
    return chart


def score_chart(days: list[date], scores: list[float | None], bands: list[dict], *, width: int = 640,
                height: int = 120) -> Chart:
    """The health score over time on a fixed 0-100 axis, with each band's threshold as a guide."""
    chart = line_chart(days, [{"label": "Health score", "values": scores, "css": "score"}], width=width,
                       height=height, y_max=100)
    inner_h = height - PAD_TOP - PAD_BOTTOM
    for band in bands:
        if band["min_score"] > 0:
            y = round(PAD_TOP + inner_h * (1 - band["min_score"] / 100), 1)
            chart.guides.append({"y": y, "css": band.get("colour") or "grey", "label": band["label"]})
    return chart
