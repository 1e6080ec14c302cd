"""Reads behind the health pages, API and other apps: tenant-scoped, a constant number of queries."""

from __future__ import annotations

from copy import deepcopy
from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd
from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import Account, Task, TaskSource, TaskStatus
from core.registries.health import get_source
from health.models import EventMapping, HealthSnapshot, Scorecard, Sentiment, UsageRecord
from health.scorecard import default_scorecard
from health.sql import frame_by_copy
from tenancy.context import get_current_tenant


@dataclass(frozen=True)
class ScorecardConfig:
    components: list[dict]
    bands: list[dict]
    version: int  # 0: the default scorecard (nothing saved yet)
    updated_at: object = None
    updated_by: object = None

    def as_dict(self) -> dict:
        return {"components": deepcopy(self.components), "bands": deepcopy(self.bands)}


def scorecard_get() -> ScorecardConfig:
    """The current tenant's scorecard, or the default one when none was saved (one query)."""
    row = Scorecard.objects.select_related("updated_by").first()
    if row is None:
        card = default_scorecard()
        return ScorecardConfig(components=card["components"], bands=card["bands"], version=0)
    return ScorecardConfig(components=row.components, bands=row.bands, version=row.version,
                           updated_at=row.updated_at, updated_by=row.updated_by)


def resolve_measures(card: dict) -> dict:
    """The scorecard with each measure's mapping and window filled from its source's defaults,
    and ``available`` telling whether the source is registered."""
    card = deepcopy(card)
    for comp in card["components"]:
        for item in comp["measures"]:
            source = get_source(item["source"])
            item["available"] = source is not None
            if source is not None:
                item.setdefault("window_days", source.window_days)
                if not item.get("mapping"):
                    item["mapping"] = source.default_mapping
                item["unit"] = source.unit
    return card


def tenant_bands() -> list[dict]:
    """The current tenant's bands ``[{"key", "label", "min_score", "colour"}]``, best first."""
    return [dict(band) for band in scorecard_get().bands]


def latest_snapshot(*, account_id: int) -> HealthSnapshot | None:
    return HealthSnapshot.objects.filter(account_id=account_id).order_by("-computed_at", "-id").first()


def snapshot_history(*, account_id: int) -> QuerySet[HealthSnapshot]:
    return HealthSnapshot.objects.filter(account_id=account_id).order_by("-computed_at", "-id")


def account_health(*, account: Account, card: ScorecardConfig | None = None) -> dict:
    """The API's current health of one account: the account's score and band and, from its latest
    snapshot, each component (components with no computation yet are null)."""
    card = card or scorecard_get()
    snapshot = latest_snapshot(account_id=account.pk)
    if snapshot is not None:
        components = snapshot.components
    else:
        components = [{"key": c["key"], "label": c["label"], "weight": c["weight"], "score": None}
                      for c in card.components]
    return {
        "score": float(account.health_score) if account.health_score is not None else None,
        "status": account.health_status,
        # the latest computation (the account's own stamp only moves when its score or band changes)
        "computed_at": snapshot.computed_at if snapshot is not None else account.health_computed_at,
        "components": components,
    }


def trend_points(*, account_id: int, days: int = 90) -> list[tuple[date, float | None]]:
    """The account's score per day (the day's last computation) over the last ``days`` days."""
    tenant = get_current_tenant()
    since = timezone.now() - timedelta(days=days)
    sql = f"""
        SELECT DISTINCT ON (day) day, score FROM (
            SELECT (computed_at AT TIME ZONE %s)::date AS day, score, computed_at, id
            FROM {HealthSnapshot._meta.db_table}
            WHERE tenant_id = %s AND account_id = %s AND computed_at >= %s
        ) s ORDER BY day, computed_at DESC, id DESC
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [tenant.timezone, tenant.pk, account_id, since])
        return [(day, float(score) if score is not None else None) for day, score in cursor.fetchall()]


def current_sentiment(*, account_id: int) -> Sentiment | None:
    return (
        Sentiment.objects.filter(account_id=account_id, expires_at__gt=timezone.now())
        .select_related("author").order_by("-created_at", "-id").first()
    )


def open_risks(*, account_id: int) -> list[dict]:
    """The account's open risk CTAs (title, reason, due date), newest first."""
    return list(
        Task.objects.filter(account_id=account_id, status=TaskStatus.OPEN, source=TaskSource.RISK)
        .order_by("-created_at", "-id").values("id", "title", "description", "due_date")
    )


def sentiment_history(*, account_id: int) -> QuerySet[Sentiment]:
    return Sentiment.objects.filter(account_id=account_id).select_related("author").order_by("-created_at", "-id")


def usage_rows(
    *, account_id: int | None = None, metric: str = "", start: date | None = None, end: date | None = None
) -> QuerySet:
    """Stored usage rows ``{"account", "date", "metric", "value"}``, ordered for stable pages."""
    qs = UsageRecord.objects.all()
    if account_id is not None:
        qs = qs.filter(account_id=account_id)
    if metric:
        qs = qs.filter(metric=metric)
    if start:
        qs = qs.filter(date__gte=start)
    if end:
        qs = qs.filter(date__lte=end)
    return qs.order_by("account_id", "metric", "date").values("account_id", "date", "metric", "value")


