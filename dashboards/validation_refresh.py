"""Materialising the score validation's observations (``OutcomeObservation``): the observations query
(``validation_selectors``: one index probe into the snapshot history per renewal outcome) run once by the
daily and on-demand full refresh, so the page reads rows. One transaction: delete the tenant's rows, insert
them again (idempotent); a renewal closed since shows after the next full refresh."""

from __future__ import annotations

import time

from django.db import connection, transaction

from dashboards.validation_selectors import _OBSERVATIONS, LEAD_DAYS, STALE_DAYS
from tenancy.models import Tenant

_LOCK_NAMESPACE = 0x0DA6
_INSERT = f"""
INSERT INTO dashboards_outcomeobservation (tenant_id, account_id, account_name, outcome, outcome_on, score, band)
SELECT %(tenant)s, o.* FROM ({_OBSERVATIONS}) AS o
"""


def refresh_observations(*, tenant: Tenant) -> dict:
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [(_LOCK_NAMESPACE << 32) + tenant.pk])  # one run at a time
        cursor.execute("DELETE FROM dashboards_outcomeobservation WHERE tenant_id = %s", [tenant.pk])
        cursor.execute(_INSERT, {"tenant": tenant.pk, "lead": LEAD_DAYS, "stale": STALE_DAYS})
        rows = cursor.rowcount
    return {"rows": rows, "seconds": round(time.perf_counter() - started, 3)}
