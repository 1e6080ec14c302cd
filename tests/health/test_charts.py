"""health/charts.py alone: SVG geometry for the account page's charts."""

from __future__ import annotations

from datetime import date, timedelta

from health.charts import bar_chart, line_chart, nice_max, score_chart

DAYS = [date(2026, 1, 1) + timedelta(days=i) for i in range(5)]


def test_nice_axis_maximum():
    assert [nice_max(v) for v in (0, 0.7, 3, 7, 12, 240, 999)] == [1.0, 1.0, 5, 10, 20, 250, 1000]


def test_lines_break_on_gaps_and_stay_inside_the_plot():
    chart = line_chart(DAYS, [{"label": "Active", "values": [1, 2, None, 4, 5], "css": "active"}], width=200, height=100)
    d = chart.lines[0]["d"]
    assert d.count("M") == 2 and d.count("L") == 2
    assert not chart.empty
    assert [t["label"] for t in chart.y_ticks] == ["0", "5", "10"]
    assert [t["label"] for t in chart.x_ticks] == ["Jan 1", "Jan 3", "Jan 5"]


def test_empty_series_make_an_empty_chart():
    assert line_chart(DAYS, [{"label": "x", "values": [None] * 5}]).empty
    assert bar_chart(DAYS, [None] * 5, label="logins").empty


def test_bars_and_score_guides():
    bars = bar_chart(DAYS, [0, 10, None, 5, 20], label="logins", width=200, height=100)
    assert len(bars.bars) == 4 and all(b["h"] >= 0 for b in bars.bars)
    assert bars.bars[-1]["title"] == "2026-01-05: 20 logins"
    chart = score_chart(DAYS, [50, 60, 70, None, 90], [{"key": "g", "label": "Green", "min_score": 80, "colour": "green"},
                                                      {"key": "r", "label": "Red", "min_score": 0, "colour": "red"}])
    assert [g["label"] for g in chart.guides] == ["Green"]
    assert chart.y_ticks[-1]["label"] == "100"
