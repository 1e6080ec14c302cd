"""The transparent "needs attention today" score of a CSM's book (pure: no database). Each signal adds fixed
points and names itself, so the page can show why an account is where it is:

* in the bottom health band: 3
* health falling (10 points or more below its score 30 days ago): 2
* an open renewal ending within 90 days: 2, plus 1 when its forecast is at risk
* overdue open tasks (CTAs): 1 each, at most 3
* open Sev1/Sev2 tickets: 2
* an NPS detractor in the last 90 days: 2
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

FALLING_POINTS = Decimal("10")
MAX_OVERDUE_POINTS = 3


@dataclass
class AttentionRow:
    account_id: int
    name: str
    arr: Decimal
    health_score: Decimal | None
    health_status: str | None
    score: int = 0
    reasons: list[tuple[str, int]] = field(default_factory=list)
    urgent_tickets: int = 0  # open Sev1/2 tickets (the page links them to the queue)


def assess(row: dict, *, today: date, bottom_band: str | None) -> AttentionRow:
    """One account's points and reasons from the signals ``book_selectors.attention_rows`` reads."""
    out = AttentionRow(account_id=row["id"], name=row["name"], arr=row["arr"], health_score=row["health_score"],
                       health_status=row["health_status"])

    def add(reason: str, points: int) -> None:
        out.reasons.append((reason, points))
        out.score += points

    if bottom_band and row["health_status"] == bottom_band:
        add("health in the bottom band", 3)
    now, before = row["health_score"], row["earlier_score"]
    if now is not None and before is not None and before - now >= FALLING_POINTS:
        add(f"health fell {before - now:.0f} points in 30 days", 2)
    if row["renewal_end"] is not None:
        days = (row["renewal_end"] - today).days
        add("renewal overdue" if days < 0 else f"renewal in {days} days", 2)
        if row["renewal_at_risk"]:
            add("renewal forecast at risk", 1)
    if row["overdue"]:
        add(f"{row['overdue']} overdue task{'s' if row['overdue'] != 1 else ''}", min(row["overdue"], MAX_OVERDUE_POINTS))
    if row["urgent_tickets"]:
        out.urgent_tickets = row["urgent_tickets"]
        add(f"{row['urgent_tickets']} open Sev1/2 ticket{'s' if row['urgent_tickets'] != 1 else ''}", 2)
    if row["detractor"]:
        add("NPS detractor in the last 90 days", 2)
    return out


def rank(rows: list[AttentionRow]) -> list[AttentionRow]:
    return sorted(rows, key=lambda r: (-r.score, -r.arr, r.name))
