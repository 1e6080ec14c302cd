"""Geometry of the retention report's trend chart: NRR and GRR (percent) by month as two lines over a
100% guide, drawn server-side as inline SVG (no JavaScript). Pure: no Django, no database.

The axis spans the values with a margin, in steps of 10 points, and always shows 100%.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal

LEFT, RIGHT, TOP, BOTTOM = 44, 12, 10, 22
STEP = 10


@dataclass
class TrendChart:
    width: int
    height: int
    y_min: int
    y_max: int
    lines: list[dict] = field(default_factory=list)  # {"key", "label", "d", "points": [{"x", "y", "title"}]}
    y_ticks: list[dict] = field(default_factory=list)  # {"y", "label"}
    x_ticks: list[dict] = field(default_factory=list)  # {"x", "label"}
    guide_y: float | None = None  # the 100% line
    empty: bool = True

    @property
    def plot_left(self) -> int:
        return LEFT

    @property
    def plot_right(self) -> int:
        return self.width - RIGHT

    @property
    def label_y(self) -> int:
        return self.height - 6


def axis_bounds(values: list[float]) -> tuple[int, int]:
    """Round bounds (multiples of 10) around the values and 100, with at least 5 points of margin."""
    low = min([*values, 100.0]) - 5
    high = max([*values, 100.0]) + 5
    return int(math.floor(low / STEP) * STEP), int(math.ceil(high / STEP) * STEP)


def trend_chart(months: list[str], series: list[dict], *, width: int = 1000, height: int = 260) -> TrendChart:
    """``months``: "YYYY-MM" labels; ``series``: ``[{"key", "label", "values": [Decimal | None per month]}]``.
    A month without a value (no starting ARR) breaks its line."""
    values = [float(v) for s in series for v in s["values"] if v is not None]
    y_min, y_max = axis_bounds(values)
    chart = TrendChart(width=width, height=height, y_min=y_min, y_max=y_max)
    inner_w, inner_h = width - LEFT - RIGHT, height - TOP - BOTTOM
    slots = max(len(months) - 1, 1)

    def x_at(i: int) -> float:
        return round(LEFT + inner_w * (i / slots if len(months) > 1 else 0.5), 1)

    def y_at(v: float) -> float:
        return round(TOP + inner_h * (1 - (v - y_min) / (y_max - y_min)), 1)

    span = y_max - y_min
    tick_step = STEP if span <= 60 else STEP * math.ceil(span / 60)
    for tick in range(y_min, y_max + 1, tick_step):
        chart.y_ticks.append({"y": y_at(tick), "label": f"{tick}%"})
    chart.guide_y = y_at(100)
    for i, month in enumerate(months):
        chart.x_ticks.append({"x": x_at(i), "label": _month_label(month)})
    for item in series:
        commands, points, pen_down = [], [], False
        for i, value in enumerate(item["values"]):
            if value is None:
                pen_down = False
                continue
            x, y = x_at(i), y_at(float(value))
            commands.append(f"{'L' if pen_down else 'M'}{x} {y}")
            points.append({"x": x, "y": y, "title": f"{item['label']} {_month_label(months[i])}: {_pct(value)}"})
            pen_down = True
        if commands:
            chart.empty = False
        chart.lines.append({"key": item["key"], "label": item["label"], "d": " ".join(commands), "points": points})
    return chart


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _month_label(month: str) -> str:
    year, number = month.split("-")
    return f"{_MONTHS[int(number) - 1]} {year[2:]}"


def _pct(value: Decimal | float) -> str:
    return f"{Decimal(str(value)):.1f}%"
