"""The NPS and CSAT arithmetic at its edges (hypothesis against exact fractions)."""

from __future__ import annotations

import math as pymath
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from advocacy import nps as math


def _half_away(value: Fraction, places: int) -> Decimal:
    scaled = abs(value) * 10**places
    rounded = pymath.floor(scaled + Fraction(1, 2))
    sign = -1 if value < 0 else 1
    return Decimal(sign * rounded) / Decimal(10**places)


counts = st.tuples(st.integers(0, 5000), st.integers(0, 5000), st.integers(0, 5000))


@given(counts)
def test_nps_is_percent_promoters_minus_percent_detractors_rounded_half_away_from_zero(c):
    promoters, passives, detractors = c
    n = promoters + passives + detractors
    result = math.nps(math.NpsCounts(n, promoters, passives, detractors))
    if n == 0:
        assert result is None
        return
    exact = Fraction(promoters - detractors, n) * 100
    assert result == _half_away(exact, 1)
    assert Decimal(-100) <= result <= Decimal(100)
    assert result.as_tuple().exponent == -1
    # The mirror image (promoters and detractors swapped) has the opposite NPS exactly.
    assert math.nps(math.NpsCounts(n, detractors, passives, promoters)) == -result


@pytest.mark.parametrize(
    ("promoters", "passives", "detractors", "expected"),
    [
        (1, 0, 0, "100.0"), (0, 0, 1, "-100.0"), (0, 1, 0, "0.0"), (1, 0, 1, "0.0"),
        # 1/8 = 12.5% exactly: the half case at one decimal rounds away from zero.
        (1, 7, 0, "12.5"), (0, 7, 1, "-12.5"),
        # 1/16 = 6.25%: 6.3 and -6.3 (not banker's 6.2).
        (1, 15, 0, "6.3"), (0, 15, 1, "-6.3"),
        # 1/3 = 33.333...% and 2/3 = 66.666...%
        (1, 2, 0, "33.3"), (2, 1, 0, "66.7"), (0, 1, 2, "-66.7"),
        # 3/80 = 3.75% -> 3.8
        (3, 77, 0, "3.8"),
    ],
)
def test_nps_boundaries(promoters, passives, detractors, expected):
    n = promoters + passives + detractors
    assert math.nps(math.NpsCounts(n, promoters, passives, detractors)) == Decimal(expected)


def test_no_responses_is_null_not_zero():
    assert math.nps_result(math.NpsCounts()) == {"responses": 0, "promoters": 0, "passives": 0, "detractors": 0, "nps": None}
    assert math.csat_result(math.CsatCounts()) == {"responses": 0, "average": None, "satisfied": None}
    assert math.response_rate(0, 0) is None


def test_inconsistent_counts_are_refused():
    with pytest.raises(ValueError):
        math.nps(math.NpsCounts(3, 1, 1, 0))
    with pytest.raises(ValueError):
        math.csat_result(math.CsatCounts(2, 8, 3))


@given(st.lists(st.integers(1, 5), max_size=400))
def test_csat_average_two_decimals_and_satisfied_share(scores):
    counts = math.CsatCounts(len(scores), sum(scores), sum(1 for s in scores if s >= 4))
    result = math.csat_result(counts)
    if not scores:
        assert result["average"] is None and result["satisfied"] is None
        return
    assert result["average"] == _half_away(Fraction(sum(scores), len(scores)), 2)
    assert Decimal(1) <= result["average"] <= Decimal(5)
    assert result["satisfied"] == _half_away(Fraction(counts.satisfied * 100, len(scores)), 1)


@pytest.mark.parametrize(
    ("scores", "average", "satisfied"),
    [
        ([4, 5], "4.50", "100.0"), ([1, 2, 2], "1.67", "0.0"), ([3, 4, 4], "3.67", "66.7"),
        # 8 answers summing 29: 3.625 -> 3.63 (half up), 5 of 8 satisfied: 62.5%; 1 of 8: 12.5%.
        ([4, 3, 3, 3, 4, 4, 4, 4], "3.63", "62.5"), ([5, 3, 3, 3, 3, 3, 3, 3], "3.25", "12.5"),
        ([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 4], "1.19", "6.3"),
    ],
)
def test_csat_boundaries(scores, average, satisfied):
    counts = math.CsatCounts(len(scores), sum(scores), sum(1 for s in scores if s >= 4))
    assert math.csat_result(counts) == {"responses": len(scores), "average": Decimal(average), "satisfied": Decimal(satisfied)}


@given(st.integers(0, 10_000), st.integers(0, 10_000))
def test_response_rate(answered, sent):
    answered = min(answered, sent)
    rate = math.response_rate(answered, sent)
    if sent == 0:
        assert rate is None
    else:
        assert rate == _half_away(Fraction(answered * 100, sent), 1)


@pytest.mark.parametrize(("kind", "score", "alert"), [
    ("nps", 0, True), ("nps", 6, True), ("nps", 7, False), ("nps", 10, False),
    ("csat", 1, True), ("csat", 2, True), ("csat", 3, False), ("csat", 5, False),
])
def test_which_responses_alert_the_csm(kind, score, alert):
    assert math.is_alert(kind, score) is alert
