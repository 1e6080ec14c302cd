"""On track / off track (dashboards.kpi_status) and the catalogue's formatting, alone (no database)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dashboards import kpi_catalogue
from dashboards.kpi_status import Comparator, Status, as_decimal, assess

D = Decimal
targets = st.decimals(min_value=-1000, max_value=1000, places=2, allow_nan=False, allow_infinity=False)
steps = st.decimals(min_value=D("0.01"), max_value=500, places=2, allow_nan=False, allow_infinity=False)


@given(target=targets)
def test_exactly_at_target_is_on_track_both_ways(target):
    for comparator in Comparator:
        assert assess(target, comparator=comparator, target=target).status is Status.ON_TRACK
        assert assess(target, comparator=comparator, target=target).gap == 0


@given(target=targets, step=steps)
def test_at_least_and_at_most_are_mirror_images(target, step):
    above, below = target + step, target - step
    assert assess(above, comparator="at_least", target=target).status is Status.ON_TRACK
    assert assess(below, comparator="at_least", target=target).status is Status.OFF_TRACK
    assert assess(below, comparator="at_most", target=target).status is Status.ON_TRACK
    assert assess(above, comparator="at_most", target=target).status is Status.OFF_TRACK
    assert assess(below, comparator="at_least", target=target).gap == -step


@given(target=targets, comparator=st.sampled_from(list(Comparator)))
def test_no_actual_is_no_data_never_off_track(target, comparator):
    result = assess(None, comparator=comparator, target=target)
    assert result.status is Status.NO_DATA and result.gap is None


@given(value=st.floats(min_value=-1e6, max_value=1e6, allow_nan=False), target=targets)
def test_floats_compare_by_their_printed_value(value, target):
    """A float actual (e.g. a median of 4.5 days) is compared as the number it prints as, not its binary
    expansion: 4.5 against 4.5 is exactly on target."""
    expected = D(repr(value)) >= target
    assert (assess(value, comparator="at_least", target=target).status is Status.ON_TRACK) is expected


@pytest.mark.parametrize("value", [float("nan"), float("inf"), D("NaN"), True, "abc"])
def test_unusable_actuals_are_no_data(value):
    assert as_decimal(value) is None
    assert assess(value, comparator="at_least", target=D("1")).status is Status.NO_DATA


def test_a_csat_of_4_49_is_off_a_4_5_target_and_4_50_on():
    assert assess(D("4.49"), comparator="at_least", target=D("4.5")).status is Status.OFF_TRACK
    assert assess(D("4.50"), comparator="at_least", target=D("4.5")).status is Status.ON_TRACK
    assert assess(30.5, comparator="at_most", target=D("30")).status is Status.OFF_TRACK


@pytest.mark.parametrize(("value", "unit", "text"), [
    (D("115"), "percent", "115.0%"), (D("4.5"), "rating", "4.50 / 5"), (D("30.00"), "days", "30 days"),
    (1, "days", "1 day"), (D("25.5"), "days", "25.5 days"), (D("3.25"), "hours", "3.2 h"), (D("-12"), "nps", "-12.0"),
    (None, "percent", "no data"),
])
def test_format_value(value, unit, text):
    assert kpi_catalogue.format_value(value, unit) == text


def test_every_kpi_has_a_known_source_and_sensible_bounds():
    from dashboards.kpi_selectors import SOURCES

    for kpi in kpi_catalogue.KPIS:
        assert kpi.source in SOURCES and kpi.low < kpi.high and kpi.label
    assert len(kpi_catalogue.BY_KEY) == len(kpi_catalogue.KPIS)
    assert {"nrr", "grr", "logo_retention", "avg_health", "share_green", "share_at_risk", "time_to_value_days",
            "operational_by_week_8", "feature_adoption_90d", "csat", "nps"} <= set(kpi_catalogue.BY_KEY)