def usage_daily(*, account_id: int, days: int = 90, today: date | None = None) -> list[dict]:
    """One row per day of the last ``days`` days: active users, licensed seats, logins and the number
    of features used (None where nothing was reported). One query on the usage primary key."""
    tenant = get_current_tenant()
    today = today or timezone.localdate(timezone=tenant.tzinfo)
    start = today - timedelta(days=days)
    sql = f"""
        SELECT date,
               SUM(value) FILTER (WHERE metric = 'active_users') AS active_users,
               MAX(value) FILTER (WHERE metric = 'licensed_seats') AS licensed_seats,
               SUM(value) FILTER (WHERE metric = 'logins') AS logins,
               COUNT(*) FILTER (WHERE metric LIKE 'feature:%%' AND value > 0) AS features
        FROM {UsageRecord._meta.db_table}
        WHERE tenant_id = %s AND account_id = %s AND date >= %s AND date <= %s
        GROUP BY date
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [tenant.pk, account_id, start, today])
        found = {row[0]: row[1:] for row in cursor.fetchall()}
    rows = []
    for offset in range(days + 1):
        day = start + timedelta(days=offset)
        active, seats, logins, features = found.get(day, (None, None, None, None))
        rows.append({"date": day, "active_users": active, "licensed_seats": seats, "logins": logins,
                     "features": features if day in found else None})
    return rows


_BIGINT_MIN, _BIGINT_MAX = -(2**63), 2**63 - 1  # an id beyond them names no account


def _array_literal(items) -> str:
    """A PostgreSQL array literal of quoted strings: one parameter the server parses, instead of the
    driver adapting thousands of elements one by one."""
    return "{" + ",".join('"' + item.replace("\\", "\\\\").replace('"', '\\"') + '"' for item in items) + "}"


def accounts_locked_for_usage(*, ids: list[int], external_ids: list[str]) -> tuple[dict[int, int], dict[str, int]]:
    """Which ids and external ids name accounts of the current tenant, locked ``FOR KEY SHARE`` until
    the transaction ends (they cannot be deleted under an ingestion): ({id: id}, {external id: id})."""
    if not ids and not external_ids:
        return {}, {}
    sql = f"""
        SELECT id, external_id FROM {Account._meta.db_table}
        WHERE tenant_id = %s AND (id = ANY(%s::bigint[]) OR external_id = ANY(%s::varchar[])) FOR KEY SHARE
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [get_current_tenant().pk, _array_literal(str(i) for i in ids if _BIGINT_MIN <= i <= _BIGINT_MAX), _array_literal(external_ids)])
        rows = cursor.fetchall()
    wanted_ids, wanted_external = set(ids), set(external_ids)
    by_id = {pk: pk for pk, _ in rows if pk in wanted_ids}
    by_external = {external: pk for pk, external in rows if external in wanted_external}
    return by_id, by_external


_SNAPSHOTS_AT = """
SELECT a.id, i.n, s.score, s.status{columns}
FROM {accounts} a
CROSS JOIN unnest(%(instants)s::timestamptz[]) WITH ORDINALITY AS i(at, n)
JOIN LATERAL (
    SELECT hs.score, hs.status{extracts} FROM {snapshots} hs
    WHERE hs.tenant_id = %(tenant)s AND hs.account_id = a.id
      AND hs.computed_at <= i.at AND hs.computed_at > i.at - make_interval(days => %(stale)s)
    ORDER BY hs.computed_at DESC LIMIT 1
) s ON true
WHERE a.tenant_id = %(tenant)s
"""


def raw_extracts(paths: dict[str, list[str]], params: dict, alias: str = "hs") -> tuple[str, str]:
    """SQL reading each stored raw measure value (``measures -> component -> measure -> 0``) as a float, one
    column ``c<i>`` per path (bound in ``params``): the lateral's select list and the outer one."""
    extracts, columns = [], []
    for i, path in enumerate(paths.values()):
        params[f"path{i}"] = [*path, "0"]
        extracts.append(f", ({alias}.measures #>> %(path{i})s)::float8 AS c{i}")
        columns.append(f", s.c{i}")
    return "".join(extracts), "".join(columns)


def snapshots_at(*, instants: list, paths: dict[str, list[str]], stale_days: int) -> pd.DataFrame:
    """For every account of the tenant and every instant, its latest snapshot at or before it (at most
    ``stale_days`` older): ``account_id``, ``n`` (1 for the first instant...), stored ``score`` and ``status``, and
    the raw values at ``paths`` (columns named as the paths' keys). One query, one index probe per account
    and instant."""
    params = {"tenant": get_current_tenant().pk, "instants": list(instants), "stale": stale_days}
    extracts, columns = raw_extracts(paths, params)
    sql = _SNAPSHOTS_AT.format(columns=columns, extracts=extracts, accounts=Account._meta.db_table,
                               snapshots=HealthSnapshot._meta.db_table)
    frame = frame_by_copy(sql, params, ["account_id", "n", "score", "status", *paths])
    frame["status"] = frame["status"].astype(object).where(frame["status"].notna(), None)
    return frame
def event_owned_metrics() -> set[str]:
    """The current tenant's metrics fed by product events (a usage push for one of them is refused)."""
    return set(EventMapping.objects.values_list("metric", flat=True).distinct())


def event_mappings():
    return EventMapping.objects.order_by("event")
