"""The cap's window, three ways that must agree with the rule (a Python oracle): the ORM count the create
service uses, the grouped SQL behind capacity and the pool, and the account panel's one-query summary.
Hypothesis draws calls around the 365-day edges (to the microsecond), in every status."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from advocacy import reference_selectors
from advocacy.models import ReferenceRequest
from advocacy.reference_rules import CAP_WINDOW, can_move, cap_window, next_statuses, quarter_bounds
from tests.factories import AccountFactory, ContactFactory

T = datetime(2026, 6, 1, 12, tzinfo=UTC)
EDGE = st.sampled_from([-1, 0, 1])  # microseconds around an edge
OFFSETS = st.one_of(
    st.builds(lambda us: CAP_WINDOW + timedelta(microseconds=us), EDGE),  # about 365 days before
    st.builds(lambda us: timedelta(microseconds=us), EDGE),  # about the same instant (or just after)
    st.integers(min_value=-30, max_value=800).map(lambda d: timedelta(days=d)),
)
CALLS = st.lists(st.tuples(OFFSETS, st.sampled_from(["requested", "agreed", "declined", "completed"]),
                           st.sampled_from(["reference_call", "reference_call", "webinar"])), max_size=8)


def oracle(calls) -> int:
    start = T - timedelta(days=365)
    return sum(1 for offset, status, kind in calls
               if kind == "reference_call" and status != "declined" and start <= T - offset <= T)


@pytest.mark.django_db
@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(calls=CALLS)
def test_every_count_of_the_window_agrees_with_the_rule(in_tenant, calls):
    ReferenceRequest.objects.all().delete()
    account = AccountFactory(tenant=in_tenant)
    contact = ContactFactory(account=account)
    ReferenceRequest.objects.bulk_create([
        ReferenceRequest(tenant=in_tenant, account=account, contact=contact, kind=kind, status=status,
                         requested_at=T - offset, completed_at=T if status == "completed" else None)
        for offset, status, kind in calls
    ])
    expected = oracle(calls)
    assert reference_selectors.counted_calls(account_id=account.pk, at=T).count() == expected
    assert reference_selectors.calls_used([account.pk], at=T).get(account.pk, 0) == expected
    assert reference_selectors.calls_used(None, at=T).get(account.pk, 0) == expected
    assert reference_selectors.account_panel_summary(account_id=account.pk, at=T)["capacity"]["used"] == expected


def test_window_is_closed_at_both_ends():
    assert cap_window(T) == (T - timedelta(days=365), T)


@pytest.mark.parametrize(("current", "moves"), [
    ("requested", ["agreed", "declined"]), ("agreed", ["declined", "completed"]), ("declined", []), ("completed", []),
])
def test_transitions(current, moves):
    assert next_statuses(current) == moves
    assert all(can_move(current, m) for m in moves) and not can_move(current, current)


@given(st.dates(max_value=date(9999, 9, 30)))
def test_quarter_bounds_hold_the_day(day):
    start, end = quarter_bounds(day)
    assert start <= day < end and start.day == 1 and start.month in (1, 4, 7, 10)
    assert (end.month - start.month) % 12 == 3
