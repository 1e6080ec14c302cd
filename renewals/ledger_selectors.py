"""Reads of the ARR ledger: balances, the API's list, and the retention metrics set-based (one query
each, whatever the number of accounts or movements)."""

from __future__ import annotations

import io
from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pandas as pd
from django.db import connection
from django.db.models import Case, DecimalField, F, Q, QuerySet, Sum, When

from renewals import retention
from renewals.models import ArrMovement
from renewals.models.ledger import INCREASING
from tenancy.context import get_current_tenant

_SIGNED = Case(When(kind__in=list(INCREASING), then=F("amount")), default=-F("amount"), output_field=DecimalField())
_SIGNED_SQL = "CASE WHEN m.kind IN ('new', 'expansion', 'reactivation') THEN m.amount ELSE -m.amount END"


def movements_for_api(*, account_id: int | None = None) -> QuerySet[ArrMovement]:
    movements = ArrMovement.objects.order_by("-date", "-id")
    return movements.filter(account_id=account_id) if account_id is not None else movements


def balances(*, account_ids: Iterable[int], on: date) -> dict[int, Decimal]:
    """Each account's ledger balance at the end of ``on`` (accounts without movements: 0). One query."""
    ids = list(account_ids)
    rows = (
        ArrMovement.objects.filter(account_id__in=ids, date__lte=on).values("account_id")
        .annotate(balance=Sum(_SIGNED)).values_list("account_id", "balance")
    )
    found = dict(rows)
    return {pk: found.get(pk, Decimal("0")) for pk in ids}


def ledger_state(*, account_ids: Iterable[int], on: date) -> dict[int, tuple[Decimal, bool]]:
    """Each account's (balance at the end of ``on``, whether it has any movement at all). One query."""
    ids = list(account_ids)
    rows = (
        ArrMovement.objects.filter(account_id__in=ids).values("account_id")
        .annotate(balance=Sum(_SIGNED, filter=Q(date__lte=on), default=Decimal("0")))
        .values_list("account_id", "balance")
    )
    found = dict(rows)
    return {pk: (found.get(pk, Decimal("0")), pk in found) for pk in ids}


def lowest_running_balance(*, account_id: int) -> Decimal:
    """The lowest balance the account's ledger reaches on any day (future days too). One query."""
    sql = f"""
        SELECT COALESCE(MIN(balance), 0) FROM (
            SELECT SUM(SUM({_SIGNED_SQL})) OVER (ORDER BY m.date) AS balance
            FROM renewals_arrmovement m WHERE m.tenant_id = %s AND m.account_id = %s GROUP BY m.date
        ) days
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [get_current_tenant().pk, account_id])
        return cursor.fetchone()[0]


def accounts_due(*, today: date, catch_up_days: int = 7) -> list[int]:
    """Accounts with a movement dated in the last ``catch_up_days`` days up to today: their ``arr`` may not
    show it yet if the movement was written ahead of its date (the daily job re-syncs them)."""
    since = today - timedelta(days=catch_up_days)
    return list(
        ArrMovement.objects.filter(date__gt=since, date__lte=today, created_at__date__lt=F("date"))
        .values_list("account_id", flat=True).distinct()
    )


# Each account's window sums (``start < date <= end``), the basis of every retention query: the totals here,
# the split by segment in ``renewals.retention_report``. Parameters: ``tenant``, ``start``, ``end``.
PER_ACCOUNT_WINDOW_SQL = f"""
    SELECT m.account_id,
           SUM({_SIGNED_SQL}) FILTER (WHERE m.date <= %(start)s) AS at_start,
           SUM({_SIGNED_SQL}) AS at_end,
           SUM(m.amount) FILTER (WHERE m.date > %(start)s AND m.kind IN ('new', 'expansion', 'reactivation')) AS up,
           SUM(m.amount) FILTER (WHERE m.date > %(start)s AND m.kind = 'contraction') AS contraction,
           SUM(m.amount) FILTER (WHERE m.date > %(start)s AND m.kind = 'churn') AS churn
    FROM renewals_arrmovement m
    WHERE m.tenant_id = %(tenant)s AND m.date <= %(end)s
    GROUP BY m.account_id
"""

_TOTALS_SQL = f"""
WITH per_account AS ({PER_ACCOUNT_WINDOW_SQL})
SELECT COALESCE(SUM(at_start), 0), COALESCE(SUM(up), 0), COALESCE(SUM(contraction), 0), COALESCE(SUM(churn), 0),
       COUNT(*), COUNT(*) FILTER (WHERE at_end > 0)
FROM per_account WHERE at_start > 0
"""


def retention_totals(*, start: date, end: date) -> retention.RetentionTotals:
    """The retention sums of one window (see ``renewals.retention`` for the rules). One query."""
    with connection.cursor() as cursor:
        cursor.execute(_TOTALS_SQL, {"tenant": get_current_tenant().pk, "start": start, "end": end})
        starting, up, contraction, churn, accounts, retained = cursor.fetchone()
    return retention.RetentionTotals(
        starting_arr=starting, expansion=up, contraction=contraction, churn=churn, accounts=accounts, retained=retained,
    )


_BUCKETS_COPY = (
    "COPY (SELECT m.account_id, m.date, m.kind, m.amount FROM renewals_arrmovement m "
    "WHERE m.tenant_id = %(tenant)s AND m.date <= %(until)s) TO STDOUT WITH (FORMAT csv)"
)


def ledger_buckets(*, until: date, tenant_id: int | None = None) -> pd.DataFrame:
    """The tenant's (the current one, or ``tenant_id``'s) movements dated up to ``until`` as ``retention.trend_from_buckets`` takes them: one row
    per movement (rows of one account and month add up there), month index and integer cents.

    One statement, a ``COPY ... TO STDOUT`` read by pandas' CSV parser: at 200,000 movements it is several
    times faster than fetching rows as Python tuples (and than grouping them in SQL first)."""
    buffer = io.BytesIO()
    with connection.cursor() as cursor:
        tenant_id = tenant_id if tenant_id is not None else get_current_tenant().pk
        cursor.copy_expert(cursor.mogrify(_BUCKETS_COPY, {"tenant": tenant_id, "until": until}), buffer)
    if not buffer.tell():
        return pd.DataFrame(columns=retention.BUCKET_COLUMNS)
    buffer.seek(0)
    rows = pd.read_csv(
        buffer, header=None, names=["account_id", "date", "kind", "amount"],
        dtype={"account_id": np.int64, "date": str, "kind": "category", "amount": np.float64},
    )
    days = pd.to_datetime(rows["date"], format="%Y-%m-%d")
    # Amounts have two decimals and stay far below 2**53 cents: the float parse rounds back exactly.
    cents = np.rint(rows["amount"].to_numpy() * 100).astype(np.int64)
    categories, codes = np.asarray(rows["kind"].cat.categories), rows["kind"].cat.codes.to_numpy()
    increasing = np.isin(categories, sorted(INCREASING))[codes]
    return pd.DataFrame({
        "account_id": rows["account_id"].to_numpy(),
        "month": (days.dt.year * 12 + days.dt.month - 1).to_numpy(dtype=np.int64),
        "net": np.where(increasing, cents, -cents),
        "up": np.where(increasing, cents, 0),
        "contraction": np.where((categories == "contraction")[codes], cents, 0),
        "churn": np.where((categories == "churn")[codes], cents, 0),
    })


def retention_trend(*, today: date, months: int) -> list[tuple[retention.Window, retention.RetentionTotals]]:
    windows = retention.trailing_windows(today=today, months=months)
    return retention.trend_from_buckets(ledger_buckets(until=windows[-1].end), windows)

