"""Support signals for health scorecards and early warnings, registered from ``TicketsConfig.ready()``.

Sources (``core.registries.health.register_source``), one aggregate query over all the tenant's accounts each:

* ``tickets_per_seat_90d``: tickets opened in the window per licensed seat (latest ``licensed_seats``
  value on or before the day, the ``licensed_seats`` account fact health offers, else the account's
  employee count);
* ``sev12_tickets_30d``: Sev1/Sev2 tickets opened in the window;
* ``sla_breaches_90d``: tickets opened in the window whose response or resolution SLA was breached.

Risk rule (``core.registries.health.register_risk_rule``): ``sev12_burst``, ">= 2 Sev1/Sev2 tickets in 14 days"
(both thresholds are tenant settings).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pandas as pd
from django.db import connection

from accounts.models import Account
from core.registries.health import account_fact_sql, moment_for, register_risk_rule, register_source
from tickets.models import Ticket

TICKETS = Ticket._meta.db_table


def _window(tenant, as_of: date, window_days: int) -> tuple[datetime, datetime]:
    end = moment_for(tenant, as_of)
    return end - timedelta(days=window_days), end


def _series(sql: str, params: dict) -> pd.Series:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return pd.Series({int(account_id): float(value) for account_id, value in rows if value is not None}, dtype="float64")


def _accounts_clause(column: str, account_ids: list[int] | None, params: dict) -> str:
    if account_ids is None:
        return ""
    params["account_ids"] = list(account_ids)
    return f" AND {column} = ANY(%(account_ids)s)"


def _count_tickets(tenant, account_ids, as_of: date, window_days: int, condition: str) -> pd.Series:
    start, end = _window(tenant, as_of, window_days)
    params = {"tenant": tenant.pk, "start": start, "end": end}
    sql = (
        f"SELECT account_id, count(*) FROM {TICKETS} WHERE tenant_id = %(tenant)s "
        f"AND opened_at >= %(start)s AND opened_at < %(end)s AND {condition}"
        f"{_accounts_clause('account_id', account_ids, params)} GROUP BY account_id"
    )
    return _series(sql, params)


def sev12_tickets(tenant, account_ids, as_of: date, window_days: int = 30) -> pd.Series:
    return _count_tickets(tenant, account_ids, as_of, window_days, "severity <= 2")


def sla_breaches(tenant, account_ids, as_of: date, window_days: int = 90) -> pd.Series:
    return _count_tickets(tenant, account_ids, as_of, window_days, "(response_breached OR resolution_breached)")


def tickets_per_seat(tenant, account_ids, as_of: date, window_days: int = 90) -> pd.Series:
    start, end = _window(tenant, as_of, window_days)
    params = {"tenant": tenant.pk, "start": start, "end": end, "as_of": as_of}
    accounts = _accounts_clause("a.id", account_ids, params)
    sql = f"""
        WITH counts AS (
            SELECT account_id, count(*) AS n FROM {TICKETS}
            WHERE tenant_id = %(tenant)s AND opened_at >= %(start)s AND opened_at < %(end)s
            GROUP BY account_id
        ), seats AS ({account_fact_sql("licensed_seats")})
        SELECT a.id, COALESCE(c.n, 0)::float / NULLIF(COALESCE(s.value, a.employee_count), 0)
        FROM {Account._meta.db_table} a
        LEFT JOIN counts c ON c.account_id = a.id
        LEFT JOIN seats s ON s.account_id = a.id
        WHERE a.tenant_id = %(tenant)s {accounts}
    """
    return _series(sql, params)


def sev12_burst(ctx) -> pd.Series:
    """Risk rule: at least ``count`` Sev1/Sev2 tickets opened in the last ``days`` days."""
    count, days = int(ctx.params["count"]), int(ctx.params["days"])
    params = {"tenant": ctx.tenant.pk, "start": ctx.moment - timedelta(days=days), "end": ctx.moment, "count": count}
    sql = (
        f"SELECT account_id, count(*) FROM {TICKETS} WHERE tenant_id = %(tenant)s AND severity <= 2 "
        f"AND opened_at >= %(start)s AND opened_at <= %(end)s"
        f"{_accounts_clause('account_id', ctx.account_ids, params)} "
        "GROUP BY account_id HAVING count(*) >= %(count)s"
    )
    hits = _series(sql, params)
    return pd.Series(
        {account_id: f"{int(n)} Sev1/Sev2 tickets in the last {days} days (threshold {count})."
         for account_id, n in hits.items()},
        dtype=object,
    )


def register() -> None:
    """Register the sources and the risk rule in the health registries."""
    register_source(
        "tickets_per_seat_90d", "Tickets per seat (90 days)", tickets_per_seat, unit="per_seat",
        default_mapping={"type": "linear", "zero_at": 0.5, "full_at": 0.02}, window_days=90, category="support",
        description="Tickets opened in the window per licensed seat (employee count when no seat data).",
    )
    register_source(
        "sev12_tickets_30d", "Sev1/Sev2 tickets (30 days)", sev12_tickets, unit="count",
        default_mapping={"type": "linear", "zero_at": 4, "full_at": 0}, window_days=30, fill_missing=0,
        category="support", description="Critical and high severity tickets opened in the window.",
    )
    register_source(
        "sla_breaches_90d", "SLA breaches (90 days)", sla_breaches, unit="count",
        default_mapping={"type": "linear", "zero_at": 5, "full_at": 0}, window_days=90, fill_missing=0,
        category="support", description="Tickets opened in the window with a breached response or resolution SLA.",
    )
    register_risk_rule(
        "sev12_burst", "Burst of Sev1/Sev2 tickets", sev12_burst, params={"count": 2, "days": 14},
        param_labels={"count": "Tickets at least", "days": "Within days"},
        description="Several critical or high severity tickets opened in a short span.",
    )
