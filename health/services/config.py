"""Tenant configuration of the health engine: the scorecard, risk thresholds, competitors, retention."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from health import retention, risks
from health.models import Scorecard
from health.scorecard import validate_scorecard
from health.selectors import ScorecardConfig, scorecard_get
from health.services.scheduling import request_tenant_recompute
from tenancy.context import get_current_tenant
from tenancy.models import Tenant, User
from tenancy.services import tenant_update_settings


@transaction.atomic
def scorecard_save(*, data: Any, actor: User | None = None, recompute: bool = True) -> ScorecardConfig:
    """Validate and store the tenant's scorecard (raises ScorecardInvalid, changing nothing), then
    (unless ``recompute`` is False, e.g. when seeding) recompute every account with it."""
    tenant = get_current_tenant()
    card = validate_scorecard(data)
    created, _ = Scorecard.objects.get_or_create(tenant=tenant, defaults={"version": 0})
    row = Scorecard.objects.select_for_update().get(pk=created.pk)  # concurrent saves queue here
    row.components, row.bands = card["components"], card["bands"]
    row.version += 1
    row.updated_at, row.updated_by = timezone.now(), actor
    row.save()
    if recompute:
        request_tenant_recompute(tenant=tenant, on_commit=True)
    return scorecard_get()


@transaction.atomic
def risk_settings_save(
    *, tenant: Tenant, rules: dict | None = None, competitors: list[str] | None = None,
    retention_days: dict | None = None,
) -> Tenant:
    """Store risk thresholds and/or snapshot retention days (validated: raises RiskSettingsInvalid and
    changes nothing) and/or the competitor list. Merges into the settings read under the tenant row's
    lock, so a concurrent save of other rules is kept."""
    settings = Tenant.objects.select_for_update().get(pk=tenant.pk).settings or {}
    changes: dict[str, Any] = {}
    if retention_days is not None:
        current = retention.policy_from_settings(settings)
        try:
            changes[retention.SETTINGS_KEY] = retention.validate_retention(retention_days, current).as_dict()
        except retention.RetentionInvalid as exc:
            raise risks.RiskSettingsInvalid(exc.errors) from exc
    if rules is not None:
        cleaned = risks.validate_rule_settings(rules)
        stored = dict(settings.get(risks.SETTINGS_KEY) or {})
        for key, values in cleaned.items():
            stored[key] = {**(stored.get(key) or {}), **values}
        changes[risks.SETTINGS_KEY] = stored
    if competitors is not None:
        names = []
        for name in competitors:
            name = str(name).strip()[:100]
            if name and name.lower() not in {n.lower() for n in names}:
                names.append(name)
        changes["competitors"] = names[:50]
    if changes:
        tenant_update_settings(tenant=tenant, changes=changes)
    return tenant
