"""Onboarding metrics (pure, no Django): each plan's schedule status and the board's figures.

Definitions (what the board and the health source show):

* **late**: an active plan with at least one unfinished task past its due date (due before today),
  or whose target go-live date has passed without go-live.
* **at risk**: an active plan that is not late but has a blocked task, or a task not yet started
  that is due within ``AT_RISK_HORIZON_DAYS`` (today or tomorrow).
* **on track**: every other active plan. Completed plans are **done**; cancelled plans are left out
  of every figure.
* **operational by week 8**: among plans whose outcome is known, the share that went live within
  their first 8 weeks (go-live date less than 56 days after the start). A plan's outcome is known once
  it went live, or once 56 days have passed since its start; younger plans not yet live are left out.
  Handbook target (RAG Fortress): 95%.
* **time to first value**: days from a plan's start date to its first value (the tenant's local
  date); the board shows the median and the mean (one decimal) over plans that reached first value.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from onboarding.gantt import WEEK_8_DAYS

ON_TRACK, AT_RISK, LATE, DONE = "on_track", "at_risk", "late", "done"
SCHEDULE_LABELS = {ON_TRACK: "On track", AT_RISK: "At risk", LATE: "Late", DONE: "Done"}
AT_RISK_HORIZON_DAYS = 1


@dataclass(frozen=True)
class PlanFacts:
    """What metrics need to know about one plan (selectors fill it from one aggregate query)."""

    status: str  # active | completed | cancelled
    start_date: date
    target_go_live_date: date | None = None
    go_live_date: date | None = None
    time_to_value_days: int | None = None
    overdue_tasks: int = 0
    blocked_tasks: int = 0
    due_soon_unstarted_tasks: int = 0


def schedule_status(plan: PlanFacts, today: date) -> str:
    """on_track | at_risk | late | done (see the module docstring)."""
    if plan.status == "completed":
        return DONE
    if plan.overdue_tasks > 0:
        return LATE
    if plan.go_live_date is None and plan.target_go_live_date is not None and plan.target_go_live_date < today:
        return LATE
    if plan.blocked_tasks > 0 or plan.due_soon_unstarted_tasks > 0:
        return AT_RISK
    return ON_TRACK


def schedule_score(status: str) -> float | None:
    """A 0-100 score for health scorecards: on track 100, at risk 50, late 0, done 100."""
    return {ON_TRACK: 100.0, AT_RISK: 50.0, LATE: 0.0, DONE: 100.0}.get(status)


def operational_by_week_8(plans: Iterable[PlanFacts], today: date) -> dict:
    """{"operational", "eligible", "share"}: share in percent with one decimal, None with no eligible plan."""
    operational = eligible = 0
    for plan in plans:
        if plan.status == "cancelled":
            continue
        live_in_time = plan.go_live_date is not None and (plan.go_live_date - plan.start_date).days < WEEK_8_DAYS
        known = plan.go_live_date is not None or (today - plan.start_date).days >= WEEK_8_DAYS
        if not known:
            continue
        eligible += 1
        operational += live_in_time
    share = round(operational * 100 / eligible, 1) if eligible else None
    return {"operational": operational, "eligible": eligible, "share": share}


def time_to_value_summary(days: Iterable[int | None]) -> dict:
    """{"count", "median", "mean"} over the known times to first value (days)."""
    values = sorted(d for d in days if d is not None)
    if not values:
        return {"count": 0, "median": None, "mean": None}
    median = statistics.median(values)
    return {
        "count": len(values),
        "median": int(median) if float(median).is_integer() else round(median, 1),
        "mean": round(statistics.fmean(values), 1),
    }


def board_metrics(plans: Iterable[PlanFacts], today: date) -> dict:
    """Everything the board's metric tiles show, from every plan of the tenant."""
    plans = [p for p in plans if p.status != "cancelled"]
    counts = {ON_TRACK: 0, AT_RISK: 0, LATE: 0, DONE: 0}
    for plan in plans:
        counts[schedule_status(plan, today)] += 1
    return {
        "active": counts[ON_TRACK] + counts[AT_RISK] + counts[LATE],
        "on_track": counts[ON_TRACK],
        "at_risk": counts[AT_RISK],
        "late": counts[LATE],
        "completed": counts[DONE],
        "operational_by_week_8": operational_by_week_8(plans, today),
        "time_to_value": time_to_value_summary(p.time_to_value_days for p in plans),
    }
