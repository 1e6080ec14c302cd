"""Materialising one tenant's retention (``renewals.models.retention``): set-based, one transaction, idempotent.

The ledger is read once (``ledger_selectors.ledger_buckets``: one COPY), every trailing-twelve-month window of
the trend is computed at once over the accounts x months matrix (``retention.window_members``), and the
starting sets are summed per account segment x CSM x starting segment with one pandas group-by; the ledger's
monthly sums per kind are one ``INSERT ... SELECT ... GROUP BY``. A transaction-level advisory lock per tenant
keeps two runs from interleaving; each run deletes the tenant's rows and writes them again (a few thousand at
most: windows x segments x CSMs), so a second run writes identical rows. Dashboards' refresh calls it (beat,
every 5 minutes, and on demand); the retention report and the portfolio page read the rows.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import numpy as np
import pandas as pd
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Account
from accounts.segments import sorted_thresholds
from renewals import ledger_selectors, retention
from tenancy.models import Tenant

TREND_MONTHS = 12
_LOCK_NAMESPACE = 0x2E7E  # advisory lock key: (namespace << 32) + tenant
NO_CSM = -1
SUMS = ("at_start", "up", "contraction", "churn")


@dataclass(frozen=True)
class RetentionRefreshResult:
    as_of: date
    rows: int
    seconds: float

    def as_dict(self) -> dict:
        return {"as_of": self.as_of.isoformat(), "rows": self.rows, "seconds": round(self.seconds, 3)}


def starting_segments(at_start_cents: np.ndarray, thresholds: list[dict]) -> np.ndarray:
    """The segment key each starting ARR (integer cents) reaches, highest threshold first (as
    ``accounts.segments.segment_for``): the lowest segment when it reaches none."""
    ordered = sorted_thresholds(thresholds)
    conditions = [at_start_cents >= math.ceil(minimum * 100) for _, minimum in ordered[:-1]]
    return np.select(conditions, [key for key, _ in ordered[:-1]], default=ordered[-1][0]).astype(object)


def grouped_totals(buckets: pd.DataFrame, windows: list[retention.Window], accounts: pd.DataFrame,
                   thresholds: list[dict]) -> pd.DataFrame:
    """One row per window x segment x CSM x starting segment with the starting set's sums (integer cents),
    ``accounts`` (starting logos) and ``retained``. ``accounts`` holds ``account_id``, ``segment``, ``csm_id``
    (``NO_CSM`` for none)."""
    members = retention.window_members(buckets, windows)
    members = members.merge(accounts, on="account_id", how="inner")
    members["start_segment"] = starting_segments(members["at_start"].to_numpy(), thresholds)
    members["accounts"] = 1
    return (members.groupby(["window", "segment", "csm_id", "start_segment"], sort=False)
            [[*SUMS, "accounts", "retained"]].sum().reset_index())


def _accounts_frame(tenant: Tenant) -> pd.DataFrame:
    rows = [(pk, segment, NO_CSM if csm is None else csm)
            for pk, segment, csm in Account.all_tenants.filter(tenant=tenant).values_list("id", "segment", "csm_id")]
    return pd.DataFrame(rows, columns=["account_id", "segment", "csm_id"]).astype({"account_id": np.int64, "csm_id": np.int64})


def _money(cents: pd.Series) -> list[Decimal]:
    return [Decimal(int(value)) / 100 for value in cents]


def _columns(groups: pd.DataFrame, windows: list[retention.Window]) -> dict[str, list]:
    """The grouped rows as one list per column (one ``INSERT ... SELECT FROM unnest(...)`` writes them all)."""
    positions = groups["window"].to_list()
    return {
        "month": [windows[p].month for p in positions], "start": [windows[p].start for p in positions],
        "end": [windows[p].end for p in positions], "segment": groups["segment"].to_list(),
        "csm": [None if c == NO_CSM else int(c) for c in groups["csm_id"]], "start_segment": groups["start_segment"].to_list(),
        "starting_arr": _money(groups["at_start"]), "expansion": _money(groups["up"]),
        "contraction": _money(groups["contraction"]), "churn": _money(groups["churn"]),
        "accounts": [int(n) for n in groups["accounts"]], "retained": [int(n) for n in groups["retained"]],
    }


_WINDOWS_INSERT = """
INSERT INTO renewals_retentionwindowtotals (tenant_id, month, start, "end", segment, csm_id, start_segment,
    starting_arr, expansion, contraction, churn, accounts, retained)
