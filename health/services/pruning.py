"""Thinning the health history by the tenant's retention policy (``health/retention.py``)."""

from __future__ import annotations

from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone

from health import retention
from health.models import HealthSnapshot
from tenancy.models import Tenant


@transaction.atomic
def prune_snapshots(*, tenant: Tenant, now: datetime | None = None) -> int:
    """Thin the tenant's health history by its retention policy (``health/retention.py``) in one DELETE;
    return how many snapshots went. Idempotent; an account's newest snapshot always stays.

    One window over the tenant's snapshots, newest first per account (the order of
    ``snapshot_account_cover_idx``), pairs each with the next newer one: a snapshot goes when it is older
    than the keep-all window and has a newer one, and is either older than the daily window or not
    the last of its (tenant-local) day. A recompute committing meanwhile only adds newer rows, which
    cannot make a doomed row the newest.
    """
    policy = retention.policy_from_settings(tenant.settings)
    now = now or timezone.now()
    table = HealthSnapshot._meta.db_table
    sql = f"""
        DELETE FROM {table} h
        USING (
            SELECT id, computed_at,
                   lag(computed_at) OVER newest_first AS newer_at
            FROM {table}
            WHERE tenant_id = %(tenant)s
            WINDOW newest_first AS (PARTITION BY account_id ORDER BY computed_at DESC, id DESC)
        ) s
        WHERE h.id = s.id AND h.tenant_id = %(tenant)s
          AND s.computed_at < %(keep_all_since)s
          AND s.newer_at IS NOT NULL
          AND (s.computed_at < %(keep_daily_since)s
               OR (s.newer_at AT TIME ZONE %(tz)s)::date = (s.computed_at AT TIME ZONE %(tz)s)::date)
    """
    params = {"tenant": tenant.pk, "tz": tenant.timezone, "keep_all_since": policy.keep_all_since(now),
              "keep_daily_since": policy.keep_daily_since(now)}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount
