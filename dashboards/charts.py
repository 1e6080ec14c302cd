"""Horizontal bar charts for the dashboards (pure: no Django, no database), drawn inline as SVG by
``dashboards/_bars.html`` in the house style of ``health.charts`` (whose line chart the dashboards reuse),
with the same numbers in a table beside them."""

from __future__ import annotations

from dataclasses import dataclass, field

from health.charts import nice_max

LABEL_W, VALUE_W, ROW_H, GAP, PAD = 150, 64, 18, 6, 4


@dataclass
class BarChart:
    width: int
    height: int
    bars: list[dict] = field(default_factory=list)  # {"y", "w", "label", "value", "title", "css"}
    label_x: int = LABEL_W - 6
    bar_x: int = LABEL_W
    value_pad: int = 4
    empty: bool = True


def bar_rows(rows: list[dict], *, unit: str = "", width: int = 640, x_max: float | None = None) -> BarChart:
    """One bar per ``{"label", "value", "css"?, "text"?}`` (``text``: the value as printed, default the number);
    a value of None is drawn as no bar and printed "—"."""
    values = [r["value"] for r in rows if r["value"] is not None]
    top = x_max or nice_max(max(values, default=0.0))
    inner = width - LABEL_W - VALUE_W
    chart = BarChart(width=width, height=PAD * 2 + len(rows) * (ROW_H + GAP))
    for i, row in enumerate(rows):
        value = row["value"]
        text = row.get("text") or ("—" if value is None else f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}")
        w = 0.0 if value is None else round(max(inner * min(value / top, 1.0), 0.0), 1)
        chart.empty = chart.empty and not value
        chart.bars.append({"y": PAD + i * (ROW_H + GAP), "w": w, "label": row["label"], "value": text,
                           "css": row.get("css", ""), "title": f"{row['label']}: {text}{unit}",
                           "value_x": round(LABEL_W + w + 4, 1)})
    return chart