SELECT %(tenant)s, * FROM unnest(%(month)s::varchar[], %(start)s::date[], %(end)s::date[], %(segment)s::varchar[],
    %(csm)s::bigint[], %(start_segment)s::varchar[], %(starting_arr)s::numeric[], %(expansion)s::numeric[],
    %(contraction)s::numeric[], %(churn)s::numeric[], %(accounts)s::integer[], %(retained)s::integer[])
"""

_RECORD = """
INSERT INTO renewals_retentionrefresh (tenant_id, as_of, thresholds, refreshed_at, seconds, rows)
VALUES (%(tenant)s, %(as_of)s, %(thresholds)s::jsonb, %(at)s, %(seconds)s, %(rows)s)
ON CONFLICT (tenant_id) DO UPDATE SET as_of = EXCLUDED.as_of, thresholds = EXCLUDED.thresholds,
    refreshed_at = EXCLUDED.refreshed_at, seconds = EXCLUDED.seconds, rows = EXCLUDED.rows
"""


_LEDGER_MONTHS = """
INSERT INTO renewals_ledgermonth (tenant_id, month, new, expansion, contraction, churn, reactivation)
SELECT %(tenant)s, date_trunc('month', m.date)::date,
       COALESCE(sum(m.amount) FILTER (WHERE m.kind = 'new'), 0),
       COALESCE(sum(m.amount) FILTER (WHERE m.kind = 'expansion'), 0),
       COALESCE(sum(m.amount) FILTER (WHERE m.kind = 'contraction'), 0),
       COALESCE(sum(m.amount) FILTER (WHERE m.kind = 'churn'), 0),
       COALESCE(sum(m.amount) FILTER (WHERE m.kind = 'reactivation'), 0)
FROM renewals_arrmovement m
WHERE m.tenant_id = %(tenant)s AND m.date <= %(today)s
GROUP BY 2
"""


def refresh_retention(*, tenant: Tenant, now: datetime | None = None) -> RetentionRefreshResult:
    """Rewrite the tenant's ``RetentionWindowTotals`` and ``LedgerMonth`` rows as of its today (its time zone)."""
    now = now or timezone.now()
    started = time.perf_counter()
    today = now.astimezone(tenant.tzinfo).date()
    windows = retention.trailing_windows(today=today, months=TREND_MONTHS)
    thresholds = tenant.get_segment_thresholds()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [(_LOCK_NAMESPACE << 32) + tenant.pk])
        buckets = ledger_selectors.ledger_buckets(until=today, tenant_id=tenant.pk)
        groups = grouped_totals(buckets, windows, _accounts_frame(tenant), thresholds)
        cursor.execute("DELETE FROM renewals_retentionwindowtotals WHERE tenant_id = %s", [tenant.pk])
        cursor.execute(_WINDOWS_INSERT, {"tenant": tenant.pk, **_columns(groups, windows)})
        cursor.execute("DELETE FROM renewals_ledgermonth WHERE tenant_id = %s", [tenant.pk])
        cursor.execute(_LEDGER_MONTHS, {"tenant": tenant.pk, "today": today})
        seconds = time.perf_counter() - started
        cursor.execute(_RECORD, {"tenant": tenant.pk, "as_of": today, "thresholds": json.dumps(thresholds),
                                 "at": now, "seconds": seconds, "rows": len(groups)})
    return RetentionRefreshResult(as_of=today, rows=len(groups), seconds=seconds)
