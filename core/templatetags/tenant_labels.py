"""The tenant's labels for segment and health band keys, as template filters: `{% load tenant_labels %}`."""

from __future__ import annotations

from django import template

from core.registries.bands import tenant_bands
from tenancy.context import current_tenant_or_none

register = template.Library()


@register.filter
def segment_label(key: str | None) -> str:
    """The current tenant's label for a segment key (e.g. mid_market -> Mid-Market)."""
    tenant = current_tenant_or_none()
    if not key:
        return "—"
    if tenant is not None and key in (labels := tenant.segment_labels()):
        return labels[key]
    return key.replace("_", " ").title()


def band_labels(tenant) -> dict[str, str]:
    """The tenant's health band labels by key, read once per tenant object (one query per request)."""
    labels = getattr(tenant, "_band_labels", None)
    if labels is None:
        labels = {band["key"]: band.get("label") or band["key"] for band in tenant_bands()}
        tenant._band_labels = labels
    return labels


@register.filter
def band_label(key: str | None) -> str:
    """The one label of a health band everywhere (list, 360 page, dashboard): the tenant's scorecard
    label for the key (e.g. green -> Healthy), else the key in sentence case."""
    if not key:
        return "Not scored"
    tenant = current_tenant_or_none()
    label = band_labels(tenant).get(key) if tenant is not None else None
    return label or key.replace("_", " ").capitalize()
