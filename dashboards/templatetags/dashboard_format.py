"""Formatting for the dashboards: durations in minutes, percentages that may be missing."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def minutes(value) -> str:
    """45 -> "45 min", 150 -> "2.5 h", 4320 -> "3 d"; None -> "—"."""
    if value is None or value == "":
        return "—"
    value = float(value)
    if value < 60:
        return f"{value:.0f} min"
    if value < 2880:
        return f"{value / 60:.1f} h"
    return f"{value / 1440:.1f} d"


@register.filter
def pct(value) -> str:
    return "—" if value is None else f"{value:.1f}%"
