"""NPS and CSAT arithmetic (API.md "Surveys and advocacy"). Pure: no database.

* NPS over ``responses`` NPS answers of which ``promoters`` scored 9-10 and ``detractors`` 0-6:
  ``% promoters - % detractors`` = ``(promoters - detractors) * 100 / responses``, one decimal.
* CSAT over ``responses`` 1-5 answers summing to ``total``: ``average`` = total / responses with two
  decimals; ``satisfied`` = the share of 4s and 5s in percent, one decimal.
* Response rate: the share (percent, one decimal) of the surveys sent in the window that were answered.

Rounding is half away from zero on the exact value (Decimal ``ROUND_HALF_UP``): 12.25 -> 12.3 and
-12.25 -> -12.3, so an NPS and its mirror image differ only in sign.
The empty case: no responses (or nothing sent, for the rate) gives ``None`` (``null`` in the API), never 0:
"no answers" is not "as many detractors as promoters".

Health sources give the raw values (latest NPS answer 0-10, CSAT average 1-5); their default mappings
put them on 0-100 linearly (0 -> 0, 10 -> 100; 1 -> 0, 5 -> 100).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

ONE_DECIMAL = Decimal("0.1")
TWO_DECIMALS = Decimal("0.01")

PROMOTER_MIN, PASSIVE_MIN = 9, 7  # 9-10 promoters, 7-8 passives, 0-6 detractors
CSAT_SATISFIED_MIN = 4  # 4s and 5s
CSAT_ALERT_MAX = 2  # a CSAT of 1-2 opens a CTA, as a detractor does
DETRACTOR_MAX = PASSIVE_MIN - 1


def _round(value: Decimal, places: Decimal) -> Decimal:
    return value.quantize(places, rounding=ROUND_HALF_UP)


def percent(numerator: int, denominator: int) -> Decimal | None:
    """``numerator / denominator`` in percent with one decimal; None when the denominator is 0."""
    if not denominator:
        return None
    return _round(Decimal(numerator) * 100 / Decimal(denominator), ONE_DECIMAL)


@dataclass(frozen=True)
class NpsCounts:
    responses: int = 0
    promoters: int = 0
    passives: int = 0
    detractors: int = 0


@dataclass(frozen=True)
class CsatCounts:
    responses: int = 0
    total: int = 0  # sum of the scores
    satisfied: int = 0  # 4s and 5s


def nps(counts: NpsCounts) -> Decimal | None:
    if counts.promoters + counts.passives + counts.detractors != counts.responses:
        raise ValueError("promoters + passives + detractors must equal responses")
    if not counts.responses:
        return None
    return _round(Decimal(counts.promoters - counts.detractors) * 100 / Decimal(counts.responses), ONE_DECIMAL)


def nps_result(counts: NpsCounts) -> dict:
    """API.md's NPS body."""
    return {
        "responses": counts.responses, "promoters": counts.promoters, "passives": counts.passives,
        "detractors": counts.detractors, "nps": nps(counts),
    }


def csat_average(counts: CsatCounts) -> Decimal | None:
    if not counts.responses:
        return None
    return _round(Decimal(counts.total) / Decimal(counts.responses), TWO_DECIMALS)


def csat_result(counts: CsatCounts) -> dict:
    """API.md's CSAT body."""
    if not 0 <= counts.satisfied <= counts.responses:
        raise ValueError("satisfied must be between 0 and responses")
    return {
        "responses": counts.responses, "average": csat_average(counts),
        "satisfied": percent(counts.satisfied, counts.responses),
    }


def response_rate(answered: int, sent: int) -> Decimal | None:
    """Percent of the surveys sent that were answered; None when none were sent."""
    return percent(answered, sent)


def is_alert(kind: str, score: int) -> bool:
    """Whether a response opens a CTA for the CSM: an NPS detractor (0-6) or a CSAT of 1-2."""
    return score <= (DETRACTOR_MAX if kind == "nps" else CSAT_ALERT_MAX)

