"""The refresh services against hand-computed aggregates, their idempotence and their constant query count."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dashboards.histograms import BUCKETS
from dashboards.models import DashboardRefresh, PortfolioDay, SupportDay
from dashboards.refresh import PORTFOLIO_BACKFILL_DAYS, refresh_all, refresh_portfolio, refresh_support
from tenancy.context import tenant_context
from tests.dashboards.conftest import NOW, at, set_ticket
from tests.factories import AccountFactory, TicketFactory

pytestmark = pytest.mark.django_db

SUPPORT_FIELDS = ("day", "segment", "severity", "engineer_id", "opened", "resolved", "escalated", "response_met",
                  "response_breached", "resolution_met", "resolution_breached", "response_hist", "resolution_hist")


def hist(**buckets) -> list[int]:
    counts = [0] * BUCKETS
    for key, n in buckets.items():
        counts[int(key[1:])] = n
    return counts


def support_rows(tenant) -> list[tuple]:
    with tenant_context(tenant):
        return sorted(SupportDay.objects.values_list(*SUPPORT_FIELDS), key=lambda r: (r[0], r[1], r[2]))


def test_support_day_matches_the_hand_computed_rows(tenant, other_tenant, engineer, support_history):
    result = refresh_support(tenant=tenant)
    e = engineer.pk
    assert support_rows(tenant) == [
        # T4: resolved on 1 March, 173,340 minutes after it opened (last bucket), resolution breached.
        (date(2026, 3, 1), "smb", 3, None, 0, 1, 0, 0, 0, 0, 1, hist(), hist(b17=1)),
        # T1 opened, answered in 30 min (bucket 5: 16-32) and resolved in 240 min (bucket 8: 128-256), both met;
        # T2 opened.
        (date(2026, 3, 9), "enterprise", 1, e, 2, 1, 0, 1, 0, 1, 0, hist(b5=1), hist(b8=1)),
        # T2 escalated at midnight and answered late at 01:00 (120 min: bucket 7).
        (date(2026, 3, 10), "enterprise", 1, e, 0, 0, 1, 0, 1, 0, 0, hist(b7=1), hist()),
        # T3 opened, unanswered past its 09:00 due instant.
        (date(2026, 3, 10), "smb", 3, None, 1, 0, 0, 0, 1, 0, 0, hist(), hist()),
    ]
    assert result.rows == 4
    assert support_rows(other_tenant) == []  # globex's ticket is globex's, and only refreshed for globex
    with tenant_context(tenant):
        fresh = DashboardRefresh.objects.get(kind="support")
    assert (fresh.refreshed_at, fresh.rows) == (NOW, 4)


def test_support_refresh_is_idempotent_and_rewrites_only_its_window(tenant, support_history):
    with tenant_context(tenant):
        SupportDay.objects.create(day=date(2026, 3, 5), segment="smb", severity=4, opened=99)  # stale: in the window
        SupportDay.objects.create(day=date(2025, 12, 10), segment="smb", severity=4, opened=7)  # before it: kept
    refresh_support(tenant=tenant)
    first = support_rows(tenant)
    refresh_support(tenant=tenant)
    assert support_rows(tenant) == first
    assert [row[0] for row in first] == [date(2025, 12, 10), date(2026, 3, 1), date(2026, 3, 9), date(2026, 3, 10),
                                         date(2026, 3, 10)]


def test_support_refresh_follows_a_change(tenant, support_history):
    refresh_support(tenant=tenant)
    t3 = support_history["tickets"][2]
    set_ticket(t3, first_response_at=at("2026-03-10 08:20"), response_state="met", status="open")
    refresh_support(tenant=tenant)
    row = [r for r in support_rows(tenant) if r[1] == "smb" and r[0] == date(2026, 3, 10)][0]
    assert (row[7], row[8], row[11]) == (1, 0, hist(b5=1))  # met now, answered in 20 minutes


def _queries(fn) -> int:
    with CaptureQueriesContext(connection) as captured:
        fn()
    return len(captured)


@pytest.mark.parametrize("full", [True, False])
def test_refresh_query_count_is_constant(tenant, support_history, portfolio_history, full):
    for _ in range(2):  # the first ever (no history, no observations) and the next (the observations due)
        refresh_all(tenant=tenant, full=full)
    small = _queries(lambda: refresh_all(tenant=tenant, full=full))
    for i in range(15):
        account = AccountFactory(tenant=tenant, segment="mid_market", arr=Decimal(1000 + i))
        TicketFactory(account=account, severity=1 + i % 4)
    # 17 statements + savepoint pairs, the retention's 8 statements + 1 pair, two freshness checks (and the full
    # run's observations: 4 statements + 1 pair)
    assert _queries(lambda: refresh_all(tenant=tenant, full=full)) == small <= (36 if full else 31)


PORTFOLIO_FIELDS = ("day", "segment", "csm_id", "band", "accounts", "arr", "scored_accounts", "score_sum")


def portfolio_rows(tenant) -> list[tuple]:
    with tenant_context(tenant):
        return sorted(PortfolioDay.objects.values_list(*PORTFOLIO_FIELDS), key=lambda r: (r[0], r[1], r[3]))


def test_portfolio_day_today_and_history(tenant, portfolio_history):
    csm = portfolio_history["csm"].pk
    refresh_portfolio(tenant=tenant, history_days=3)
    assert portfolio_rows(tenant) == [
        # 7 March: only Gone Co had a snapshot; churned, but changed (churned) after that day.
        (date(2026, 3, 7), "smb", None, "red", 1, Decimal("5000.00"), 1, Decimal("20.0")),
        (date(2026, 3, 8), "enterprise", csm, "yellow", 1, Decimal("100000.00"), 1, Decimal("60.0")),
        (date(2026, 3, 8), "smb", None, "red", 1, Decimal("5000.00"), 1, Decimal("20.0")),
        # 9 March: Gone Co churned that day (not counted any more); Small Co's first snapshot.
        (date(2026, 3, 9), "enterprise", csm, "green", 1, Decimal("100000.00"), 1, Decimal("82.0")),
        (date(2026, 3, 9), "smb", None, "red", 1, Decimal("20000.00"), 1, Decimal("30.0")),
        # Today: the accounts as they are (active only).
        (date(2026, 3, 10), "enterprise", csm, "green", 1, Decimal("100000.00"), 1, Decimal("85.0")),
        (date(2026, 3, 10), "smb", None, "red", 1, Decimal("20000.00"), 1, Decimal("30.0")),
    ]


def test_portfolio_refresh_is_idempotent_and_keeps_past_days(tenant, portfolio_history):
    refresh_portfolio(tenant=tenant, history_days=3)
    first = portfolio_rows(tenant)
    refresh_portfolio(tenant=tenant, history_days=3)
    assert portfolio_rows(tenant) == first
    with tenant_context(tenant):  # the live figures move: today's rows follow, the past stays as it was
        from accounts.models import Account

        Account.objects.filter(pk=portfolio_history["b"].pk).update(health_status="yellow", health_score=55)
    refresh_portfolio(tenant=tenant, history_days=3)
    rows = portfolio_rows(tenant)
    assert rows[:5] == first[:5]
    assert rows[6] == (date(2026, 3, 10), "smb", None, "yellow", 1, Decimal("20000.00"), 1, Decimal("55.0"))


def test_the_first_ever_refresh_leaves_the_portfolio_history_to_the_next_runs(tenant, portfolio_history):
    first = refresh_all(tenant=tenant)
    assert first["portfolio"]["backfill_days"] == 0 and "validation" not in first
    assert {row[0] for row in portfolio_rows(tenant)} == {date(2026, 3, 10)}
    second = refresh_all(tenant=tenant)  # not full (the first was, today) but the observations are still due
    assert second["portfolio"]["backfill_days"] == PORTFOLIO_BACKFILL_DAYS and "validation" in second
    assert "validation" not in refresh_all(tenant=tenant)
    # 3 to 9 March asked for; the accounts' first snapshots are of the 7th
    assert sorted({row[0] for row in portfolio_rows(tenant)}) == [date(2026, 3, d) for d in (7, 8, 9, 10)]


def test_refresh_all_records_both_kinds(tenant, support_history):
    outcome = refresh_all(tenant=tenant)
    assert set(outcome) == {"portfolio", "support", "retention"}  # the first ever: no observations yet
    assert outcome["support"]["rows"] == 4 and outcome["retention"]["as_of"] == "2026-03-10"
    with tenant_context(tenant):
        assert sorted(DashboardRefresh.objects.values_list("kind", flat=True)) == ["portfolio", "support",
                                                                                   "support_full"]


def test_top_accounts_by_tickets(tenant, support_history):
    from dashboards.models import SupportTopAccount

    refresh_support(tenant=tenant)
    ent, smb = support_history["ent"].pk, support_history["smb"].pk
    with tenant_context(tenant):
        rows = sorted(SupportTopAccount.objects.values_list("period_days", "segment", "rank", "account_id", "tickets"))
    expected = []
    for days in (7, 30, 90):  # T4 opened in November: in no period
        expected += [(days, "", 1, ent, 2), (days, "", 2, smb, 1), (days, "enterprise", 1, ent, 2), (days, "smb", 1, smb, 1)]
    assert rows == sorted(expected)
    refresh_support(tenant=tenant)
    with tenant_context(tenant):
        assert SupportTopAccount.objects.count() == 12  # rewritten, not added to


def test_period_rollups_sum_the_days(tenant, engineer, support_history):
    from dashboards.models import SupportPeriod

    refresh_support(tenant=tenant)
    fields = ("period_days", "end_day", "segment", "severity", "engineer_id", "opened", "resolved", "response_met",
              "response_breached", "resolution_met", "resolution_breached", "response_hist", "resolution_hist")
    with tenant_context(tenant):
        rows = sorted(SupportPeriod.objects.values_list(*fields), key=lambda r: (r[0], r[2], r[3]))
    today, e = date(2026, 3, 10), engineer.pk
    ent = (today, "enterprise", 1, e, 2, 1, 1, 1, 1, 0, hist(b5=1, b7=1), hist(b8=1))  # 9 and 10 March together
    assert rows == [
        (7, *ent), (7, today, "smb", 3, None, 1, 0, 0, 1, 0, 0, hist(), hist()),
        (30, *ent), (30, today, "smb", 3, None, 1, 1, 0, 1, 0, 1, hist(), hist(b17=1)),  # T4 resolved on 1 March
        (90, *ent), (90, today, "smb", 3, None, 1, 1, 0, 1, 0, 1, hist(), hist(b17=1)),
    ]


def test_portfolio_history_is_backfilled_a_few_days_per_run(tenant, portfolio_history):
    refresh_portfolio(tenant=tenant, history_days=3, backfill_days=2)
    assert sorted({row[0] for row in portfolio_rows(tenant)}) == [date(2026, 3, 8), date(2026, 3, 9), date(2026, 3, 10)]
    refresh_portfolio(tenant=tenant, history_days=3, backfill_days=2)  # the rest on the next run
    assert sorted({row[0] for row in portfolio_rows(tenant)})[0] == date(2026, 3, 7)
    first_pass = portfolio_rows(tenant)
    with tenant_context(tenant):
        PortfolioDay.objects.all().delete()
    refresh_portfolio(tenant=tenant, history_days=3)  # all at once: the same rows
    assert portfolio_rows(tenant) == first_pass


def test_a_refresh_that_changes_nothing_writes_nothing(tenant, support_history):
    refresh_support(tenant=tenant)
    with tenant_context(tenant):
        before = dict(SupportDay.objects.values_list("id", "day"))
    refresh_support(tenant=tenant)
    with tenant_context(tenant):
        assert dict(SupportDay.objects.values_list("id", "day")) == before  # the same rows, not rewritten copies
    set_ticket(support_history["tickets"][2], first_response_at=at("2026-03-10 08:20"), response_state="met")
    refresh_support(tenant=tenant)
    with tenant_context(tenant):
        after = dict(SupportDay.objects.values_list("id", "day"))
    assert len(after) == 4 and len(set(after) & set(before)) == 3  # only T3's day row was replaced


def test_the_first_refresh_of_the_day_is_full_the_next_ones_rewrite_the_last_days(tenant, engineer, support_history):
    assert refresh_all(tenant=tenant)["support"]["days"] == 90
    t1 = support_history["tickets"][0]
    set_ticket(t1, assignee=None)  # reassigned: its 9 March events now belong to nobody
    assert refresh_all(tenant=tenant)["support"]["days"] == 2  # 9 and 10 March only
    rows = support_rows(tenant)
    assert {(r[0], r[3], r[4]) for r in rows if r[1] == "enterprise"} == {  # T1 now unassigned; T2 still Erin's
        (date(2026, 3, 9), None, 1), (date(2026, 3, 9), engineer.pk, 1), (date(2026, 3, 10), engineer.pk, 0)}
    set_ticket(support_history["tickets"][3], assignee=engineer)  # T4: its 1 March resolution, outside 2 days
    refresh_all(tenant=tenant)
    assert [r[3] for r in support_rows(tenant) if r[0] == date(2026, 3, 1)] == [None]  # not yet...
    refresh_all(tenant=tenant, full=True)
    assert [r[3] for r in support_rows(tenant) if r[0] == date(2026, 3, 1)] == [engineer.pk]  # ...the full run does
    with time_machine.travel(datetime(2026, 3, 11, 0, 5, tzinfo=UTC), tick=False):
        assert refresh_all(tenant=tenant)["support"]["days"] == 90  # a new day: full again
