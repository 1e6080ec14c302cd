"""The reference program's pure rules (no database): the cap's window, status transitions, quarters.

The yearly cap (API.md): a ``reference_call`` request is refused when the account already has the cap of
reference calls that were not declined, requested in the 365 days before the new request's
``requested_at``. The window is closed at both ends: a call requested exactly 365 days before counts (it
was requested 365 days before, so within "the 365 days before"), one a microsecond earlier does not; a
call requested at the same instant as the new one counts too. Calls requested after the new request's
``requested_at`` (a back-dated request) are not in its window.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from advocacy.models.references import CaseStudyStage, ReferenceStatus

CAP_WINDOW = timedelta(days=365)

# Where a request may go from each status. Declined and completed are final.
TRANSITIONS: dict[str, frozenset[str]] = {
    ReferenceStatus.REQUESTED: frozenset({ReferenceStatus.AGREED, ReferenceStatus.DECLINED}),
    ReferenceStatus.AGREED: frozenset({ReferenceStatus.COMPLETED, ReferenceStatus.DECLINED}),
    ReferenceStatus.DECLINED: frozenset(),
    ReferenceStatus.COMPLETED: frozenset(),
}

CASE_STUDY_ORDER = list(CaseStudyStage.values)


def cap_window(requested_at: datetime) -> tuple[datetime, datetime]:
    """The instants ``(start, end)``, both included, whose reference calls count against a request."""
    return requested_at - CAP_WINDOW, requested_at


def can_move(current: str, target: str) -> bool:
    return target in TRANSITIONS.get(current, frozenset())


def next_statuses(current: str) -> list[str]:
    """The statuses a request may move to next, in the order of ``ReferenceStatus``."""
    allowed = TRANSITIONS.get(current, frozenset())
    return [s for s in ReferenceStatus.values if s in allowed]


def remaining(cap: int, used: int) -> int:
    return max(cap - used, 0)


def quarter_bounds(day: date) -> tuple[date, date]:
    """The first day of ``day``'s quarter and the first day of the next one."""
    first_month = 3 * ((day.month - 1) // 3) + 1
    start = date(day.year, first_month, 1)
    end = date(day.year + 1, 1, 1) if first_month == 10 else date(day.year, first_month + 3, 1)
    return start, end


def progress_percent(done: int, target: int) -> int | None:
    """Whole percent of a target reached (may pass 100); None without a target."""
    if target <= 0:
        return None
    return round(100 * done / target)
