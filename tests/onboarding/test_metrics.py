"""Board metrics on known data (pure, no database)."""

from datetime import date, timedelta

from onboarding.metrics import (
    AT_RISK,
    DONE,
    LATE,
    ON_TRACK,
    PlanFacts,
    board_metrics,
    operational_by_week_8,
    schedule_score,
    schedule_status,
    time_to_value_summary,
)

TODAY = date(2026, 6, 1)


def facts(start_days_ago: int, **kw) -> PlanFacts:
    kw.setdefault("status", "active")
    start = TODAY - timedelta(days=start_days_ago)
    kw.setdefault("target_go_live_date", start + timedelta(days=42))
    return PlanFacts(start_date=start, **kw)


def test_schedule_status_definitions():
    assert schedule_status(facts(10), TODAY) == ON_TRACK
    assert schedule_status(facts(10, overdue_tasks=1), TODAY) == LATE
    assert schedule_status(facts(10, blocked_tasks=1), TODAY) == AT_RISK
    assert schedule_status(facts(10, due_soon_unstarted_tasks=2), TODAY) == AT_RISK
    # target go-live passed without go-live: late even with no overdue task
    assert schedule_status(facts(50), TODAY) == LATE
    assert schedule_status(facts(50, go_live_date=TODAY - timedelta(days=9)), TODAY) == ON_TRACK
    assert schedule_status(facts(50, status="completed", overdue_tasks=3), TODAY) == DONE


def test_schedule_scores():
    assert [schedule_score(s) for s in (ON_TRACK, AT_RISK, LATE, DONE)] == [100, 50, 0, 100]


def test_operational_by_week_8_counts_only_known_outcomes():
    plans = [
        facts(100, go_live_date=TODAY - timedelta(days=100 - 40)),  # live on day 40: yes
        facts(100, go_live_date=TODAY - timedelta(days=100 - 56)),  # live on day 56 (week 9): no
        facts(70),  # day 70, never live: no
        facts(30, go_live_date=TODAY - timedelta(days=5)),  # live on day 25, young: yes (known)
        facts(30),  # young and not live: unknown, left out
        facts(200, status="cancelled"),  # left out
    ]
    assert operational_by_week_8(plans, TODAY) == {"operational": 2, "eligible": 4, "share": 50.0}
    assert operational_by_week_8([facts(3)], TODAY) == {"operational": 0, "eligible": 0, "share": None}


def test_operational_boundary_is_day_55():
    start = TODAY - timedelta(days=80)
    on_day_55 = PlanFacts(status="completed", start_date=start, go_live_date=start + timedelta(days=55))
    on_day_56 = PlanFacts(status="completed", start_date=start, go_live_date=start + timedelta(days=56))
    assert operational_by_week_8([on_day_55], TODAY)["share"] == 100.0
    assert operational_by_week_8([on_day_56], TODAY)["share"] == 0.0


def test_time_to_value_median_and_mean():
    assert time_to_value_summary([]) == {"count": 0, "median": None, "mean": None}
    assert time_to_value_summary([10, None, 30, 20]) == {"count": 3, "median": 20, "mean": 20.0}
    assert time_to_value_summary([1, 2, 4, 10]) == {"count": 4, "median": 3, "mean": 4.2}
    assert time_to_value_summary([1, 2]) == {"count": 2, "median": 1.5, "mean": 1.5}


def test_board_metrics_on_known_portfolio():
    plans = [
        facts(10),  # on track
        facts(12, blocked_tasks=1),  # at risk
        facts(20, overdue_tasks=2, time_to_value_days=15),  # late
        facts(90, status="completed", go_live_date=TODAY - timedelta(days=45), time_to_value_days=30),
        facts(90, status="cancelled", time_to_value_days=99),  # ignored everywhere
    ]
    result = board_metrics(plans, TODAY)
    assert result["active"] == 3
    assert (result["on_track"], result["at_risk"], result["late"], result["completed"]) == (1, 1, 1, 1)
    assert result["operational_by_week_8"] == {"operational": 1, "eligible": 1, "share": 100.0}
    assert result["time_to_value"] == {"count": 2, "median": 22.5, "mean": 22.5}
